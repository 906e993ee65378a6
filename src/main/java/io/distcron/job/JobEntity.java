package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.placement.Placement;
import io.distcron.schedule.CronSchedule;
import io.distcron.store.RunReason;
import io.distcron.store.RunRecord;
import io.distcron.store.RunStatus;
import io.distcron.store.Stores;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One job: its definition and its schedule, sharded by job name and event-sourced.
 *
 * <p>It keeps one timer, armed for the next tick. A tick is persisted as {@link RunFired} before the run is
 * handed to an executor, and the persisted high-water mark ({@link JobState#lastScheduled()}) is what keeps
 * a tick from firing twice across restarts. Talks to: the API (through {@link JobsClient}), executor nodes
 * (it sends them runs; they report the outcome back until acknowledged), the run store and job index.
 */
public final class JobEntity
    extends EventSourcedBehaviorWithEnforcedReplies<JobEntity.Command, JobEntity.Event, JobState> {

  public static final EntityTypeKey<Command> ENTITY_KEY = EntityTypeKey.create(Command.class, "Job");
  private static final String TICK = "tick";
  private static final String PROBE = "probe";
  private static final int PREVIEW = 5;

  /** What an entity needs from its node. */
  public record Deps(DistcronSettings settings, Clock clock, Stores stores, Placement placement) {}

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  public record Create(JobSpec spec, ActorRef<Reply> replyTo) implements Command {}

  public record Replace(JobSpec spec, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public record Pause(ActorRef<Reply> replyTo) implements Command {}

  public record Resume(ActorRef<Reply> replyTo) implements Command {}

  public record Delete(ActorRef<Reply> replyTo) implements Command {}

  public record Trigger(ActorRef<Reply> replyTo) implements Command {}

  /** From the executor that ran it, re-sent until acknowledged. */
  public record RunEnded(String runId, RunStatus status, ActorRef<Done> replyTo) implements Command {}

  record Fire(Instant due) implements Command {}

  record Dispatched(String runId, String node, boolean accepted, String why) implements Command {}

  record ProbeActive() implements Command {}

  record Probed(String runId, String node, boolean running) implements Command {}

  record Indexed(Reply reply, ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record JobView(
      JobSpec spec, boolean paused, Instant lastScheduled, List<Instant> nextFireTimes, int activeRuns)
      implements Reply {}

  public record Triggered(String runId) implements Reply {}

  public record Removed() implements Reply {}

  public record Rejected(Problem problem, String message) implements Reply {}

  public enum Problem {
    NOT_FOUND,
    CONFLICT
  }

  public sealed interface Event extends CborSerializable {}

  public record Defined(JobSpec spec) implements Event {}

  public record Paused() implements Event {}

  public record Resumed() implements Event {}

  public record Deleted() implements Event {}

  public record RunFired(
      String runId, Instant scheduledAt, Instant firedAt, RunReason reason, int attempt, String node)
      implements Event {}

  public record RunRedirected(String runId, String node) implements Event {}

  public record RunFinished(String runId, RunStatus status) implements Event {}

  // ---- wiring

  public static void init(ActorSystem<?> system, Deps deps) {
    ClusterSharding.get(system)
        .init(
            Entity.of(
                    ENTITY_KEY,
                    ctx -> create(ctx.getEntityId(), deps, ctx.getShard()))
                .withRole("scheduler"));
  }

  /** {@code shard} may be null outside sharding (tests): the entity then never passivates. */
  public static Behavior<Command> create(
      String name, Deps deps, ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(
        ctx -> Behaviors.withTimers(timers -> new JobEntity(name, deps, ctx, timers, shard)));
  }

  private final String name;
  private final Deps deps;
  private final Clock clock;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  /** Ticks before this instant are not this incarnation's to fire (paused, not yet defined, recovered). */
  private Instant armFrom;
  /** Executors each undispatched run has been offered to; in memory only, a restart re-probes. */
  private final Map<String, Set<String>> tried = new HashMap<>();
  private JobSpec parsedFor;
  private CronSchedule parsed;

  private JobEntity(
      String name,
      Deps deps,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    super(PersistenceId.of(ENTITY_KEY.name(), name));
    this.name = name;
    this.deps = deps;
    this.clock = deps.clock();
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.armFrom = clock.instant();
  }

  @Override
  public JobState emptyState() {
    return JobState.EMPTY;
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(deps.settings().snapshotEvery(), 2)
        .withDeleteEventsOnSnapshot();
  }

  @Override
  public EventHandler<JobState, Event> eventHandler() {
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobState::apply);
  }

  @Override
  public SignalHandler<JobState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .build();
  }

  @Override
  public CommandHandlerWithReply<Command, Event, JobState> commandHandler() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Replace.class, this::onReplace)
        .onCommand(Get.class, this::onGet)
        .onCommand(Pause.class, this::onPause)
        .onCommand(Resume.class, this::onResume)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Trigger.class, this::onTrigger)
        .onCommand(RunEnded.class, this::onRunEnded)
        .onCommand(Fire.class, this::onFire)
        .onCommand(Dispatched.class, this::onDispatched)
        .onCommand(ProbeActive.class, this::onProbeActive)
        .onCommand(Probed.class, this::onProbed)
        .onCommand(Indexed.class, (state, cmd) -> Effect().reply(cmd.replyTo(), cmd.reply()))
        .build();
  }

  // ---- definition

  private ReplyEffect<Event, JobState> onCreate(JobState state, Create cmd) {
    if (state.exists()) {
      return Effect()
          .reply(cmd.replyTo(), new Rejected(Problem.CONFLICT, "job '" + name + "' already exists"));
    }
    return define(cmd.spec(), cmd.replyTo());
  }

  private ReplyEffect<Event, JobState> onReplace(JobState state, Replace cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return define(cmd.spec(), cmd.replyTo());
  }

  private ReplyEffect<Event, JobState> define(JobSpec spec, ActorRef<Reply> replyTo) {
    return Effect()
        .persist(new Defined(spec))
        .thenRun(
            s -> {
              armFrom = clock.instant();
              arm(s);
              indexThenReply(s, view(s), replyTo);
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onGet(JobState state, Get cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return Effect().reply(cmd.replyTo(), view(state));
  }

  private ReplyEffect<Event, JobState> onPause(JobState state, Pause cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    if (state.paused()) return Effect().reply(cmd.replyTo(), view(state));
    return Effect()
        .persist(new Paused())
        .thenRun(
            s -> {
              arm(s);
              indexThenReply(s, view(s), cmd.replyTo());
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onResume(JobState state, Resume cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    if (!state.paused()) return Effect().reply(cmd.replyTo(), view(state));
    return Effect()
        .persist(new Resumed())
        .thenRun(
            s -> {
              // Ticks that fell inside the pause are not owed: resume at the next one.
              armFrom = clock.instant();
              arm(s);
              indexThenReply(s, view(s), cmd.replyTo());
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onDelete(JobState state, Delete cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return Effect()
        .persist(new Deleted())
        .thenRun(
            s -> {
              timers.cancelAll();
              deps.stores()
                  .async(() -> deps.stores().jobs().delete(name))
                  .whenComplete(
                      (ok, err) -> {
                        if (err != null) ctx.getLog().warn("Job index delete of {} failed", name, err);
                        cmd.replyTo().tell(new Removed());
                      });
              passivate();
            })
        .thenNoReply();
  }

  /** Replies once the job index has the change, so a listing right after a 2xx shows it. */
  private void indexThenReply(JobState s, Reply reply, ActorRef<Reply> replyTo) {
    ctx.pipeToSelf(
        deps.stores().async(() -> deps.stores().jobs().upsert(s.spec(), s.paused())),
        (ok, err) -> {
          if (err != null) ctx.getLog().warn("Job index update of {} failed", name, err);
          return new Indexed(reply, replyTo);
        });
  }

  private ReplyEffect<Event, JobState> notFound(ActorRef<Reply> replyTo) {
    // A lookup of an unknown name started this entity; with remember-entities it must not stay.
    passivate();
    return Effect().reply(replyTo, new Rejected(Problem.NOT_FOUND, "job '" + name + "' not found"));
  }

  private void passivate() {
    if (shard != null) shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()));
  }

  private JobView view(JobState s) {
    List<Instant> next =
        s.ticking() ? schedule(s.spec()).next(tickCursor(s), PREVIEW) : List.of();
    return new JobView(s.spec(), s.paused(), s.lastScheduled(), next, s.active().size());
  }

  // ---- firing

  private ReplyEffect<Event, JobState> onFire(JobState state, Fire fire) {
    if (!state.ticking()) return Effect().noReply();
    if (state.lastScheduled() != null && !fire.due().isAfter(state.lastScheduled())) {
      arm(state);
      return Effect().noReply();
    }
    armFrom = fire.due();
    return fire(state, UUID.randomUUID().toString(), fire.due(), RunReason.SCHEDULE, 1)
        .thenRun(this::arm)
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onTrigger(JobState state, Trigger cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    String runId = UUID.randomUUID().toString();
    return fire(state, runId, clock.instant(), RunReason.MANUAL, 1)
        .thenReply(cmd.replyTo(), s -> new Triggered(runId));
  }

  /** Persists the decision to run, then hands the run over: the order is the at-most-once guarantee. */
  private EffectBuilder<Event, JobState> fire(
      JobState state, String runId, Instant scheduledAt, RunReason reason, int attempt) {
    Instant now = clock.instant();
    RunRecord record = RunRecord.fired(runId, name, scheduledAt, now, attempt, reason);
    if (state.spec().action() instanceof Action.Noop) {
      String self = deps.placement().selfNode();
      return Effect()
          .persist(
              List.of(
                  new RunFired(runId, scheduledAt, now, reason, attempt, self),
                  new RunFinished(runId, RunStatus.SUCCEEDED)))
          .thenRun(s -> write(finished(record, self, now, RunStatus.SUCCEEDED, null)));
    }
    List<String> candidates = deps.placement().candidates(Set.of());
    if (candidates.isEmpty()) {
      return Effect()
          .persist(
              List.of(
                  new RunFired(runId, scheduledAt, now, reason, attempt, null),
                  new RunFinished(runId, RunStatus.FAILED)))
          .thenRun(
              s ->
                  write(finished(record, null, now, RunStatus.FAILED, "no executor node available")));
    }
    String node = candidates.get(0);
    return Effect()
        .persist(new RunFired(runId, scheduledAt, now, reason, attempt, node))
        .thenRun(
            s -> {
              write(onNode(record, node));
              dispatch(s, runId, node);
            });
  }

  private void dispatch(JobState state, String runId, String node) {
    JobState.ActiveRun run = state.active().get(runId);
    tried.computeIfAbsent(runId, k -> new HashSet<>()).add(node);
    var executor = deps.placement().executor(node);
    if (executor.isEmpty()) {
      ctx.getSelf().tell(new Dispatched(runId, node, false, "executor " + node + " is gone"));
      return;
    }
    Duration timeout = deps.settings().executor().ackTimeout();
    ctx.ask(
        ExecutorNode.RunAck.class,
        executor.get(),
        timeout,
        replyTo ->
            new ExecutorNode.Run(
                runId,
                name,
                run.scheduledAt(),
                run.attempt(),
                run.reason(),
                state.spec().action(),
                state.spec().timeoutSeconds(),
                replyTo),
        (ack, err) -> {
          if (ack instanceof ExecutorNode.Accepted) return new Dispatched(runId, node, true, null);
          if (ack instanceof ExecutorNode.Refused r) return new Dispatched(runId, node, false, r.why());
          return new Dispatched(runId, node, false, "no answer from " + node + " within " + timeout);
        });
  }

  private ReplyEffect<Event, JobState> onDispatched(JobState state, Dispatched d) {
    JobState.ActiveRun run = state.active().get(d.runId());
    if (d.accepted() || run == null || !d.node().equals(run.node())) {
      if (d.accepted() || run == null) tried.remove(d.runId());
      return Effect().noReply();
    }
    List<String> next = deps.placement().candidates(tried.getOrDefault(d.runId(), Set.of()));
    if (next.isEmpty()) {
      tried.remove(d.runId());
      String why = "no executor accepted the run; last: " + d.why();
      return Effect()
          .persist(new RunFinished(d.runId(), RunStatus.FAILED))
          .thenRun(s -> write(ended(d.runId(), run, RunStatus.FAILED, why)))
          .thenNoReply();
    }
    String node = next.get(0);
    return Effect()
        .persist(new RunRedirected(d.runId(), node))
        .thenRun(s -> dispatch(s, d.runId(), node))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onRunEnded(JobState state, RunEnded cmd) {
    if (!state.active().containsKey(cmd.runId())) {
      return Effect().reply(cmd.replyTo(), Done.getInstance());
    }
    tried.remove(cmd.runId());
    return Effect()
        .persist(new RunFinished(cmd.runId(), cmd.status()))
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  // ---- recovery

  private void onRecovered(JobState state) {
    if (!state.exists()) {
      // A deleted job remembered by sharding: it has nothing to do. A new one waits for its command.
      if (lastSequenceNumber(ctx) > 0) passivate();
      return;
    }
    armFrom = clock.instant();
    arm(state);
    deps.stores()
        .async(() -> deps.stores().jobs().upsert(state.spec(), state.paused()))
        .whenComplete(
            (ok, err) -> {
              if (err != null) ctx.getLog().warn("Job index repair of {} failed", name, err);
            });
    if (!state.active().isEmpty()) {
      // Give the Receptionist time to list the cluster's executors before asking them.
      timers.startSingleTimer(PROBE, new ProbeActive(), deps.settings().executor().ackTimeout());
    }
  }

  /** Runs in flight before a restart are asked for; those nobody runs any more are LOST. */
  private ReplyEffect<Event, JobState> onProbeActive(JobState state, ProbeActive cmd) {
    Duration timeout = deps.settings().executor().ackTimeout();
    state
        .active()
        .forEach(
            (runId, run) -> {
              var executor = run.node() == null ? null : deps.placement().executor(run.node());
              if (executor == null || executor.isEmpty()) {
                ctx.getSelf().tell(new Probed(runId, run.node(), false));
                return;
              }
              ctx.ask(
                  ExecutorNode.Running.class,
                  executor.get(),
                  timeout,
                  replyTo -> new ExecutorNode.IsRunning(runId, replyTo),
                  (r, err) -> new Probed(runId, run.node(), r != null && r.running()));
            });
    return Effect().noReply();
  }

  private ReplyEffect<Event, JobState> onProbed(JobState state, Probed p) {
    JobState.ActiveRun run = state.active().get(p.runId());
    if (p.running() || run == null) return Effect().noReply();
    String why =
        p.node() == null
            ? "the run was never handed to an executor"
            : "executor " + p.node() + " no longer runs it";
    return Effect()
        .persist(new RunFinished(p.runId(), RunStatus.LOST))
        .thenRun(s -> write(ended(p.runId(), run, RunStatus.LOST, why)))
        .thenNoReply();
  }

  // ---- helpers

  private void arm(JobState state) {
    if (!state.ticking()) {
      timers.cancel(TICK);
      return;
    }
    var next = schedule(state.spec()).nextAfter(tickCursor(state));
    if (next.isEmpty()) {
      timers.cancel(TICK);
      return;
    }
    Duration delay = Duration.between(clock.instant(), next.get());
    timers.startSingleTimer(TICK, new Fire(next.get()), delay.isNegative() ? Duration.ZERO : delay);
  }

  /** The next tick comes after both the persisted high-water mark and this incarnation's start line. */
  private Instant tickCursor(JobState state) {
    Instant last = state.lastScheduled();
    return last != null && last.isAfter(armFrom) ? last : armFrom;
  }

  private CronSchedule schedule(JobSpec spec) {
    if (spec != parsedFor) {
      parsed = CronSchedule.parse(spec.schedule(), spec.timezone());
      parsedFor = spec;
    }
    return parsed;
  }

  private void write(RunRecord record) {
    deps.stores()
        .async(() -> deps.stores().runs().upsert(record))
        .whenComplete(
            (ok, err) -> {
              if (err != null) ctx.getLog().warn("Run store write for {} failed", record.id(), err);
            });
  }

  private static RunRecord onNode(RunRecord r, String node) {
    return new RunRecord(
        r.id(), r.job(), r.scheduledAt(), r.firedAt(), null, null, node, r.attempt(), r.reason(),
        RunStatus.PENDING, null, null, null);
  }

  private static RunRecord finished(
      RunRecord r, String node, Instant at, RunStatus status, String message) {
    return new RunRecord(
        r.id(), r.job(), r.scheduledAt(), r.firedAt(), at, at, node, r.attempt(), r.reason(),
        status, null, message, null);
  }

  private RunRecord ended(String runId, JobState.ActiveRun run, RunStatus status, String message) {
    return new RunRecord(
        runId, name, run.scheduledAt(), null, null, clock.instant(), null, run.attempt(),
        run.reason(), status, null, message, null);
  }
}
