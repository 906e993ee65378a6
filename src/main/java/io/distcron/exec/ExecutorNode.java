package io.distcron.exec;

import io.distcron.CborSerializable;
import io.distcron.config.DistcronSettings;
import io.distcron.job.JobEntity;
import io.distcron.metrics.NodeMetrics;
import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import io.distcron.store.Stores;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * Runs the executions handed to this node, one per node, registered with the Receptionist.
 *
 * <p>It owns the processes it started: it accepts a run while under capacity, records it as RUNNING
 * and then finished in the run store, and reports the outcome to the run's job entity until the
 * entity acknowledges, so a job recovering elsewhere still learns how its run ended. Blocking work
 * (the process, JDBC) runs on the blocking dispatcher and comes back as a message.
 */
public final class ExecutorNode extends AbstractBehavior<ExecutorNode.Command> {

  public static final ServiceKey<Command> KEY =
      ServiceKey.create(Command.class, "distcron-executor");
  private static final String RESEND = "resend";

  public sealed interface Command extends CborSerializable {}

  public record Run(
      String runId,
      String job,
      Instant scheduledAt,
      int attempt,
      RunReason reason,
      Action action,
      int timeoutSeconds,
      ActorRef<RunAck> replyTo)
      implements Command {}

  public record IsRunning(String runId, ActorRef<Running> replyTo) implements Command {}

  /** Kill a run's whole process tree (TERM, then KILL after the grace); it then ends KILLED. */
  public record Kill(String runId) implements Command {}

  /**
   * Coordinated shutdown, first step: refuse new runs, leave the Receptionist, and answer once
   * every run in progress has ended and its outcome is acknowledged.
   */
  public record Drain(ActorRef<Done> replyTo) implements Command {}

  /**
   * Coordinated shutdown, when the grace is over: the runs still going are reported LOST (their
   * jobs retry them elsewhere) and killed; answers once the jobs have the reports.
   */
  public record Abandon(ActorRef<Done> replyTo) implements Command {}

  record Ended(String runId, String job, RunStatus status) implements Command {}

  record Reported(String runId, boolean delivered) implements Command {}

  record ResendReports() implements Command {}

  public sealed interface RunAck extends CborSerializable {}

  public record Accepted(String runId) implements RunAck {}

  public record Refused(String runId, String why) implements RunAck {}

  public record Running(String runId, boolean running) implements CborSerializable {}

  /** A finished run whose outcome its job has not acknowledged yet. */
  private record Report(String job, RunStatus status) {}

  public static Behavior<Command> create(
      String node,
      DistcronSettings settings,
      Clock clock,
      Stores stores,
      AtomicInteger inProgress) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
                  timers.startTimerWithFixedDelay(
                      RESEND, new ResendReports(), settings.executor().reportRetry());
                  return new ExecutorNode(ctx, timers, node, settings, clock, stores, inProgress);
                }));
  }

  private final String node;
  private final DistcronSettings.Executor settings;
  private final Clock clock;
  private final Stores stores;
  private final ShellRunner runner;
  private final HttpRunner httpRunner;
  private final AtomicInteger inProgress;

  /** Accepted and not yet ended; touched by the actor only. */
  private final Set<String> active = new HashSet<>();

  /** Accepted runs, for reporting them lost if the node must go before they end. */
  private final Map<String, Run> runOf = new HashMap<>();

  /** Reported LOST at shutdown: their own end, if it still comes, changes nothing. */
  private final Set<String> abandoned = ConcurrentHashMap.newKeySet();

  /** Who waits for the drain to finish; null while the node takes runs. */
  private ActorRef<Done> draining;

  /** Started processes, written by the blocking task, read by the actor to kill. */
  private final Map<String, Execution> executions = new ConcurrentHashMap<>();

  private final Set<String> killRequested = ConcurrentHashMap.newKeySet();
  private final Map<String, Report> reports = new HashMap<>();
  private final ClusterSharding sharding;
  private final Duration askTimeout;

  private ExecutorNode(
      ActorContext<Command> ctx,
      TimerScheduler<Command> timers,
      String node,
      DistcronSettings settings,
      Clock clock,
      Stores stores,
      AtomicInteger inProgress) {
    super(ctx);
    this.node = node;
    this.settings = settings.executor();
    this.clock = clock;
    this.stores = stores;
    this.inProgress = inProgress;
    this.runner = new ShellRunner(this.settings.outputTailBytes(), this.settings.killGrace());
    this.httpRunner = new HttpRunner(ctx.getSystem(), this.settings.outputTailBytes());
    this.sharding = ClusterSharding.get(ctx.getSystem());
    this.askTimeout = settings.askTimeout();
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Run.class, this::onRun)
        .onMessage(IsRunning.class, this::onIsRunning)
        .onMessage(Kill.class, this::onKill)
        .onMessage(Drain.class, this::onDrain)
        .onMessage(Abandon.class, this::onAbandon)
        .onMessage(Ended.class, this::onEnded)
        .onMessage(Reported.class, this::onReported)
        .onMessage(ResendReports.class, r -> resend())
        .build();
  }

  private Behavior<Command> onRun(Run run) {
    if (draining != null) {
      run.replyTo().tell(new Refused(run.runId(), node + " is shutting down"));
      return this;
    }
    if (active.contains(run.runId())) {
      run.replyTo().tell(new Accepted(run.runId()));
      return this;
    }
    if (inProgress.get() >= settings.capacity()) {
      run.replyTo()
          .tell(
              new Refused(
                  run.runId(), node + " is at capacity (" + settings.capacity() + " runs)"));
      return this;
    }
    inProgress.incrementAndGet();
    getContext()
        .getLog()
        .info(
            "Run {} of job {} starting (tick {}, attempt {})",
            run.runId(),
            run.job(),
            run.scheduledAt(),
            run.attempt());
    active.add(run.runId());
    runOf.put(run.runId(), run);
    run.replyTo().tell(new Accepted(run.runId()));
    getContext()
        .pipeToSelf(
            CompletableFuture.supplyAsync(() -> execute(run), stores.blocking()),
            (status, err) ->
                new Ended(run.runId(), run.job(), err == null ? status : RunStatus.FAILED));
    return this;
  }

  /** On the blocking dispatcher: record, start, wait, record. */
  private RunStatus execute(Run run) {
    Instant started = clock.instant();
    stores.write(
        new RunRecord(
            run.runId(),
            run.job(),
            run.scheduledAt(),
            null,
            started,
            null,
            node,
            run.attempt(),
            run.reason(),
            RunStatus.RUNNING,
            null,
            null,
            null));
    OutputSink sink =
        new OutputSink(run.runId(), stores.runs(), stores.blocking(), settings.liveOutputBytes());
    Result result;
    if (run.action() instanceof Action.Shell shell) {
      result = runShell(run, shell, sink);
    } else if (run.action() instanceof Action.Http http) {
      int seconds = http.timeoutSeconds() != null ? http.timeoutSeconds() : run.timeoutSeconds();
      result = httpRunner.run(http, Duration.ofSeconds(seconds), sink).toCompletableFuture().join();
    } else {
      result = new Result(RunStatus.FAILED, null, "", "unsupported action " + run.action());
    }
    sink.flush();
    if (abandoned.contains(run.runId())) return RunStatus.LOST;
    stores.write(
        new RunRecord(
            run.runId(),
            run.job(),
            run.scheduledAt(),
            null,
            started,
            clock.instant(),
            node,
            run.attempt(),
            run.reason(),
            result.status(),
            result.exitCode(),
            result.message(),
            result.outputTail()));
    return result.status();
  }

  private Result runShell(Run run, Action.Shell shell, OutputSink sink) {
    Map<String, String> env = new HashMap<>(shell.env());
    env.put("DISTCRON_JOB", run.job());
    env.put("DISTCRON_RUN_ID", run.runId());
    env.put("DISTCRON_SCHEDULED_AT", run.scheduledAt().toString());
    env.put("DISTCRON_ATTEMPT", Integer.toString(run.attempt()));
    Execution execution;
    try {
      execution = runner.start(shell.command(), env, shell.workingDir(), sink);
    } catch (IOException e) {
      return Result.failedToStart(e);
    }
    executions.put(run.runId(), execution);
    // A kill that came while the process was starting.
    if (killRequested.remove(run.runId())) execution.kill();
    try {
      return execution.await(Duration.ofSeconds(run.timeoutSeconds()));
    } catch (InterruptedException e) {
      // Only a node going down interrupts the blocking pool: stop the process rather than orphan
      // it.
      execution.kill();
      Thread.currentThread().interrupt();
      return new Result(RunStatus.LOST, null, "", "node shut down during the run");
    }
  }

  private Behavior<Command> onKill(Kill k) {
    Execution execution = executions.get(k.runId());
    if (execution != null) {
      execution.kill();
    } else if (active.contains(k.runId())) {
      killRequested.add(k.runId());
    }
    return this;
  }

  private Behavior<Command> onIsRunning(IsRunning q) {
    q.replyTo()
        .tell(new Running(q.runId(), active.contains(q.runId()) || reports.containsKey(q.runId())));
    return this;
  }

  private Behavior<Command> onEnded(Ended e) {
    executions.remove(e.runId());
    killRequested.remove(e.runId());
    active.remove(e.runId());
    runOf.remove(e.runId());
    inProgress.decrementAndGet();
    if (abandoned.remove(e.runId())) return this;
    getContext().getLog().info("Run {} of job {} ended {}", e.runId(), e.job(), e.status());
    NodeMetrics.of(getContext().getSystem()).runFinished(e.job(), e.status());
    reports.put(e.runId(), new Report(e.job(), e.status()));
    report(e.runId(), reports.get(e.runId()));
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    if (draining == null) {
      getContext().getLog().info("Draining: {} runs in progress", active.size());
      getContext()
          .getSystem()
          .receptionist()
          .tell(Receptionist.deregister(KEY, getContext().getSelf()));
    }
    draining = d.replyTo();
    return drained();
  }

  private Behavior<Command> drained() {
    if (draining != null && active.isEmpty() && reports.isEmpty()) {
      draining.tell(Done.getInstance());
    }
    return this;
  }

  private Behavior<Command> onAbandon(Abandon a) {
    Instant now = clock.instant();
    for (String runId : Set.copyOf(active)) {
      abandoned.add(runId);
      Run run = runOf.remove(runId);
      getContext()
          .getLog()
          .warn("Run {} of job {} still going at shutdown: reported LOST", runId, run.job());
      stores.write(
          new RunRecord(
              runId,
              run.job(),
              run.scheduledAt(),
              null,
              null,
              now,
              node,
              run.attempt(),
              run.reason(),
              RunStatus.LOST,
              null,
              "node " + node + " shut down before the run finished",
              null));
      reports.put(runId, new Report(run.job(), RunStatus.LOST));
      report(runId, reports.get(runId));
      Execution execution = executions.get(runId);
      if (execution != null) execution.kill();
      active.remove(runId);
    }
    draining = a.replyTo();
    return drained();
  }

  private Behavior<Command> resend() {
    reports.forEach(this::report);
    return this;
  }

  private Behavior<Command> onReported(Reported r) {
    // Undelivered reports stay and go again with the next resend.
    if (r.delivered()) reports.remove(r.runId());
    return drained();
  }

  private void report(String runId, Report r) {
    getContext()
        .pipeToSelf(
            sharding
                .entityRefFor(JobEntity.ENTITY_KEY, r.job())
                .<Done>ask(
                    replyTo -> new JobEntity.RunEnded(runId, r.status(), replyTo), askTimeout),
            (done, err) -> new Reported(runId, err == null));
  }
}
