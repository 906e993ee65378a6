package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.calendar.CalendarSync;
import io.distcron.cluster.NodeFence;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.metrics.NodeMetrics;
import io.distcron.placement.JobTarget;
import io.distcron.placement.Placement;
import io.distcron.run.Action;
import io.distcron.run.RunIds;
import io.distcron.run.RunOutcome;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.schedule.CalendarRules;
import io.distcron.schedule.CronSchedule;
import io.distcron.telemetry.Tracing;
import io.opentelemetry.api.trace.Span;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
import org.apache.pekko.persistence.typed.javadsl.CommandHandler;
import org.apache.pekko.persistence.typed.javadsl.Effect;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehavior;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One job: its definition, its schedule and its runs, sharded by job name and event-sourced. Its
 * events are the only record of its runs; the read side is built from them.
 *
 * <p>It keeps one timer armed for the next tick. A tick is persisted ({@link RunFired}) before the
 * run is handed over, and the persisted high-water mark ({@link JobState#lastScheduled()}) keeps a
 * tick from firing twice. A hand-off carries a fencing token (run id + epoch): the entity hands a
 * run to another node only under a new epoch, and only after the executor refused the current one
 * for good, so an executor never starts a run twice; it declares a run LOST only once its node has
 * left the cluster. While runs are active it checks on them on a timer. Nothing happens while the
 * node does not hold its lease ({@link NodeFence}): commands wait, and on a downed node they are
 * dropped. Talks to: the API ({@link JobsClient}), executors (runs, checks, kills out; reports in,
 * through sharding, acknowledged).
 */
public final class JobEntity
    extends EventSourcedBehavior<JobEntity.Command, JobEntity.Event, JobState> {

  public static final EntityTypeKey<Command> ENTITY_KEY =
      EntityTypeKey.create(Command.class, "Job");

  /** Tags spread the events over this many projection instances; fixed for a journal's life. */
  public static final int TAGS = 4;

  private static final String TICK = "tick";
  private static final String CHECK = "check";
  private static final String QUEUE = "queue";
  private static final String LEASE = "lease";
  private static final String PASSIVATE = "passivate";
  private static final int PREVIEW = 5;
  private static final Duration LEASE_RECHECK = Duration.ofMillis(200);
  private static final String CALENDAR = "calendar";
  private static final Duration CALENDAR_RECHECK = Duration.ofMillis(500);

  /**
   * How long a tick waits for a calendar this node does not know (not loaded yet, or created a
   * moment ago and not yet here): longer than the calendars' periodic reload, so what is still
   * unknown then is not in the calendars table at all, and the tick runs, with a warning.
   */
  static final Duration CALENDAR_GRACE = CalendarSync.EVERY.plusSeconds(5);

  /**
   * Pekko's scheduler refuses delays over about 248 days (the entity would crash on it): a tick
   * further away is reached by waking up on the way and arming again.
   */
  private static final Duration MAX_TIMER = Duration.ofDays(1);

  /** What an entity needs from its node. */
  /**
   * {@code calendars}: this node's view of the calendars, which jobs' ticks are checked against.
   */
  public record Deps(
      DistcronSettings settings,
      Clock clock,
      Placement placement,
      NodeFence fence,
      Tracing tracing,
      CalendarRules.Lookup calendars) {}

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

  /** Runs the job's ticks in {@code [from, to)} that nobody has decided; {@code from < to}. */
  public record StartBackfill(
      Instant from, Instant to, Backfill.Overlap overlap, ActorRef<Reply> replyTo)
      implements Command {}

  /** Its ticks not yet decided end SKIPPED. */
  public record CancelBackfill(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Bulk apply: create the job, or replace it unless its spec is the same. {@code spec.managedBy()}
   * is the applying owner; a job another owner manages is refused. {@code dryRun}: answer what
   * would be done, do nothing.
   */
  public record Apply(JobSpec spec, boolean dryRun, ActorRef<Reply> replyTo) implements Command {}

  /** Bulk apply's prune: delete the job if {@code owner} still manages it. */
  public record Prune(String owner, boolean dryRun, ActorRef<Reply> replyTo) implements Command {}

  /** From an executor, through sharding, wherever this job lives now. */
  public record Reported(ExecutorNode.Report report) implements Command {}

  /** {@code generation}: the arming it belongs to; a tick of an earlier arming is stale. */
  record Fire(Instant due, long generation) implements Command {}

  /** The timer's wake-up on the way to a tick further away than {@link #MAX_TIMER}. */
  record Rearm(long generation) implements Command {}

  record CatchUp() implements Command {}

  record Drain() implements Command {}

  record CheckRuns() implements Command {}

  /** A run's decision reached off a handler (its node left): ends it if it is still that run. */
  record GiveUp(RunToken token, RunOutcome outcome) implements Command {}

  record LeaseCheck() implements Command {}

  record PassivateIfDeleted() implements Command {}

  public sealed interface Reply extends CborSerializable {}

  /**
   * {@code revision}: the job's sequence number as of this view; the read side catches up to it.
   */
  public record JobView(
      JobSpec spec,
      boolean paused,
      Instant lastScheduled,
      List<Instant> nextFireTimes,
      int activeRuns,
      int queuedRuns,
      long revision,
      BackfillView backfill)
      implements Reply {}

  /**
   * The job's latest backfill: {@code decided} of its {@code ticks} are run or skipped; {@code
   * going} while some are not, or the latest still runs.
   */
  public record BackfillView(
      Instant from, Instant to, Backfill.Overlap overlap, int ticks, int decided, boolean going)
      implements CborSerializable {}

  /** {@code leftOut}: ticks in the range that the live schedule or an earlier backfill owns. */
  public record BackfillStarted(int ticks, int leftOut) implements Reply {}

  /** {@code ticks}: how many were still to decide, now SKIPPED. */
  public record BackfillCancelled(int ticks) implements Reply {}

  public record Triggered(String runId) implements Reply {}

  public record Killing(String runId) implements Reply {}

  public record Removed(long revision) implements Reply {}

  public record Rejected(Problem problem, String message) implements Reply {}

  /**
   * {@code revision}: as in {@link JobView}; -1 when nothing was written (a dry run). {@code
   * replaced}: the spec an update replaced (or would), so that the caller can say what changed;
   * null for any other outcome.
   */
  public record Applied(Outcome outcome, long revision, JobSpec replaced) implements Reply {}

  public enum Outcome {
    CREATED,
    UPDATED,
    UNCHANGED,
    DELETED
  }

  public enum Problem {
    NOT_FOUND,
    CONFLICT,
    /** A backfill's range holds more ticks than one may take: about its {@code to}. */
    TOO_MANY_TICKS
  }

  public sealed interface Event extends CborSerializable {}

  /** {@code at}: ticks before the definition are not owed. */
  public record Defined(JobSpec spec, Instant at) implements Event {}

  public record Paused() implements Event {}

  /** {@code at}: ticks that fell inside the pause are not owed. */
  public record Resumed(Instant at) implements Event {}

  public record Deleted() implements Event {}

  /**
   * A run fired and, unless {@code done}, handed to {@code node} (incarnation {@code nodeUid})
   * under {@code epoch} 1. {@code done}: it was done as it fired (noop) and SUCCEEDED — one event
   * for the cheapest and most frequent kind of run. Events written before a field existed read as
   * false, null and 0. {@code jitter}: how long after its tick a scheduled run was made to wait
   * ({@link JobSpec#delayOf}); null when the job has none.
   */
  public record RunFired(
      String runId,
      Instant scheduledAt,
      Instant firedAt,
      RunReason reason,
      int attempt,
      String node,
      boolean done,
      long nodeUid,
      int epoch,
      Duration jitter)
      implements Event {}

  /**
   * {@code cause}: the run this one follows from — a retry's failed attempt; a dependency's run
   * once runs can be triggered by others — so its trace links to that run's; null for none and in
   * events written before it existed.
   */
  public record RunQueued(
      String runId,
      Instant scheduledAt,
      RunReason reason,
      int attempt,
      Instant notBefore,
      String cause)
      implements Event {}

  /**
   * Ticks decided not to run; their runs' ids derive from the tick ({@link RunIds#skipped}). {@code
   * backfill}: they were a backfill's (false in events written before backfills existed).
   */
  public record TicksSkipped(List<Instant> ticks, String reason, boolean backfill)
      implements Event {
    public TicksSkipped(List<Instant> ticks, String reason) {
      this(ticks, reason, false);
    }
  }

  /**
   * Every tick from {@code from} up to (not including) {@code until}, decided not to run for one
   * reason: one record for many ticks. {@code count}: how many; 0 when too many to count. {@code
   * backfill}: as in {@link TicksSkipped}.
   */
  public record TickRangeSkipped(
      Instant from, Instant until, long count, String reason, boolean backfill) implements Event {
    public TickRangeSkipped(Instant from, Instant until, long count, String reason) {
      this(from, until, count, reason, false);
    }
  }

  /**
   * A backfill of the ticks in {@code [from, to)} that nobody decided yet ({@code ticks} of them)
   * is decided; its ticks are then decided one by one, as runs with reason BACKFILL or skips.
   */
  public record BackfillRequested(
      Instant from, Instant to, Backfill.Overlap overlap, int ticks, Instant at) implements Event {}

  /** The run's executor refused it for good: handed to {@code node} under {@code epoch}. */
  public record RunRedirected(String runId, String node, long nodeUid, int epoch)
      implements Event {}

  public record RunStarted(String runId, int epoch, String node, Instant at) implements Event {}

  /** {@code at} and the outcome's details are null in events written before they existed. */
  public record RunFinished(
      String runId, RunStatus status, Integer exitCode, String message, Instant at)
      implements Event {}

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

  /** The tag of a job's events: which projection instance reads them. */
  public static String tag(String job) {
    return tagOf(Math.floorMod(job.hashCode(), TAGS));
  }

  public static String tagOf(int instance) {
    return "job-" + instance;
  }

  private final String name;
  private final Deps deps;
  private final Clock clock;
  private final ActorContext<Command> ctx;
  private final TimerScheduler<Command> timers;
  private final ActorRef<ClusterSharding.ShardCommand> shard;
  private final NodeMetrics metrics;
  private final HandOffs handOffs = new HandOffs();
  private final Set<String> tags;

  /**
   * False from a recovery until its catch-up has run. A tick that came while a journal write was
   * failing (the entity then restarts with backoff) is delivered after the recovery, ahead of the
   * catch-up; deciding it then, against a state that may still hold a run whose end could not be
   * written, would skip it as "previous run still active". The catch-up decides it instead.
   */
  private boolean caughtUp = true;

  /** Counts armings of the tick timer: a {@link Fire} stashed across a change is stale. */
  private long armed;

  /** Since when this job's decisions wait for a calendar this node does not know; null: none. */
  private Instant calendarWaitSince;

  private JobSpec parsedFor;
  private CronSchedule parsed;

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
    this.tags = Set.of(tag(name));
  }

  @Override
  public JobState emptyState() {
    return JobState.EMPTY;
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return tags;
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
    return newEventHandlerBuilder().forAnyState().onAnyEvent(JobState::apply);
  }

  @Override
  public SignalHandler<JobState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), this::onRecovered)
        .build();
  }

  @Override
  public CommandHandler<Command, Event, JobState> commandHandler() {
    // Not the enforced-replies flavour: Pekko's Java API has no reply effect that unstashes, and
    // holding commands back while the lease is away needs one. Every handler still answers its
    // asker (ReplyEffect) where there is one.
    return newCommandHandlerBuilder()
        .forAnyState()
        .onCommand(LeaseCheck.class, this::onLeaseCheck)
        .onCommand(c -> !deps.fence().leaseHeld(), this::heldBack)
        .onCommand(Create.class, this::onCreate)
        .onCommand(Replace.class, this::onReplace)
        .onCommand(Get.class, this::onGet)
        .onCommand(Pause.class, this::onPause)
        .onCommand(Resume.class, this::onResume)
        .onCommand(Delete.class, this::onDelete)
        .onCommand(Apply.class, this::onApply)
        .onCommand(Prune.class, this::onPrune)
        .onCommand(Trigger.class, this::onTrigger)
        .onCommand(KillRun.class, this::onKill)
        .onCommand(StartBackfill.class, this::onStartBackfill)
        .onCommand(CancelBackfill.class, this::onCancelBackfill)
        .onCommand(Reported.class, this::onReported)
        .onCommand(Fire.class, this::onFire)
        .onCommand(Rearm.class, this::onRearm)
        .onCommand(CatchUp.class, this::onCatchUp)
        .onCommand(Drain.class, this::onDrain)
        .onCommand(CheckRuns.class, this::onCheckRuns)
        .onCommand(GiveUp.class, this::onGiveUp)
        .onCommand(PassivateIfDeleted.class, this::onPassivateIfDeleted)
        .build();
  }

  // ---- the lease

  /**
   * Without its lease this node may have been cut off and replaced: it decides nothing until the
   * lease is back, and a downed node never again.
   */
  private ReplyEffect<Event, JobState> heldBack(JobState state, Command cmd) {
    if (deps.fence().downed() != null) return Effect().noReply();
    if (!timers.isTimerActive(LEASE)) {
      timers.startSingleTimer(LEASE, new LeaseCheck(), LEASE_RECHECK);
    }
    return Effect().stash();
  }

  private Effect<Event, JobState> onLeaseCheck(JobState state, LeaseCheck cmd) {
    if (deps.fence().leaseHeld()) return Effect().unstashAll();
    if (deps.fence().downed() == null) {
      timers.startSingleTimer(LEASE, new LeaseCheck(), LEASE_RECHECK);
    }
    return Effect().noReply();
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
    // A job replaced by hand stays its owner's: the next apply puts the owner's spec back.
    return define(cmd.spec().withManagedBy(state.spec().managedBy()), cmd.replyTo());
  }

  private ReplyEffect<Event, JobState> define(JobSpec spec, ActorRef<Reply> replyTo) {
    return defining(spec).thenReply(replyTo, this::view);
  }

  private EffectBuilder<Event, JobState> defining(JobSpec spec) {
    return Effect()
        .persist(new Defined(spec, clock.instant()))
        .thenRun(
            s -> {
              arm(s);
              ctx.getSelf().tell(new Drain());
            });
  }

  private ReplyEffect<Event, JobState> onApply(JobState state, Apply cmd) {
    if (!state.exists()) {
      if (cmd.dryRun()) {
        passivate();
        return Effect().reply(cmd.replyTo(), new Applied(Outcome.CREATED, -1, null));
      }
      return applied(defining(cmd.spec()), cmd.replyTo(), Outcome.CREATED, null);
    }
    String owner = state.spec().managedBy();
    if (owner != null && !owner.equals(cmd.spec().managedBy())) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(Problem.CONFLICT, "job '" + name + "' is managed by '" + owner + "'"));
    }
    if (state.spec().equals(cmd.spec())) {
      return Effect()
          .reply(cmd.replyTo(), new Applied(Outcome.UNCHANGED, lastSequenceNumber(ctx), null));
    }
    if (cmd.dryRun()) {
      return Effect().reply(cmd.replyTo(), new Applied(Outcome.UPDATED, -1, state.spec()));
    }
    return applied(defining(cmd.spec()), cmd.replyTo(), Outcome.UPDATED, state.spec());
  }

  private ReplyEffect<Event, JobState> onPrune(JobState state, Prune cmd) {
    if (!state.exists()) passivate();
    if (!state.exists() || !cmd.owner().equals(state.spec().managedBy())) {
      return Effect()
          .reply(cmd.replyTo(), new Applied(Outcome.UNCHANGED, lastSequenceNumber(ctx), null));
    }
    if (cmd.dryRun()) return Effect().reply(cmd.replyTo(), new Applied(Outcome.DELETED, -1, null));
    return applied(deleting(state), cmd.replyTo(), Outcome.DELETED, null);
  }

  private ReplyEffect<Event, JobState> applied(
      EffectBuilder<Event, JobState> effect,
      ActorRef<Reply> replyTo,
      Outcome outcome,
      JobSpec replaced) {
    return effect.thenReply(replyTo, s -> new Applied(outcome, lastSequenceNumber(ctx), replaced));
  }

  private ReplyEffect<Event, JobState> onGet(JobState state, Get cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return Effect().reply(cmd.replyTo(), view(state));
  }

  private ReplyEffect<Event, JobState> onPause(JobState state, Pause cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    if (state.paused()) return Effect().reply(cmd.replyTo(), view(state));
    return Effect().persist(new Paused()).thenRun(this::arm).thenReply(cmd.replyTo(), this::view);
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
            })
        .thenReply(cmd.replyTo(), this::view);
  }

  /**
   * Deleting ends every run of the job — the active ones are killed — so none stays PENDING or
   * RUNNING in the history of a job that no longer exists.
   */
  private ReplyEffect<Event, JobState> onDelete(JobState state, Delete cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    return deleting(state).thenReply(cmd.replyTo(), s -> new Removed(lastSequenceNumber(ctx)));
  }

  private EffectBuilder<Event, JobState> deleting(JobState state) {
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    state
        .active()
        .keySet()
        .forEach(
            runId ->
                events.add(
                    new RunFinished(
                        runId, RunStatus.KILLED, null, "job deleted during the run", now)));
    state.queued().stream()
        .map(
            q ->
                new RunFinished(
                    q.runId(), RunStatus.KILLED, null, "job deleted before the run started", now))
        .forEach(events::add);
    events.add(new Deleted());
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              timers.cancelAll();
              state.active().forEach((runId, run) -> sendKill(runId, run));
              passivate();
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

  private ReplyEffect<Event, JobState> onPassivateIfDeleted(JobState state, PassivateIfDeleted c) {
    if (!state.exists()) passivate();
    return Effect().noReply();
  }

  private JobView view(JobState s) {
    List<Instant> next = s.ticking() ? schedule(s.spec()).next(tickCursor(s), PREVIEW) : List.of();
    return new JobView(
        s.spec(),
        s.paused(),
        s.lastScheduled(),
        next,
        s.active().size(),
        s.queued().size(),
        lastSequenceNumber(ctx),
        backfillView(s));
  }

  private BackfillView backfillView(JobState s) {
    Backfill b = s.backfill();
    if (b == null) return null;
    return new BackfillView(
        b.from(), b.to(), b.overlap(), b.ticks(), b.decided(), backfillGoing(s));
  }

  // ---- ticks and the overlap policy

  private ReplyEffect<Event, JobState> onFire(JobState state, Fire fire) {
    if (fire.generation() != armed || !state.ticking() || !caughtUp) return Effect().noReply();
    Instant due = fire.due();
    if (state.lastScheduled() != null && !due.isAfter(state.lastScheduled())) {
      arm(state);
      return Effect().noReply();
    }
    if (awaitingCalendars(state, fire)) return Effect().noReply();
    var excluded = CalendarRules.excludedBy(state.spec().excludeCalendars(), due, deps.calendars());
    TickDecisions.OnTick decision =
        excluded.isPresent()
            ? new TickDecisions.Skip(excluded.get())
            : TickDecisions.onTick(state, clock.instant());
    if (decision instanceof TickDecisions.DrainFirst) {
      ctx.getSelf().tell(new Drain());
      ctx.getSelf().tell(fire);
      return Effect().noReply();
    }
    if (decision instanceof TickDecisions.Fire) {
      return fire(state, RunIds.random(), due, RunReason.SCHEDULE, 1, null)
          .thenRun(this::arm)
          .thenNoReply();
    }
    if (decision instanceof TickDecisions.Skip skip) {
      return Effect()
          .persist(new TicksSkipped(List.of(due), skip.reason()))
          .thenRun(
              s -> {
                metrics.skipped(1);
                arm(s);
              })
          .thenNoReply();
    }
    boolean replace = ((TickDecisions.Queue) decision).replace();
    return Effect()
        .persist(new RunQueued(RunIds.random(), due, RunReason.SCHEDULE, 1, clock.instant(), null))
        .thenRun(
            s -> {
              // Only once the decision is persisted: a failed write must not have killed the run.
              if (replace) killActive(state);
              arm(s);
              ctx.getSelf().tell(new Drain());
            })
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> onRearm(JobState state, Rearm r) {
    if (r.generation() == armed) arm(state);
    return Effect().noReply();
  }

  private ReplyEffect<Event, JobState> onTrigger(JobState state, Trigger cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    // A manual run always starts, paused or not and whatever the overlap policy: an operator asked.
    String runId = RunIds.random();
    return fire(state, runId, clock.instant(), RunReason.MANUAL, 1, null)
        .thenReply(cmd.replyTo(), s -> new Triggered(runId));
  }

  /** Starts the queued run that may go first, if the overlap policy lets it go now. */
  private ReplyEffect<Event, JobState> onDrain(JobState state, Drain cmd) {
    var next = TickDecisions.drainable(state);
    if (next.isEmpty()) return backfillStep(state);
    JobState.QueuedRun q = next.get();
    Duration wait = Duration.between(clock.instant(), q.notBefore());
    if (!wait.isNegative() && !wait.isZero()) {
      timers.startSingleTimer(QUEUE, new Drain(), wait);
      return backfillStep(state);
    }
    return fire(state, q.runId(), q.scheduledAt(), q.reason(), q.attempt(), q.cause())
        .thenRun(s -> ctx.getSelf().tell(new Drain()))
        .thenNoReply();
  }

  // ---- backfills

  private ReplyEffect<Event, JobState> onStartBackfill(JobState state, StartBackfill cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    if (backfillGoing(state)) {
      Backfill b = state.backfill();
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(
                  Problem.CONFLICT,
                  "job '"
                      + name
                      + "' has a backfill in progress ("
                      + b.decided()
                      + " of "
                      + b.ticks()
                      + " ticks decided): cancel it first"));
    }
    Backfill.Plan plan =
        Backfill.plan(schedule(state.spec()), state.unowned(), cmd.from(), cmd.to());
    if (plan instanceof Backfill.TooMany tooMany) {
      return Effect().reply(cmd.replyTo(), new Rejected(Problem.TOO_MANY_TICKS, tooMany.message()));
    }
    Backfill.Accepted accepted = (Backfill.Accepted) plan;
    BackfillStarted started = new BackfillStarted(accepted.ticks(), accepted.leftOut());
    if (accepted.ticks() == 0) return Effect().reply(cmd.replyTo(), started);
    return Effect()
        .persist(
            new BackfillRequested(
                cmd.from(), cmd.to(), cmd.overlap(), accepted.ticks(), clock.instant()))
        .thenRun(s -> ctx.getSelf().tell(new Drain()))
        .thenReply(cmd.replyTo(), s -> started);
  }

  private ReplyEffect<Event, JobState> onCancelBackfill(JobState state, CancelBackfill cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    if (!backfillGoing(state)) {
      return Effect()
          .reply(
              cmd.replyTo(),
              new Rejected(Problem.NOT_FOUND, "job '" + name + "' has no backfill in progress"));
    }
    Backfill b = state.backfill();
    List<Instant> left = b.remaining(schedule(state.spec()), Backfill.MAX_TICKS);
    if (left.isEmpty()) return Effect().reply(cmd.replyTo(), new BackfillCancelled(0));
    String why = "backfill cancelled";
    Event skipped =
        left.size() <= Backfill.MAX_SKIPPED_ONE_BY_ONE
            ? new TicksSkipped(left, why, true)
            : new TickRangeSkipped(left.get(0), b.to(), left.size(), why, true);
    return Effect()
        .persist(skipped)
        .thenRun(s -> metrics.skipped(left.size()))
        .thenReply(cmd.replyTo(), s -> new BackfillCancelled(left.size()));
  }

  private boolean backfillGoing(JobState state) {
    return state.backfill() != null
        && (state.backfillRunning() || state.backfill().next(schedule(state.spec())).isPresent());
  }

  /** Decides the backfill's next tick, if its turn has come: run it, or skip some. */
  private ReplyEffect<Event, JobState> backfillStep(JobState state) {
    var step = TickDecisions.backfillStep(state, schedule(state.spec()));
    if (step instanceof TickDecisions.RunTick run) {
      return fire(state, RunIds.random(), run.tick(), RunReason.BACKFILL, 1, null)
          .thenRun(s -> ctx.getSelf().tell(new Drain()))
          .thenNoReply();
    }
    if (step instanceof TickDecisions.SkipTicks skip) {
      return Effect()
          .persist(new TicksSkipped(skip.ticks(), skip.reason(), true))
          .thenRun(
              s -> {
                metrics.skipped(skip.ticks().size());
                ctx.getSelf().tell(new Drain());
              })
          .thenNoReply();
    }
    return Effect().noReply();
  }

  /**
   * Persists the decision to run, then hands the run over: the order is the at-most-once guarantee.
   * A noop run is done as it fires; a run no executor can take fails at once. The run's trace
   * starts here; {@code cause}: the run it follows from, if any ({@link RunQueued#cause}).
   */
  private EffectBuilder<Event, JobState> fire(
      JobState state,
      String runId,
      Instant scheduledAt,
      RunReason reason,
      int attempt,
      String cause) {
    Instant now = clock.instant();
    Span tick =
        deps.tracing()
            .startTick(
                name, runId, scheduledAt, reason, attempt, deps.placement().selfNode(), cause);
    long persistStart = System.nanoTime();
    Duration jitter =
        reason == RunReason.SCHEDULE && state.spec().jitter() != null
            ? state.spec().delayOf(scheduledAt)
            : null;
    if (reason == RunReason.SCHEDULE) {
      Instant due = jitter == null ? scheduledAt : scheduledAt.plus(jitter);
      metrics.fired(Duration.between(due, now));
    }
    Runnable written =
        () -> metrics.journalWrite(Duration.ofNanos(System.nanoTime() - persistStart));
    if (state.spec().action() instanceof Action.Noop) {
      String self = deps.placement().selfNode();
      return Effect()
          .persist(new RunFired(runId, scheduledAt, now, reason, attempt, self, true, 0, 0, jitter))
          .thenRun(
              s -> {
                written.run();
                metrics.runFinished(name, RunStatus.SUCCEEDED);
                Tracing.ended(tick, RunStatus.SUCCEEDED, null, null);
              });
    }
    JobTarget where = state.spec().target();
    var target = deps.placement().candidates(where, Set.of()).stream().findFirst();
    if (target.isEmpty()) {
      String why =
          where == null
              ? "no executor node available"
              : "no executor matches target " + where.describe();
      List<Event> events = new ArrayList<>();
      events.add(new RunFired(runId, scheduledAt, now, reason, attempt, null, false, 0, 0, jitter));
      events.addAll(
          finishing(state, runId, scheduledAt, attempt, RunOutcome.of(RunStatus.FAILED, why), now));
      return Effect()
          .persist(events)
          .thenRun(
              s -> {
                written.run();
                Tracing.ended(tick, RunStatus.FAILED, null, why);
                afterFinish(s, runId);
              });
    }
    Placement.Target t = target.get();
    return Effect()
        .persist(
            new RunFired(
                runId, scheduledAt, now, reason, attempt, t.node(), false, t.uid(), 1, jitter))
        .thenRun(
            s -> {
              written.run();
              tick.end();
              handOff(s, runId, t);
            });
  }

  // ---- hand-offs and what executors report

  private void handOff(JobState state, String runId, Placement.Target target) {
    JobState.ActiveRun run = state.active().get(runId);
    handOffs.offered(runId, target.node());
    deps.placement().sent(target.node());
    String traceparent = deps.tracing().handOff(name, runId, target.node(), run.epoch());
    target
        .ref()
        .tell(
            new ExecutorNode.Run(
                run.token(runId),
                target.uid(),
                name,
                run.scheduledAt(),
                run.attempt(),
                run.reason(),
                state.spec().action(),
                state.spec().timeoutSeconds(),
                traceparent));
    checkActive(state, deps.settings().executor().ackTimeout());
  }

  private ReplyEffect<Event, JobState> onReported(JobState state, Reported cmd) {
    ExecutorNode.Report report = cmd.report();
    RunToken token = report.token();
    JobState.ActiveRun run = state.active().get(token.runId());
    boolean current = run != null && run.epoch() == token.epoch();
    if (report instanceof ExecutorNode.Ended ended) {
      if (!current) return acknowledged(ended.executor(), token, true);
      return finish(state, token.runId(), ended.outcome(), ended.at())
          .thenRun(s -> ended.executor().tell(new ExecutorNode.Ack(token, true)))
          .thenNoReply();
    }
    if (report instanceof ExecutorNode.Started started) {
      if (!current) {
        // An execution nobody here stands for: it must not go on.
        started.executor().tell(new ExecutorNode.Kill(token, name, 0));
        ctx.getLog()
            .warn("Run {} of job {} started on {} unasked: killed", token, name, started.node());
        return Effect().noReply();
      }
      if (handOffs.killing(token.runId())) sendKill(token.runId(), run);
      if (run.started()) return acknowledged(started.executor(), token, false);
      return Effect()
          .persist(new RunStarted(token.runId(), token.epoch(), started.node(), started.at()))
          .thenRun(s -> started.executor().tell(new ExecutorNode.Ack(token, false)))
          .thenNoReply();
    }
    ExecutorNode.Refused refused = (ExecutorNode.Refused) report;
    if (!current) return Effect().noReply();
    // A run someone asked to kill ends KILLED, whatever else ended it: it must not come back as a
    // retry.
    if (handOffs.killing(token.runId())) {
      String why =
          run.started() || run.legacy()
              ? "killed; " + refused.node() + " no longer has the run"
              : "killed before it started";
      return finish(state, token.runId(), RunOutcome.of(RunStatus.KILLED, why)).thenNoReply();
    }
    if (run.started() || run.legacy()) {
      return finish(
              state,
              token.runId(),
              RunOutcome.of(
                  RunStatus.LOST, refused.node() + " no longer has the run: " + refused.why()))
          .thenNoReply();
    }
    return redirect(state, token, refused);
  }

  /** Hands a run its executor refused to the next node under a new epoch, or fails it. */
  private ReplyEffect<Event, JobState> redirect(
      JobState state, RunToken token, ExecutorNode.Refused refused) {
    handOffs.offered(token.runId(), refused.node());
    var next =
        deps
            .placement()
            .candidates(state.spec().target(), handOffs.offeredTo(token.runId()))
            .stream()
            .findFirst();
    if (next.isEmpty()) {
      return finish(
              state,
              token.runId(),
              RunOutcome.of(
                  RunStatus.FAILED, "no executor accepted the run; last: " + refused.why()))
          .thenNoReply();
    }
    Placement.Target target = next.get();
    return Effect()
        .persist(new RunRedirected(token.runId(), target.node(), target.uid(), token.epoch() + 1))
        .thenRun(s -> handOff(s, token.runId(), target))
        .thenNoReply();
  }

  private ReplyEffect<Event, JobState> acknowledged(
      ActorRef<ExecutorNode.Command> executor, RunToken token, boolean ended) {
    executor.tell(new ExecutorNode.Ack(token, ended));
    return Effect().noReply();
  }

  /**
   * Asks after every active run: a run whose node left the cluster is LOST (its watchdog killed it
   * before the node could be downed); the others' executors answer with a report.
   */
  private ReplyEffect<Event, JobState> onCheckRuns(JobState state, CheckRuns cmd) {
    if (state.active().isEmpty()) {
      timers.cancel(CHECK);
      return Effect().noReply();
    }
    state
        .active()
        .forEach(
            (runId, run) -> {
              if (!deps.placement().isMember(run.node(), run.nodeUid())) {
                String why =
                    run.node() == null
                        ? "the run was never handed to an executor"
                        : "node "
                            + run.node()
                            + " left the cluster "
                            + (run.started()
                                ? "during the run"
                                : "before the run was known to start");
                RunOutcome outcome =
                    handOffs.killing(runId)
                        ? RunOutcome.of(RunStatus.KILLED, "killed; " + why)
                        : RunOutcome.of(RunStatus.LOST, why);
                ctx.getSelf().tell(new GiveUp(run.token(runId), outcome));
              } else if (handOffs.killing(runId)) {
                sendKill(runId, run);
              } else {
                deps.placement()
                    .executor(run.node())
                    .ifPresent(
                        e ->
                            e.ref()
                                .tell(
                                    new ExecutorNode.Check(run.token(runId), name, run.nodeUid())));
              }
            });
    return Effect().noReply();
  }

  private ReplyEffect<Event, JobState> onGiveUp(JobState state, GiveUp cmd) {
    JobState.ActiveRun run = state.active().get(cmd.token().runId());
    if (run == null || run.epoch() != cmd.token().epoch()) return Effect().noReply();
    return finish(state, cmd.token().runId(), cmd.outcome()).thenNoReply();
  }

  /** Checks on the active runs every check interval, the first time after {@code first}. */
  private void checkActive(JobState state, Duration first) {
    if (state.active().isEmpty() || timers.isTimerActive(CHECK)) return;
    timers.startTimerWithFixedDelay(
        CHECK, new CheckRuns(), first, deps.settings().executor().checkInterval());
  }

  // ---- ends, retries and kills

  /** Ends a run and applies the retry policy: the next attempt is queued after the backoff. */
  private EffectBuilder<Event, JobState> finish(JobState state, String runId, RunOutcome outcome) {
    return finish(state, runId, outcome, clock.instant());
  }

  /** {@code endedAt}: when the run ended, as whoever saw it end says. */
  private EffectBuilder<Event, JobState> finish(
      JobState state, String runId, RunOutcome outcome, Instant endedAt) {
    JobState.ActiveRun active = state.active().get(runId);
    var queued = state.queuedRun(runId);
    Instant scheduledAt = active != null ? active.scheduledAt() : queued.get().scheduledAt();
    int attempt = active != null ? active.attempt() : queued.get().attempt();
    return Effect()
        .persist(finishing(state, runId, scheduledAt, attempt, outcome, endedAt))
        .thenRun(s -> afterFinish(s, runId));
  }

  private List<Event> finishing(
      JobState state,
      String runId,
      Instant scheduledAt,
      int attempt,
      RunOutcome outcome,
      Instant endedAt) {
    Instant now = clock.instant();
    List<Event> events = new ArrayList<>();
    events.add(
        new RunFinished(runId, outcome.status(), outcome.exitCode(), outcome.message(), endedAt));
    TickDecisions.retry(
            state.spec(), runId, scheduledAt, attempt, outcome.status(), now, RunIds::random)
        .ifPresent(events::add);
    metrics.runFinished(name, outcome.status());
    return events;
  }

  private void afterFinish(JobState state, String runId) {
    handOffs.forget(runId);
    ctx.getSelf().tell(new Drain());
  }

  private ReplyEffect<Event, JobState> onKill(JobState state, KillRun cmd) {
    if (!state.exists()) return notFound(cmd.replyTo());
    String runId = cmd.runId();
    JobState.ActiveRun run = state.active().get(runId);
    if (run != null) {
      if (!deps.placement().isMember(run.node(), run.nodeUid())) {
        // Its node is gone, and its watchdog killed it with it.
        return finish(state, runId, RunOutcome.of(RunStatus.KILLED, "killed; its node had left"))
            .thenReply(cmd.replyTo(), s -> new Killing(runId));
      }
      handOffs.kill(runId);
      sendKill(runId, run);
      checkActive(state, deps.settings().executor().ackTimeout());
      return Effect().reply(cmd.replyTo(), new Killing(runId));
    }
    if (state.queuedRun(runId).isPresent()) {
      return finish(state, runId, RunOutcome.of(RunStatus.KILLED, "killed before it started"))
          .thenReply(cmd.replyTo(), s -> new Killing(runId));
    }
    return Effect()
        .reply(
            cmd.replyTo(),
            new Rejected(Problem.CONFLICT, "run " + runId + " has already finished"));
  }

  private void killActive(JobState state) {
    state
        .active()
        .forEach(
            (runId, run) -> {
              handOffs.kill(runId);
              sendKill(runId, run);
            });
  }

  private void sendKill(String runId, JobState.ActiveRun run) {
    deps.placement()
        .executor(run.node())
        .ifPresent(e -> e.ref().tell(new ExecutorNode.Kill(run.token(runId), name, run.nodeUid())));
  }

  // ---- recovery and catch-up

  private void onRecovered(JobState state) {
    if (!state.exists()) {
      // A deleted job restarted by remember-entities has nothing to do; but a create may be on its
      // way (it is what restarted it), so it goes only if it is still deleted a little later.
      if (lastSequenceNumber(ctx) > 0) {
        timers.startSingleTimer(PASSIVATE, new PassivateIfDeleted(), deps.settings().askTimeout());
      }
      return;
    }
    metrics.recovered();
    caughtUp = false;
    ctx.getSelf().tell(new CatchUp());
    // Give the Receptionist time to list the cluster's executors before asking them.
    checkActive(state, deps.settings().executor().ackTimeout());
  }

  /** Decides every tick missed while the job was not running, per its catch-up policy. */
  private ReplyEffect<Event, JobState> onCatchUp(JobState state, CatchUp cmd) {
    if (awaitingCalendars(state, cmd)) return Effect().noReply();
    caughtUp = true;
    Instant now = clock.instant();
    List<Event> events =
        state.ticking() && state.lastScheduled() != null
            ? TickDecisions.catchUp(
                state.spec(),
                schedule(state.spec()),
                state.lastScheduled(),
                now,
                state.spec().action() instanceof Action.Noop,
                deps.placement().selfNode(),
                deps.calendars(),
                RunIds::random)
            : List.of();
    if (events.isEmpty()) {
      arm(state);
      ctx.getSelf().tell(new Drain());
      return Effect().noReply();
    }
    long fired =
        events.stream()
            .filter(e -> !(e instanceof TicksSkipped || e instanceof TickRangeSkipped))
            .count();
    ctx.getLog().info("Job {} missed ticks: {} to run, the rest skipped", name, fired);
    return Effect()
        .persist(events)
        .thenRun(
            s -> {
              metrics.catchUp((int) fired);
              for (Event e : events) {
                if (e instanceof TicksSkipped t) metrics.skipped(t.ticks().size());
                if (e instanceof TickRangeSkipped r) metrics.skipped((int) r.count());
              }
              arm(s);
              ctx.getSelf().tell(new Drain());
            })
        .thenNoReply();
  }

  // ---- helpers

  /**
   * Whether a decision on ticks must wait for a calendar of the job this node does not know: then
   * {@code retry} comes again shortly. Neither running nor skipping a tick on a guess, it waits up
   * to {@link #CALENDAR_GRACE}; after that the calendar is taken as excluding nothing, with a
   * warning on every tick decided so, until it is known.
   */
  private boolean awaitingCalendars(JobState state, Command retry) {
    var unknown = CalendarRules.unknown(state.spec().excludeCalendars(), deps.calendars());
    if (unknown.isEmpty()) {
      calendarWaitSince = null;
      return false;
    }
    Instant now = clock.instant();
    if (calendarWaitSince == null) calendarWaitSince = now;
    if (Duration.between(calendarWaitSince, now).compareTo(CALENDAR_GRACE) < 0) {
      timers.startSingleTimer(CALENDAR, retry, CALENDAR_RECHECK);
      return true;
    }
    ctx.getLog()
        .warn(
            "Job {}: calendar '{}' is unknown on this node; its ticks are decided as if it"
                + " excluded nothing",
            name,
            unknown.get());
    return false;
  }

  private void arm(JobState state) {
    armed++;
    if (!state.ticking()) {
      timers.cancel(TICK);
      return;
    }
    var next = schedule(state.spec()).nextAfter(tickCursor(state));
    if (next.isEmpty()) {
      timers.cancel(TICK);
      return;
    }
    Instant at = next.get().plus(state.spec().delayOf(next.get()));
    Duration delay = Duration.between(clock.instant(), at);
    if (delay.compareTo(MAX_TIMER) > 0) {
      timers.startSingleTimer(TICK, new Rearm(armed), MAX_TIMER);
      return;
    }
    timers.startSingleTimer(
        TICK, new Fire(next.get(), armed), delay.isNegative() ? Duration.ZERO : delay);
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
      parsed = spec.ticks();
      parsedFor = spec;
    }
    return parsed;
  }
}
