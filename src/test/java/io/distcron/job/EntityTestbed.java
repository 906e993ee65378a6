package io.distcron.job;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.ConfigFactory;
import io.distcron.Await;
import io.distcron.TestClock;
import io.distcron.cluster.NodeFence;
import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.placement.JobTarget;
import io.distcron.placement.NodeLoad;
import io.distcron.placement.Placement;
import io.distcron.run.Action;
import io.distcron.run.RunOutcome;
import io.distcron.run.RunStatus;
import io.distcron.schedule.Calendar;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import io.distcron.telemetry.Tracing;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.stream.IntStream;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit;

/**
 * One job entity and the world around it, for the entity tests: a clock moved in step with Pekko's
 * ManualTime, a membership the test changes, and executors that are probes — the test answers their
 * hand-offs with reports, as an executor would through sharding.
 *
 * <p>Timers are armed as side effects of persisting, asynchronously to the test thread, so every
 * step first awaits the effect of the previous one (an event, a probe message) and then {@link
 * #sync()}s with the entity before moving time again.
 */
final class EntityTestbed {
  /**
   * On a whole second, and time moves in whole seconds while timers run: a timer is then due
   * exactly at the end of an advance, where the clock is, so the next one it arms is not early
   * (ManualTime runs a due timer at its own instant while the TestClock is already at the end of
   * the advance).
   */
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  static final Duration TICK = Duration.ofSeconds(1);
  static final Duration QUIET = Duration.ofMillis(200);
  static final Duration WAIT = Duration.ofSeconds(10);
  static final String EVERY_SECOND = "* * * * * ?";
  static final String HOURLY = "0 0 * * * ?";
  static final String NODE_A = "node-a:1";
  static final String NODE_B = "node-b:1";
  static final String NODE_C = "node-c:1";

  static ActorTestKit kit() {
    return ActorTestKit.create(
        ManualTime.config()
            .withFallback(EventSourcedBehaviorTestKit.config())
            .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
            .withFallback(Configs.load(Map.of())));
  }

  static DistcronSettings settings() {
    return DistcronSettings.from(Configs.load(Map.of()));
  }

  /** The tick at 00:00:0n of the test's day. */
  static Instant tick(int n) {
    return START.plusSeconds(n);
  }

  static List<Instant> ticks(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(EntityTestbed::tick).toList();
  }

  static Action shell() {
    return new Action.Shell("sleep 100", Map.of(), null, null);
  }

  /** The cluster's members, by node: a test removes one, or brings it back as a new incarnation. */
  static final class FakeMembers implements Placement.Members {
    private final Map<String, Long> uids = new ConcurrentHashMap<>();

    void join(String node, long uid) {
      uids.put(node, uid);
    }

    void leave(String node) {
      uids.remove(node);
    }

    @Override
    public OptionalLong uid(String node) {
      Long uid = uids.get(node);
      return uid == null ? OptionalLong.empty() : OptionalLong.of(uid);
    }
  }

  /** One node's executor: a probe the test reads hand-offs, checks, kills and acks from. */
  static final class Executor {
    final String node;
    final long uid;
    final TestProbe<ExecutorNode.Command> probe;

    Executor(String node, long uid, TestProbe<ExecutorNode.Command> probe) {
      this.node = node;
      this.uid = uid;
      this.probe = probe;
    }

    ActorRef<ExecutorNode.Command> ref() {
      return probe.getRef();
    }

    /** The next message but the checks the entity sends as time passes, of {@code type}. */
    <T extends ExecutorNode.Command> T next(Class<T> type) {
      while (true) {
        ExecutorNode.Command m = probe.receiveMessage(WAIT);
        if (m instanceof ExecutorNode.Check) continue;
        assertThat(m).as("the next message to %s", node).isInstanceOf(type);
        return type.cast(m);
      }
    }

    ExecutorNode.Run run() {
      return next(ExecutorNode.Run.class);
    }

    /** Nothing but checks comes for a while. */
    void idle() {
      long deadline = System.nanoTime() + QUIET.toNanos();
      while (true) {
        long left = deadline - System.nanoTime();
        if (left <= 0) return;
        ExecutorNode.Command m;
        try {
          m = probe.receiveMessage(Duration.ofNanos(left));
        } catch (AssertionError nothingCame) {
          return;
        }
        assertThat(m)
            .as("a message to %s, expected none", node)
            .isInstanceOf(ExecutorNode.Check.class);
      }
    }
  }

  final ActorTestKit kit;
  final String name;
  final DistcronSettings settings = settings();
  final TestClock clock = new TestClock(START);
  final ManualTime time;
  final FakeMembers members = new FakeMembers();
  final Placement placement;
  final Map<String, Executor> executors = new LinkedHashMap<>();

  /** The calendars the node knows: a test adds, changes and removes them. */
  final Map<String, Calendar> calendars = new ConcurrentHashMap<>();

  private EventSourcedBehaviorTestKit<JobEntity.Command, JobEntity.Event, JobState> job;

  /** Where the entity's spans go; set before the entity is first used. */
  Tracing tracing = Tracing.OFF;

  /**
   * {@code nodes} are the cluster's members, each with an executor; the first is the least loaded,
   * so a run goes to the first one that has not refused it.
   */
  EntityTestbed(ActorTestKit kit, String name, String... nodes) {
    this.kit = kit;
    this.name = name;
    this.time = ManualTime.get(kit.system());
    this.placement = new Placement(NODE_A, Map.of(), members);
    Map<String, ActorRef<ExecutorNode.Command>> refs = new HashMap<>();
    Map<String, NodeLoad> loads = new HashMap<>();
    for (int i = 0; i < nodes.length; i++) {
      Executor e = new Executor(nodes[i], 101 + 100L * i, kit.createTestProbe(nodes[i]));
      executors.put(e.node, e);
      members.join(e.node, e.uid);
      refs.put(e.node, e.ref());
      loads.put(e.node, new NodeLoad(30 * i, 100, 0.0));
    }
    placement.executors(refs);
    placement.loads(loads);
  }

  Executor executor(String node) {
    return executors.get(node);
  }

  JobEntity.Deps deps(NodeFence fence) {
    return new JobEntity.Deps(
        settings,
        clock,
        placement,
        fence,
        tracing,
        name -> Optional.ofNullable(calendars.get(name)));
  }

  /** The entity under test, on a node that always holds its lease; made on first use. */
  EventSourcedBehaviorTestKit<JobEntity.Command, JobEntity.Event, JobState> job() {
    if (job == null) {
      job =
          EventSourcedBehaviorTestKit.create(
              kit.system(), JobEntity.create(name, deps(NodeFence.alwaysHeld(NODE_A)), null));
    }
    return job;
  }

  /** Stops the job's timers (ManualTime is shared by the tests of a class). */
  void close() {
    if (job != null && job.getState().exists()) ask(JobEntity.Delete::new);
  }

  // ---- definitions

  JobSpec spec(Action action, OverlapPolicy overlap, CatchUpPolicy catchUp, RetryPolicy retry) {
    return spec(EVERY_SECOND, action, overlap, catchUp, retry);
  }

  JobSpec spec(
      String schedule,
      Action action,
      OverlapPolicy overlap,
      CatchUpPolicy catchUp,
      RetryPolicy retry) {
    return new JobSpec(
        name, "", Map.of(), schedule, "UTC", action, 60, true, overlap, catchUp, retry, null, null,
        null, null, null, null, null);
  }

  /** {@code spec} restricted to the executors {@code target} selects. */
  static JobSpec targeted(JobSpec spec, JobTarget target) {
    return new JobSpec(
        spec.name(),
        spec.description(),
        spec.labels(),
        spec.schedule(),
        spec.timezone(),
        spec.action(),
        spec.timeoutSeconds(),
        spec.enabled(),
        spec.overlap(),
        spec.catchUp(),
        spec.retry(),
        spec.jitter(),
        spec.startAt(),
        spec.endAt(),
        spec.managedBy(),
        target,
        spec.notifyRules(),
        spec.excludeCalendars());
  }

  /** {@code node} publishes {@code labels} with its load. */
  void label(String node, Map<String, String> labels) {
    Map<String, NodeLoad> loads = new HashMap<>(placement.loads());
    NodeLoad l = loads.get(node);
    loads.put(node, new NodeLoad(l.running(), l.capacity(), l.cpuLoad(), labels));
    placement.loads(loads);
  }

  JobEntity.JobView create(JobSpec spec) {
    JobEntity.Reply reply = ask(r -> new JobEntity.Create(spec, r));
    assertThat(reply).isInstanceOf(JobEntity.JobView.class);
    return (JobEntity.JobView) reply;
  }

  JobEntity.Reply ask(Function<ActorRef<JobEntity.Reply>, JobEntity.Command> command) {
    return job().<JobEntity.Reply>runCommand(command::apply).reply();
  }

  // ---- time

  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  /** Returns once the entity has handled everything sent to it before, side effects included. */
  void sync() {
    ask(JobEntity.Get::new);
  }

  // ---- the journal

  List<Object> events() {
    return PersistenceTestKit.create(kit.system()).persistedInStorage("Job|" + name);
  }

  <T> List<T> events(Class<T> type) {
    return events().stream().filter(type::isInstance).map(type::cast).toList();
  }

  <T> T awaitEvent(Class<T> type, Predicate<T> which) {
    Await.until(WAIT, type.getSimpleName(), () -> events(type).stream().anyMatch(which));
    return events(type).stream().filter(which).findFirst().orElseThrow();
  }

  void awaitFired(int n) {
    Await.until(WAIT, n + " runs fired", () -> events(JobEntity.RunFired.class).size() >= n);
  }

  JobEntity.RunFired firedEvent(String runId) {
    return events(JobEntity.RunFired.class).stream()
        .filter(f -> f.runId().equals(runId))
        .findFirst()
        .orElseThrow();
  }

  // ---- executors' reports

  EventSourcedBehaviorTestKit.CommandResult<JobEntity.Command, JobEntity.Event, JobState> report(
      ExecutorNode.Report report) {
    return job().runCommand(new JobEntity.Reported(report));
  }

  /** The run was handed to {@code e}; returns once the entity is done handing it over. */
  ExecutorNode.Run handedTo(Executor e) {
    ExecutorNode.Run run = e.run();
    sync();
    return run;
  }

  /** {@code e} reports the run started; the entity persists it and acknowledges. */
  void start(Executor e, ExecutorNode.Run run) {
    var result = report(new ExecutorNode.Started(run.token(), e.node, clock.instant(), e.ref()));
    assertThat(result.events())
        .containsExactly(
            new JobEntity.RunStarted(
                run.token().runId(), run.token().epoch(), e.node, clock.instant()));
    assertThat(e.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), false));
  }

  /** {@code e} reports the run ended; the entity acknowledges once it has persisted the end. */
  EventSourcedBehaviorTestKit.CommandResult<JobEntity.Command, JobEntity.Event, JobState> end(
      Executor e, ExecutorNode.Run run, RunStatus status) {
    var result =
        report(
            new ExecutorNode.Ended(run.token(), e.node, outcome(status), clock.instant(), e.ref()));
    assertThat(e.next(ExecutorNode.Ack.class)).isEqualTo(new ExecutorNode.Ack(run.token(), true));
    return result;
  }

  static RunOutcome outcome(RunStatus status) {
    return status == RunStatus.SUCCEEDED
        ? new RunOutcome(status, 0, null)
        : new RunOutcome(status, status == RunStatus.FAILED ? 3 : null, "ended " + status);
  }

  /** Lets the next tick come, and starts the run it hands to {@code e}. */
  ExecutorNode.Run tickAndStart(Executor e) {
    advance(TICK);
    ExecutorNode.Run run = handedTo(e);
    start(e, run);
    return run;
  }
}
