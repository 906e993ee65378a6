package io.distcron.exec;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.distcron.CborSerializable;
import io.distcron.run.Action;
import io.distcron.run.RunOutcome;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.telemetry.Tracing;
import io.opentelemetry.api.trace.StatusCode;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.AbstractBehavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.Receive;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;

/**
 * Runs the executions handed to this node; one per node, registered with the Receptionist.
 *
 * <p>It owns the processes it starts. A hand-off ({@link Run}) carries a fencing token; the
 * executor starts a token at most once, only while {@link Guard} lets this node start runs (it
 * holds its cluster lease, it is Up, it is not being downed) and never after it told the job "not
 * here" for that token ({@link RunSlots}). It reports {@link Started} and {@link Ended} to the
 * run's job through {@link Reports} until the job acknowledges ({@link Ack}), and answers a job's
 * {@link Check} with the run's state or a refusal. Blocking work (starting a process, JDBC) runs
 * off the actor and comes back as a message.
 */
public final class ExecutorNode extends AbstractBehavior<ExecutorNode.Command> {

  public static final ServiceKey<Command> KEY =
      ServiceKey.create(Command.class, "distcron-executor");
  private static final String RESEND = "resend";

  // ---- protocol

  public sealed interface Command extends CborSerializable {}

  /**
   * {@code nodeUid}: the incarnation of this node the job handed the run to. {@code traceparent}:
   * the hand-off's span (W3C), the execution's parent; null when the job's node does not trace.
   */
  public record Run(
      RunToken token,
      long nodeUid,
      String job,
      Instant scheduledAt,
      int attempt,
      RunReason reason,
      Action action,
      int timeoutSeconds,
      String traceparent)
      implements Command {}

  /** A job asks how its run is: answered with a report. */
  public record Check(RunToken token, String job, long nodeUid) implements Command {}

  /** Kill a run's whole tree (TERM, then KILL after the grace); it then ends KILLED. */
  public record Kill(RunToken token, String job, long nodeUid) implements Command {}

  /** From the job: it has persisted the run's start ({@code ended} false) or end. */
  public record Ack(RunToken token, boolean ended) implements Command {}

  /**
   * Coordinated shutdown, first step: refuse new runs and answer once every run in progress has
   * ended and its end is acknowledged.
   */
  public record Drain(ActorRef<Done> replyTo) implements Command {}

  /**
   * Coordinated shutdown, when the grace is over: the runs still going are killed and reported LOST
   * (their jobs retry them elsewhere); answers once the jobs have the reports.
   */
  public record Abandon(ActorRef<Done> replyTo) implements Command {}

  /** This node was downed or quarantined: kill every run now and start nothing more. */
  public record Fence(String why) implements Command {}

  private record Launched(RunToken token, Launch launch, String refusedWhy) implements Command {}

  private record Finished(RunToken token, Result result) implements Command {}

  private record Resend() implements Command {}

  /** What an executor tells a run's job. */
  @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
  @JsonSubTypes({
    @JsonSubTypes.Type(value = Refused.class, name = "refused"),
    @JsonSubTypes.Type(value = Started.class, name = "started"),
    @JsonSubTypes.Type(value = Ended.class, name = "ended")
  })
  public sealed interface Report extends CborSerializable {
    RunToken token();

    String node();
  }

  /** This token was not started here and never will be. */
  public record Refused(RunToken token, String node, String why) implements Report {}

  public record Started(RunToken token, String node, Instant at, ActorRef<Command> executor)
      implements Report {}

  public record Ended(
      RunToken token, String node, RunOutcome outcome, Instant at, ActorRef<Command> executor)
      implements Report {}

  /** How reports reach a run's job, wherever it lives now. */
  public interface Reports {
    void send(String job, Report report);
  }

  /** Whether this node may start runs now. */
  public interface Guard {
    /** Null when it may; otherwise why not, for the refusal. */
    String whyNotStart();
  }

  /** Who this executor is: its node's name ({@code host:port}) and incarnation. */
  public record Self(String node, long uid) {}

  // ---- wiring

  public static Behavior<Command> create(
      Self self,
      Duration reportRetry,
      int capacity,
      Clock clock,
      Launch.Runners runners,
      Reports reports,
      Guard guard,
      AtomicInteger inProgress) {
    Behavior<Command> behavior =
        Behaviors.setup(
            ctx ->
                Behaviors.withTimers(
                    timers -> {
                      ctx.getSystem()
                          .receptionist()
                          .tell(Receptionist.register(KEY, ctx.getSelf()));
                      timers.startTimerWithFixedDelay(RESEND, new Resend(), reportRetry);
                      return new ExecutorNode(
                          ctx, self, capacity, clock, runners, reports, guard, inProgress);
                    }));
    // Its memory of the runs is what fences them: an error handling one message must not lose it.
    return Behaviors.supervise(behavior).onFailure(SupervisorStrategy.resume());
  }

  private final Self self;
  private final int capacity;
  private final Clock clock;
  private final Launch.Runners runners;
  private final Reports reports;
  private final Guard guard;
  private final AtomicInteger inProgress;
  private final RunSlots slots = new RunSlots();

  /** Who waits for the drain to finish; null while the node takes runs. */
  private ActorRef<Done> draining;

  /** Non-null once the node was downed: nothing starts again. */
  private String fenced;

  private ExecutorNode(
      ActorContext<Command> ctx,
      Self self,
      int capacity,
      Clock clock,
      Launch.Runners runners,
      Reports reports,
      Guard guard,
      AtomicInteger inProgress) {
    super(ctx);
    this.self = self;
    this.capacity = capacity;
    this.clock = clock;
    this.runners = runners;
    this.reports = reports;
    this.guard = guard;
    this.inProgress = inProgress;
  }

  @Override
  public Receive<Command> createReceive() {
    return newReceiveBuilder()
        .onMessage(Run.class, this::onRun)
        .onMessage(Launched.class, this::onLaunched)
        .onMessage(Finished.class, this::onFinished)
        .onMessage(Check.class, this::onCheck)
        .onMessage(Kill.class, this::onKill)
        .onMessage(Ack.class, this::onAck)
        .onMessage(Resend.class, r -> resend())
        .onMessage(Drain.class, this::onDrain)
        .onMessage(Abandon.class, this::onAbandon)
        .onMessage(Fence.class, this::onFence)
        .build();
  }

  private Behavior<Command> onRun(Run run) {
    if (wrongIncarnation(run.nodeUid())) {
      refuse(run.job(), run.token(), "it was handed to an earlier incarnation of " + self.node());
      return this;
    }
    RunSlots.Admission admission = slots.admit(run, whyNotStart(), capacity);
    if (admission instanceof RunSlots.Again again) {
      report(again.slot());
    } else if (admission instanceof RunSlots.Refuse refuse) {
      refuse.older().ifPresent(this::kill);
      refuse(run.job(), run.token(), refuse.why());
    } else if (admission instanceof RunSlots.Accept accept) {
      counted();
      accept.slot().span =
          runners
              .tracing()
              .startExecution(
                  run.job(),
                  run.token().runId(),
                  run.scheduledAt(),
                  run.attempt(),
                  run.reason(),
                  run.token().epoch(),
                  self.node(),
                  run.traceparent());
      Map<String, String> trace = Tracing.w3cHeaders(accept.slot().span);
      getContext()
          .getLog()
          .info(
              "Run {} of job {} starting (tick {}, attempt {})",
              run.token(),
              run.job(),
              run.scheduledAt(),
              run.attempt());
      // The last look before the process exists: a node frozen since the hand-off was accepted may
      // have lost its lease meanwhile.
      getContext()
          .pipeToSelf(
              CompletableFuture.supplyAsync(
                  () -> {
                    String whyNot = guard.whyNotStart();
                    return whyNot != null
                        ? new Launched(run.token(), null, whyNot)
                        : new Launched(run.token(), Launch.start(run, runners, trace), null);
                  },
                  runners.runPool()),
              (launched, err) ->
                  err == null
                      ? launched
                      : new Launched(run.token(), null, "could not start: " + err.getMessage()));
    }
    return this;
  }

  private Behavior<Command> onLaunched(Launched l) {
    RunSlots.Slot slot = slots.get(l.token().runId()).orElseThrow();
    if (l.launch() == null) {
      slots.withdraw(l.token());
      counted();
      slot.span.setStatus(StatusCode.ERROR, "refused: " + l.refusedWhy());
      slot.span.end();
      refuse(slot.run.job(), l.token(), l.refusedWhy());
      return drained();
    }
    slot.launch = l.launch();
    slot.phase = RunSlots.Phase.RUNNING;
    slot.startedAt = clock.instant();
    if (slot.abandonedWhy != null) l.launch().killNow();
    else if (slot.killRequested) l.launch().kill();
    report(slot);
    getContext()
        .pipeToSelf(
            l.launch().result(),
            (result, err) ->
                new Finished(
                    l.token(),
                    err == null
                        ? result
                        : new Result(RunStatus.FAILED, null, "", "run failed: " + err)));
    return this;
  }

  private Behavior<Command> onFinished(Finished f) {
    RunSlots.Slot slot = slots.get(f.token().runId()).orElseThrow();
    Result r = f.result();
    slot.phase = RunSlots.Phase.ENDED;
    slot.endedAt = clock.instant();
    slot.outcome =
        slot.abandonedWhy != null
            ? RunOutcome.of(RunStatus.LOST, slot.abandonedWhy)
            : new RunOutcome(r.status(), r.exitCode(), r.message());
    counted();
    Tracing.ended(
        slot.span, slot.outcome.status(), slot.outcome.exitCode(), slot.outcome.message());
    getContext()
        .getLog()
        .info("Run {} of job {} ended {}", f.token(), slot.run.job(), slot.outcome.status());
    report(slot);
    return this;
  }

  private Behavior<Command> onCheck(Check c) {
    if (wrongIncarnation(c.nodeUid())) {
      refuse(c.job(), c.token(), "it was handed to an earlier incarnation of " + self.node());
      return this;
    }
    Optional<RunSlots.Slot> slot = slots.lookUp(c.token());
    if (slot.isPresent()) report(slot.get());
    else refuse(c.job(), c.token(), "no such run on " + self.node());
    return this;
  }

  private Behavior<Command> onKill(Kill k) {
    if (wrongIncarnation(k.nodeUid())) {
      refuse(k.job(), k.token(), "it was handed to an earlier incarnation of " + self.node());
      return this;
    }
    Optional<RunSlots.Slot> slot = slots.lookUp(k.token());
    if (slot.isPresent()) kill(slot.get());
    else refuse(k.job(), k.token(), "no such run on " + self.node());
    return this;
  }

  private void kill(RunSlots.Slot slot) {
    slot.killRequested = true;
    if (slot.launch != null && slot.live()) slot.launch.kill();
  }

  private Behavior<Command> onAck(Ack a) {
    if (a.ended()) {
      slots.acknowledgeEnd(a.token());
      return drained();
    }
    slots
        .get(a.token().runId())
        .filter(s -> s.token().equals(a.token()))
        .ifPresent(s -> s.startAcked = true);
    return this;
  }

  private Behavior<Command> resend() {
    for (RunSlots.Slot slot : slots.all()) {
      if (slot.phase == RunSlots.Phase.ENDED
          || (slot.phase == RunSlots.Phase.RUNNING && !slot.startAcked)) {
        report(slot);
      }
    }
    return this;
  }

  private Behavior<Command> onDrain(Drain d) {
    if (draining == null) getContext().getLog().info("Draining: {} runs in progress", slots.live());
    draining = d.replyTo();
    return drained();
  }

  private Behavior<Command> onAbandon(Abandon a) {
    for (RunSlots.Slot slot : slots.all()) {
      if (!slot.live()) continue;
      getContext()
          .getLog()
          .warn(
              "Run {} of job {} still going at shutdown: killed, ends LOST",
              slot.token(),
              slot.run.job());
      slot.abandonedWhy = "node " + self.node() + " shut down before the run finished";
      if (slot.launch != null) slot.launch.kill();
    }
    draining = a.replyTo();
    return drained();
  }

  private Behavior<Command> onFence(Fence f) {
    if (fenced != null) return this;
    fenced = f.why();
    getContext().getLog().warn("Node fenced ({}): killing {} runs", f.why(), slots.live());
    for (RunSlots.Slot slot : slots.all()) {
      if (!slot.live()) continue;
      slot.abandonedWhy = "node " + self.node() + " was fenced: " + f.why();
      if (slot.launch != null) slot.launch.killNow();
    }
    return this;
  }

  private Behavior<Command> drained() {
    if (draining != null && slots.isEmpty()) draining.tell(Done.getInstance());
    return this;
  }

  private String whyNotStart() {
    if (fenced != null) return self.node() + " was fenced: " + fenced;
    if (draining != null) return self.node() + " is shutting down";
    return guard.whyNotStart();
  }

  /** A message for another incarnation of this node; 0 is a run from before incarnations. */
  private boolean wrongIncarnation(long uid) {
    return uid != 0 && uid != self.uid();
  }

  private void report(RunSlots.Slot slot) {
    ActorRef<Command> me = getContext().getSelf();
    if (slot.phase == RunSlots.Phase.RUNNING) {
      reports.send(slot.run.job(), new Started(slot.token(), self.node(), slot.startedAt, me));
    } else if (slot.phase == RunSlots.Phase.ENDED) {
      reports.send(
          slot.run.job(), new Ended(slot.token(), self.node(), slot.outcome, slot.endedAt, me));
    }
  }

  private void refuse(String job, RunToken token, String why) {
    reports.send(job, new Refused(token, self.node(), why));
  }

  private void counted() {
    inProgress.set(slots.live());
  }
}
