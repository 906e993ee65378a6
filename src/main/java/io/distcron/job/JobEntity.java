package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.metrics.NodeMetrics;
import io.distcron.placement.Placement;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.store.Stores;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
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
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One job: its definition and its schedule, sharded by job name and event-sourced.
 *
 * <p>It keeps one timer, armed for the next tick. A tick is persisted as {@link RunFired} before
 * the run is handed to an executor, and the persisted high-water mark ({@link
 * JobState#lastScheduled()}) is what keeps a tick from firing twice across restarts. Talks to: the
 * API (through {@link JobsClient}), executor nodes (it sends them runs; they report the outcome
 * back until acknowledged), the run store and job index.
 */
public final class JobEntity
    extends EventSourcedBehaviorWithEnforcedReplies<JobEntity.Command, JobEntity.Event, JobState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Job");
  private static final String TICK = "tick";
  private static final String PROBE = "probe";
  private static final String QUEUE = "queue";
  private static final String PASSIVATE = "passivate";

  /** At most this many missed ticks are decided one by one on a recovery. */
  private static final int MAX_MISSED = 5000;

  private static final int PREVIEW = 5;

  /**
   * Pekko's scheduler refuses delays over about 248 days (the entity would crash on it): a tick
   * further away is reached by waking up on the way and arming again.
   */
  private static final Duration MAX_TIMER = Duration.ofDays(1);

  /**
   * Run records a recovery writes again (see {@link #replayed}): those of the newest events. A
   * record is written within milliseconds of its event unless the database is struggling; and a
   * failover recovers hundreds of jobs at once, each repair an upsert (64 made a failover of 330
   * per-second jobs wait seconds on the database).
   */
  private static final int REPLAY_REPAIR = 16;

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

  public record KillRun(String runId, ActorRef<Reply> replyTo) implements Command {}

  /** From the executor that ran it, re-sent until acknowledged. */
  public record RunEnded(String runId, RunStatus status, ActorRef<Done> replyTo)
      implements Command {}

  /** From the cluster singleton: the node this run was on has left the cluster. */
  public record ExecutorLost(String runId, String node) implements Command {}

  record Fire(Instant due) implements Command {}

  /** The timer's wake-up on the way to a tick further away than {@link #MAX_TIMER}. */
  record Rearm() implements Command {}

  record CatchUp() implements Command {}

  record Drain() implements Command {}

  record Dispatched(String runId, String node, boolean accepted, String why) implements Command {}

  record ProbeActive() implements Command {}

  record Probed(String runId, String node, boolean running) implements Command {}

  record Indexed(Reply reply, ActorRef<Reply> replyTo) implements Command {}

  record PassivateIfDeleted() implements Command {}

  public sealed interface Reply extends CborSerializable {}

  public record JobView(
      JobSpec spec,
      boolean paused,
      Instant lastScheduled,
      List<Instant> nextFireTimes,
      int activeRuns,
      int queuedRuns)
      implements Reply {}

  public record Triggered(String runId) implements Reply {}

  public record Killing(String runId) implements Reply {}

  public record Removed() implements Reply {}

  public record Rejected(Problem problem, String message) implements Reply {}

  public enum Problem {
    NOT_FOUND,
    CONFLICT
  }

  public sealed interface Event extends CborSerializable {}

  /** {@code at}: ticks before the definition are not owed. */
  public record Defined(JobSpec spec, Instant at) implements Event {}

  public record Paused() implements Event {}

  /** {@code at}: ticks that fell inside the pause are not owed. */
  public record Resumed(Instant at) implements Event {}

  public record Deleted() implements Event {}

  /**
   * {@code done}: the run was done as it fired (noop) and SUCCEEDED — one event instead of a
   * RunFired and a RunFinished, for the cheapest and most frequent kind of run. Events written
   * before this field existed read as false.
   */
  public record RunFired(
      String runId,
      Instant scheduledAt,
      Instant firedAt,
      RunReason reason,
      int attempt,
      String node,
      boolean done)
      implements Event {}

  public record RunQueued(
      String runId, Instant scheduledAt, RunReason reason, int attempt, Instant notBefore)
      implements Event {}

  /** Ticks decided not to run; their runs' ids derive from the tick ({@link #skippedRunId}). */
  public record TicksSkipped(List<Instant> ticks, String reason) implements Event {}

  public record RunRedirected(String runId, String node) implements Event {}

  public record RunFinished(String runId, RunStatus status) implements Event {}

  // ---- wiring

  public static void init(ActorSystem<?> system, Deps deps) {
    ClusterSharding.get(system)
        .init(
            Entity.of(ENTITY_KEY, ctx -> create(ctx.getEntityId(), deps, ctx.getShard()))
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
  private final NodeMetrics metrics;

  /** Executors each undispatched run has been offered to; in memory only, a restart re-probes. */
  private final Map<String, Set<String>> tried = new HashMap<>();

  /**
   * False from a recovery until its catch-up has run. A tick that came while a journal write was
   * failing (the entity then restarts with backoff) is delivered after the recovery, ahead of the
   * catch-up; deciding it then, against a state that may still hold a run whose end could not be
   * written, would skip it as "previous run still active". The catch-up decides it instead.
   */
  private boolean caughtUp = true;

  private JobSpec parsedFor;
  private CronSchedule parsed;

  /**
   * Whether the recovery replayed a change of the definition, whose job index write the previous
   * incarnation may not have made; one covered by the snapshot was written (or logged as failed)
   * long before.
   */
  private boolean definitionReplayed;

  /**
   * Run records of the events replayed by the recovery, by run id, newest last; written again once
   * it completes. A record is written after its event is persisted, so a node that dies in between
   * leaves the event without its row; the write is an upsert that only moves a run forward, so rows
   * that made it are unchanged. Null once recovered: live events are not collected.
   */
  private Map<String, RunRecord> replayed =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, RunRecord> eldest) {
          return size() > REPLAY_REPAIR;
        }
      };

  private JobEntity(
      String name,
      Deps deps,
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    // A journal that cannot be written (database down) restarts the job with backoff; recovery and
    // catch-up then cover what the outage missed.
    super(
        PersistenceId.of(ENTITY_KEY.name(), name),
        SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(30), 0.2));
    this.name = name;
    this.deps = deps;
    this.clock = deps.clock();
    this.ctx = ctx;
    this.timers = timers;
    this.shard = shard;
    this.metrics = NodeMetrics.of(ctx.getSystem());
  }

  @Override
  public JobState emptyState() {
    return JobState.EMPTY;
  }

  /**
   * A snapshot every N events bounds what a recovery replays. The events and snapshots before it
   * are deleted by {@link io.distcron.cluster.JournalCompactor} in batches, not here one job at a
   * time (Pekko's retention criteria delete after every snapshot, at a cost that dominated a
   * per-second job's CPU).
   */
  @Override
  public boolean shouldSnapshot(JobState state, Event event, long sequenceNr) {
    return sequenceNr % deps.settings().journal().snapshotEvery() == 0;
  }

  @Override
  public EventHandler<JobState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onAnyEvent(
            (state, event) -> {
              if (replayed != null) collectReplayed(state, event);
              return state.apply(event);
            });
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
        .onCommand(KillRun.class, this::onKill)
        .onCommand(RunEnded.class, this::onRunEnded)
        .onCommand(Fire.class, this::onFire)
        .onCommand(
            Rearm.class,
            (state, r) -> {
              arm(state);
              return Effect().noReply();
            })
        .onCommand(CatchUp.class, this::onCatchUp)
        .onCommand(Drain.class, this::onDrain)
        .onCommand(Dispatched.class, this::onDispatched)
        .onCommand(ProbeActive.class, this::onProbeActive)
        .onCommand(Probed.class, this::onProbed)
        .onCommand(
            ExecutorLost.class,
            (state, lost) -> onProbed(state, new Probed(lost.runId(), lost.node(), false)))
        .onCommand(Indexed.class, (state, cmd) -> Effect().reply(cmd.replyTo(), cmd.reply()))
        .onCommand(
            PassivateIfDeleted.class,
            (state, cmd) -> {
              if (!state.exists()) passivate();
              return Effect().noReply();
            })
        .build();
  }

  // ---- definition

  private ReplyEffect<Event, JobState> onCreate(JobState state, Create cmd) {
    if (state.exists()) {
      return Effect()
          .reply(
              cmd.replyTo(), new Rejected(Problem.CONFLICT, "job '" + name + "' already exists"));
    }
    return define(cmd.spec(), cmd.replyTo());
  }

  private ReplyEffect<Event, JobState> onReplace(JobState state, Replace cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return define(cmd.spec(), cmd.replyTo());
  }

  private ReplyEffect<Event, JobState> define(JobSpec spec, ActorRef<Reply> replyTo) {
    return Effect()
        .persist(new Defined(spec, clock.instant()))
        .thenRun(
            s -> {
              arm(s);
              ctx.getSelf().tell(new Drain());
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
        .persist(new Resumed(clock.instant()))
        .thenRun(
            s -> {
              arm(s);
              ctx.getSelf().tell(new Drain());
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
              killActive(state);
              // Queued runs never start now; their PENDING rows would stay forever (retention only
              // removes finished runs).
              writeAll(
                  state.queued().stream()
                      .map(
                          q ->
                              new RunRecord(
                                  q.runId(),
                                  name,
                                  q.scheduledAt(),
                                  null,
                                  null,
                                  clock.instant(),
                                  null,
                                  q.attempt(),
                                  q.reason(),
                                  RunStatus.KILLED,
                                  null,
                                  "job deleted before the run started",
                                  null))
                      .toList());
              deps.stores()
                  .async(() -> deps.stores().jobs().delete(name))
                  .whenComplete(
                      (ok, err) -> {
                        if (err != null)
                          ctx.getLog().warn("Job index delete of {} failed", name, err);
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
    List<Instant> next = s.ticking() ? schedule(s.spec()).next(tickCursor(s), PREVIEW) : List.of();
    return new JobView(
        s.spec(), s.paused(), s.lastScheduled(), next, s.active().size(), s.queued().size());
  }

  // ---- ticks and the overlap policy

  private ReplyEffect<Event, JobState> onFire(JobState state, Fire fire) {
    if (!state.ticking() || !caughtUp) return Effect().noReply();
    Instant due = fire.due();
    if (state.lastScheduled() != null && !due.isAfter(state.lastScheduled())) {
      arm(state);
      return Effect().noReply();
    }
    OverlapPolicy overlap = state.spec().overlap();
    if (overlap != OverlapPolicy.ALLOW && startsNow(state)) {
      // Nothing runs, but a queued run (a catch-up backlog, the run queued behind one that just
      // ended) is due and its Drain is still in the mailbox: this tick was unstashed ahead of it.
      // Let the Drain start it first, then decide the tick against what really runs; otherwise a
      // tick after a catch-up is SKIPPED as "previous run still active" while nothing is.
      ctx.getSelf().tell(new Drain());
      ctx.getSelf().tell(fire);
      return Effect().noReply();
    }
    if (!state.busy() || overlap == OverlapPolicy.ALLOW) {
      return fire(state, newRunId(), due, RunReason.SCHEDULE, 1).thenRun(this::arm).thenNoReply();
    }
    if (overlap == OverlapPolicy.SKIP) {
      return skip(List.of(due), "previous run still active");
    }
    boolean tickWaiting =
        state.queued().stream()
            .anyMatch(q -> q.reason() == RunReason.SCHEDULE || q.reason() == RunReason.CATCHUP);
    if (tickWaiting) return skip(List.of(due), "a run is already queued");
    boolean replace = overlap == OverlapPolicy.REPLACE;
    String runId = newRunId();
    return Effect()
        .persist(new RunQueued(runId, due, RunReason.SCHEDULE, 1, clock.instant()))
        .thenRun(
            s -> {
              // Only once the decision is persisted: a failed write must not have killed the run.
              if (replace) killActive(state);
              write(RunRecord.fired(runId, name, due, null, 1, RunReason.SCHEDULE));
              arm(s);
              ctx.getSelf().tell(new Drain());
            })
        .thenNoReply();
  }

  /** Whether a Drain would start a queued run right now (same conditions as {@link #onDrain}). */
  private boolean startsNow(JobState state) {
    return state.ticking()
        && state.active().isEmpty()
        && state.nextQueued().map(q -> !q.notBefore().isAfter(clock.instant())).orElse(false);
  }

  private ReplyEffect<Event, JobState> skip(List<Instant> ticks, String reason) {
    return Effect()
        .persist(new TicksSkipped(ticks, reason))
        .thenRun(
            s -> {
              metrics.skipped(ticks.size());
              writeAll(skippedRecords(ticks, reason));
              arm(s);
            })
        .thenNoReply();
  }

  private List<RunRecord> skippedRecords(List<Instant> ticks, String reason) {
    Instant now = clock.instant();
    return ticks.stream().map(t -> skippedRecord(t, reason, now)).toList();
  }

  /** {@code decidedAt}: when the skip was decided, its run's fired and finished time. */
  private RunRecord skippedRecord(Instant tick, String reason, Instant decidedAt) {
    return new RunRecord(
        skippedRunId(name, tick),
        name,
        tick,
        decidedAt,
        null,
        decidedAt,
        null,
        1,
        RunReason.SCHEDULE,
        RunStatus.SKIPPED,
        null,
        reason,
        null);
  }

  /** A skipped tick's run id is derived from the tick, so the event need not carry it. */
  public static String skippedRunId(String job, Instant tick) {
    return UUID.nameUUIDFromBytes((job + "|" + tick).getBytes(StandardCharsets.UTF_8)).toString();
  }

  private ReplyEffect<Event, JobState> onTrigger(JobState state, Trigger cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    // A manual run always starts, paused or not and whatever the overlap policy, as an operator
    // asked.
    String runId = newRunId();
    return fire(state, runId, clock.instant(), RunReason.MANUAL, 1)
        .thenReply(cmd.replyTo(), s -> new Triggered(runId));
  }

  /** Starts the queued run that may go first, if the overlap policy lets it go now. */
  private ReplyEffect<Event, JobState> onDrain(JobState state, Drain cmd) {
    // Queued runs (retries, catch-up) wait while the job is paused or disabled.
    if (!state.ticking()) return Effect().noReply();
    var next = state.nextQueued();
    if (next.isEmpty()) return Effect().noReply();
    if (!state.active().isEmpty() && state.spec().overlap() != OverlapPolicy.ALLOW) {
      return Effect().noReply();
    }
    JobState.QueuedRun q = next.get();
    Duration wait = Duration.between(clock.instant(), q.notBefore());
    if (!wait.isNegative() && !wait.isZero()) {
      timers.startSingleTimer(QUEUE, new Drain(), wait);
      return Effect().noReply();
    }
    return fire(state, q.runId(), q.scheduledAt(), q.reason(), q.attempt())
        .thenRun(s -> ctx.getSelf().tell(new Drain()))
        .thenNoReply();
  }

  /**
   * Persists the decision to run, then hands the run over: the order is the at-most-once guarantee.
   */
  private EffectBuilder<Event, JobState> fire(
      JobState state, String runId, Instant scheduledAt, RunReason reason, int attempt) {
    Instant now = clock.instant();
    long persistStart = System.nanoTime();
    if (reason == RunReason.SCHEDULE) metrics.fired(Duration.between(scheduledAt, now));
    RunRecord record = RunRecord.fired(runId, name, scheduledAt, now, attempt, reason);
    if (state.spec().action() instanceof Action.Noop) {
      String self = deps.placement().selfNode();
      return Effect()
          .persist(new RunFired(runId, scheduledAt, now, reason, attempt, self, true))
          .thenRun(
              s -> {
                metrics.journalWrite(Duration.ofNanos(System.nanoTime() - persistStart));
                metrics.runFinished(name, RunStatus.SUCCEEDED);
                write(ended(record, self, now, RunStatus.SUCCEEDED, null));
              });
    }
    List<String> candidates = deps.placement().candidates(Set.of());
    String node = candidates.isEmpty() ? null : candidates.get(0);
    return Effect()
        .persist(new RunFired(runId, scheduledAt, now, reason, attempt, node, false))
        .thenRun(
            s -> {
              metrics.journalWrite(Duration.ofNanos(System.nanoTime() - persistStart));
              write(ended(record, node, null, RunStatus.PENDING, null));
              if (node == null) {
                ctx.getSelf()
                    .tell(new Dispatched(runId, null, false, "no executor node available"));
              } else {
                dispatch(s, runId, node);
              }
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
    deps.placement().sent(node);
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
          if (ack instanceof ExecutorNode.Refused r)
            return new Dispatched(runId, node, false, r.why());
          return new Dispatched(
              runId, node, false, "no answer from " + node + " within " + timeout);
        });
  }

  private ReplyEffect<Event, JobState> onDispatched(JobState state, Dispatched d) {
    JobState.ActiveRun run = state.active().get(d.runId());
    if (d.accepted() || run == null || !Objects.equals(d.node(), run.node())) {
      if (d.accepted() || run == null) tried.remove(d.runId());
      return Effect().noReply();
    }
    List<String> next = deps.placement().candidates(tried.getOrDefault(d.runId(), Set.of()));
    if (next.isEmpty()) {
      tried.remove(d.runId());
      String why = d.node() == null ? d.why() : "no executor accepted the run; last: " + d.why();
      return finish(state, d.runId(), RunStatus.FAILED, why).thenNoReply();
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
    return finish(state, cmd.runId(), cmd.status(), null)
        .thenReply(cmd.replyTo(), s -> Done.getInstance());
  }

  /**
   * Ends a run and applies the retry policy: a FAILED, TIMED_OUT or LOST run is queued again as the
   * next attempt of the same tick, after the backoff. {@code message} non-null means this entity
   * writes the run's final record (the executor writes its own).
   */
  private EffectBuilder<Event, JobState> finish(
      JobState state, String runId, RunStatus status, String message) {
    JobState.ActiveRun active = state.active().get(runId);
    var queued = state.queuedRun(runId);
    Instant scheduledAt = active != null ? active.scheduledAt() : queued.get().scheduledAt();
    int attempt = active != null ? active.attempt() : queued.get().attempt();
    RunReason reason = active != null ? active.reason() : queued.get().reason();
    List<Event> events = new ArrayList<>();
    events.add(new RunFinished(runId, status));
    RunRecord retry = null;
    boolean retryable =
        status == RunStatus.FAILED || status == RunStatus.TIMED_OUT || status == RunStatus.LOST;
    if (retryable && state.spec() != null && state.spec().retry().retriesAfter(attempt)) {
      String retryId = newRunId();
      Instant notBefore = clock.instant().plus(state.spec().retry().backoffAfter(attempt));
      events.add(new RunQueued(retryId, scheduledAt, RunReason.RETRY, attempt + 1, notBefore));
      retry = RunRecord.fired(retryId, name, scheduledAt, null, attempt + 1, RunReason.RETRY);
    }
    RunRecord retryRecord = retry;
    RunRecord done =
        message == null
            ? null
            : new RunRecord(
                runId,
                name,
                scheduledAt,
                null,
                null,
                clock.instant(),
                null,
                attempt,
                reason,
                status,
                null,
                message,
                null);
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              if (done != null) {
                metrics.runFinished(name, status);
                write(done);
              }
              if (retryRecord != null) write(retryRecord);
              ctx.getSelf().tell(new Drain());
            });
  }

  private ReplyEffect<Event, JobState> onKill(JobState state, KillRun cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    JobState.ActiveRun run = state.active().get(cmd.runId());
    if (run != null) {
      var executor = deps.placement().executor(run.node());
      if (executor.isPresent()) {
        executor.get().tell(new ExecutorNode.Kill(cmd.runId()));
        return Effect().reply(cmd.replyTo(), new Killing(cmd.runId()));
      }
      // Its executor is gone: nothing runs it any more, so the kill is already done.
      return finish(state, cmd.runId(), RunStatus.KILLED, "killed; its executor node was gone")
          .thenReply(cmd.replyTo(), s -> new Killing(cmd.runId()));
    }
    if (state.queuedRun(cmd.runId()).isPresent()) {
      return finish(state, cmd.runId(), RunStatus.KILLED, "killed before it started")
          .thenReply(cmd.replyTo(), s -> new Killing(cmd.runId()));
    }
    return Effect()
        .reply(
            cmd.replyTo(),
            new Rejected(Problem.CONFLICT, "run " + cmd.runId() + " has already finished"));
  }

  private void killActive(JobState state) {
    state
        .active()
        .forEach(
            (runId, run) -> {
              deps.placement()
                  .executor(run.node())
                  .ifPresent(e -> e.tell(new ExecutorNode.Kill(runId)));
            });
  }

  // ---- recovery and catch-up

  private void onRecovered(JobState state) {
    Map<String, RunRecord> repair = replayed;
    replayed = null;
    if (state.exists() && repair != null) writeAll(List.copyOf(repair.values()));
    if (!state.exists()) {
      // A deleted job restarted by remember-entities has nothing to do; but a create may be on its
      // way
      // (it is what restarted it), so it goes only if it is still deleted a little later.
      if (lastSequenceNumber(ctx) > 0) {
        timers.startSingleTimer(PASSIVATE, new PassivateIfDeleted(), deps.settings().askTimeout());
      }
      return;
    }
    if (definitionReplayed) {
      deps.stores()
          .async(() -> deps.stores().jobs().upsert(state.spec(), state.paused()))
          .whenComplete(
              (ok, err) -> {
                if (err != null) ctx.getLog().warn("Job index repair of {} failed", name, err);
              });
    }
    metrics.recovered();
    caughtUp = false;
    ctx.getSelf().tell(new CatchUp());
    if (!state.active().isEmpty()) {
      // Give the Receptionist time to list the cluster's executors before asking them.
      timers.startSingleTimer(PROBE, new ProbeActive(), deps.settings().executor().ackTimeout());
    }
  }

  /** Decides every tick missed while the job was not running, per its catch-up policy. */
  private ReplyEffect<Event, JobState> onCatchUp(JobState state, CatchUp cmd) {
    caughtUp = true;
    Instant now = clock.instant();
    List<Instant> missed =
        state.ticking() && state.lastScheduled() != null ? missedTicks(state, now) : List.of();
    if (missed.isEmpty()) {
      arm(state);
      ctx.getSelf().tell(new Drain());
      return Effect().noReply();
    }
    List<CatchUpPolicy.Decision> plan = state.spec().catchUp().plan(missed, now);
    Map<String, List<Instant>> skipped = new LinkedHashMap<>();
    List<Event> events = new ArrayList<>();
    List<RunRecord> records = new ArrayList<>();
    // A run done in place needs no queue: queued catch-up runs would make every tick that comes
    // while they drain, one persist each, count as overlapping, and the default policy skips it.
    boolean inPlace = state.spec().action() instanceof Action.Noop;
    String self = deps.placement().selfNode();
    for (CatchUpPolicy.Decision d : plan) {
      if (d.fires()) {
        String runId = newRunId();
        if (inPlace) {
          events.add(new RunFired(runId, d.tick(), now, RunReason.CATCHUP, 1, self, true));
          records.add(
              ended(
                  RunRecord.fired(runId, name, d.tick(), now, 1, RunReason.CATCHUP),
                  self,
                  now,
                  RunStatus.SUCCEEDED,
                  null));
        } else {
          events.add(new RunQueued(runId, d.tick(), RunReason.CATCHUP, 1, now));
          records.add(RunRecord.fired(runId, name, d.tick(), null, 1, RunReason.CATCHUP));
        }
      } else {
        skipped.computeIfAbsent(d.skipReason(), r -> new ArrayList<>()).add(d.tick());
      }
    }
    skipped.forEach(
        (reason, ticks) -> {
          events.add(new TicksSkipped(ticks, reason));
          records.addAll(skippedRecords(ticks, reason));
        });
    ctx.getLog()
        .info(
            "Job {} missed {} ticks: {} to run, the rest skipped",
            name,
            missed.size(),
            plan.stream().filter(CatchUpPolicy.Decision::fires).count());
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              int fired = events.size() - skipped.size();
              metrics.catchUp(fired);
              metrics.skipped(missed.size() - fired);
              writeAll(records);
              arm(s);
              ctx.getSelf().tell(new Drain());
            })
        .thenNoReply();
  }

  private List<Instant> missedTicks(JobState state, Instant now) {
    CronSchedule schedule = schedule(state.spec());
    List<Instant> missed = schedule.between(state.lastScheduled(), now, MAX_MISSED);
    if (missed.size() < MAX_MISSED) return missed;
    // Too many to record one by one: keep the newest, inside the window. They must reach up to now:
    // the high-water mark ends at the last one, and ticks left between it and now would all fire at
    // once as late scheduled ticks, past the catch-up policy.
    Instant windowStart = now.minus(state.spec().catchUp().window());
    Instant from = state.lastScheduled();
    while (missed.size() >= MAX_MISSED) {
      // MAX_MISSED ticks took `covered` after `from`: start a little less than that before now, and
      // at least twice as close to now as before, so this ends.
      Duration covered = Duration.between(from, missed.get(missed.size() - 1));
      Duration half = Duration.between(from, now).dividedBy(2);
      Duration back = covered.multipliedBy(9).dividedBy(10);
      from = now.minus(back.compareTo(half) < 0 ? back : half);
      if (from.isBefore(windowStart)) from = windowStart;
      missed = schedule.between(from, now, MAX_MISSED);
    }
    ctx.getLog()
        .warn("Job {} missed over {} ticks; recording those since {} only", name, MAX_MISSED, from);
    return missed;
  }

  /** Runs in flight before a restart are asked for; those nobody runs any more are LOST. */
  private ReplyEffect<Event, JobState> onProbeActive(JobState state, ProbeActive cmd) {
    Duration timeout = deps.settings().executor().ackTimeout();
    state
        .active()
        .forEach(
            (runId, run) -> {
              var executor = deps.placement().executor(run.node());
              if (executor.isEmpty()) {
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
    // A run redirected since the question was asked is somebody else's now.
    if (p.running() || run == null || !Objects.equals(p.node(), run.node())) {
      return Effect().noReply();
    }
    String why =
        p.node() == null
            ? "the run was never handed to an executor"
            : "executor " + p.node() + " no longer runs it";
    return finish(state, p.runId(), RunStatus.LOST, why).thenNoReply();
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
    if (delay.compareTo(MAX_TIMER) > 0) {
      timers.startSingleTimer(TICK, new Rearm(), MAX_TIMER);
      return;
    }
    timers.startSingleTimer(TICK, new Fire(next.get()), delay.isNegative() ? Duration.ZERO : delay);
  }

  /** During recovery: the run record a replayed event stands for, as its live handler wrote it. */
  private void collectReplayed(JobState before, Event event) {
    if (event instanceof Defined || event instanceof Paused || event instanceof Resumed) {
      definitionReplayed = true;
    }
    if (event instanceof RunFired f) {
      RunRecord fired =
          RunRecord.fired(f.runId(), name, f.scheduledAt(), f.firedAt(), f.attempt(), f.reason());
      replayed.remove(f.runId());
      replayed.put(
          f.runId(),
          f.done()
              ? ended(fired, f.node(), f.firedAt(), RunStatus.SUCCEEDED, null)
              : ended(fired, f.node(), null, RunStatus.PENDING, null));
    } else if (event instanceof RunQueued q) {
      replayed.put(
          q.runId(),
          RunRecord.fired(q.runId(), name, q.scheduledAt(), null, q.attempt(), q.reason()));
    } else if (event instanceof RunRedirected r) {
      RunRecord run = replayed.get(r.runId());
      if (run != null) replayed.put(r.runId(), ended(run, r.node(), null, run.status(), null));
    } else if (event instanceof RunFinished f) {
      RunRecord run = replayed.get(f.runId());
      if (run == null) return;
      // A run done in place ended as it fired; another's executor wrote its end (with exit code and
      // output), which this only stands in for if that row is missing.
      boolean inPlace = before.spec() != null && before.spec().action() instanceof Action.Noop;
      Instant at = inPlace ? run.firedAt() : null;
      replayed.put(f.runId(), ended(run, run.node(), at, f.status(), null));
    } else if (event instanceof TicksSkipped s) {
      // When the skip was decided is not in the event; the tick stands in for it.
      for (Instant tick : s.ticks()) {
        replayed.put(skippedRunId(name, tick), skippedRecord(tick, s.reason(), tick));
      }
    } else if (event instanceof Deleted) {
      replayed.clear();
    }
  }

  /**
   * Where the next tick is looked for: after the high-water mark. Ticks between it and now are the
   * catch-up's (on recovery) or simply late (a timer that fired late fires the next one at once).
   */
  private Instant tickCursor(JobState state) {
    return state.lastScheduled() != null ? state.lastScheduled() : clock.instant();
  }

  private CronSchedule schedule(JobSpec spec) {
    if (spec != parsedFor) {
      parsed = CronSchedule.parse(spec.schedule(), spec.timezone());
      parsedFor = spec;
    }
    return parsed;
  }

  private static String newRunId() {
    return UUID.randomUUID().toString();
  }

  private void write(RunRecord record) {
    deps.stores().write(record);
  }

  private void writeAll(List<RunRecord> records) {
    deps.stores().writeAll(records);
  }

  private static RunRecord ended(
      RunRecord r, String node, Instant at, RunStatus status, String message) {
    return new RunRecord(
        r.id(),
        r.job(),
        r.scheduledAt(),
        r.firedAt(),
        at,
        at,
        node,
        r.attempt(),
        r.reason(),
        status,
        null,
        message,
        null);
  }
}
