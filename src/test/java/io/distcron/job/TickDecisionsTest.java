package io.distcron.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

/** The entity's decisions without an actor: a due tick, a finished run, the ticks it missed. */
class TickDecisionsTest {
  private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  private static final String SELF = "node-a:1";
  private static final CronSchedule EVERY_SECOND = CronSchedule.parse("* * * * * ?", "UTC");

  // ---- a due tick

  @ParameterizedTest
  @EnumSource(OverlapPolicy.class)
  void anIdleJobFiresItsTick(OverlapPolicy overlap) {
    assertThat(TickDecisions.onTick(state(spec(overlap), Map.of(), List.of()), T0))
        .isEqualTo(new TickDecisions.Fire());
  }

  @Test
  void whileARunIsActiveEachPolicyDecidesItsWay() {
    Map<String, JobState.ActiveRun> running = Map.of("r1", active());
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.SKIP), running, List.of()), T0))
        .isEqualTo(new TickDecisions.Skip("previous run still active"));
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.ALLOW), running, List.of()), T0))
        .isEqualTo(new TickDecisions.Fire());
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.QUEUE_ONE), running, List.of()), T0))
        .isEqualTo(new TickDecisions.Queue(false));
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.REPLACE), running, List.of()), T0))
        .isEqualTo(new TickDecisions.Queue(true));
  }

  @ParameterizedTest
  @CsvSource({"QUEUE_ONE,SCHEDULE", "QUEUE_ONE,CATCHUP", "REPLACE,SCHEDULE", "REPLACE,CATCHUP"})
  void onlyOneTickWaits(OverlapPolicy overlap, RunReason waiting) {
    var s =
        state(
            spec(overlap),
            Map.of("r1", active()),
            List.of(queued("q1", waiting, T0.minusSeconds(1))));
    assertThat(TickDecisions.onTick(s, T0))
        .isEqualTo(new TickDecisions.Skip("a run is already queued"));
  }

  @Test
  void aWaitingRetryIsNotATickWaiting() {
    var s =
        state(
            spec(OverlapPolicy.QUEUE_ONE),
            Map.of("r1", active()),
            List.of(queued("retry", RunReason.RETRY, T0.minusSeconds(1))));
    assertThat(TickDecisions.onTick(s, T0)).isEqualTo(new TickDecisions.Queue(false));
  }

  @Test
  void aQueuedRunThatMayStartNowStartsBeforeTheTickIsDecided() {
    var ready = List.of(queued("q1", RunReason.CATCHUP, T0));
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.SKIP), Map.of(), ready), T0))
        .isEqualTo(new TickDecisions.DrainFirst());
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.QUEUE_ONE), Map.of(), ready), T0))
        .isEqualTo(new TickDecisions.DrainFirst());
    // ALLOW starts the tick anyway: the queued run is no reason to wait.
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.ALLOW), Map.of(), ready), T0))
        .isEqualTo(new TickDecisions.Fire());
  }

  @Test
  void aRetryStillInItsBackoffKeepsTheJobBusy() {
    var waiting = List.of(queued("retry", RunReason.RETRY, T0.plusSeconds(5)));
    assertThat(TickDecisions.onTick(state(spec(OverlapPolicy.SKIP), Map.of(), waiting), T0))
        .isEqualTo(new TickDecisions.Skip("previous run still active"));
    assertThat(TickDecisions.startsNow(state(spec(OverlapPolicy.SKIP), Map.of(), waiting), T0))
        .isFalse();
    assertThat(
            TickDecisions.startsNow(
                state(spec(OverlapPolicy.SKIP), Map.of(), waiting), T0.plusSeconds(5)))
        .isTrue();
  }

  @Test
  void queuedRunsDrainOnlyWhileTheJobTicksAndNothingElseRuns() {
    var q = queued("q1", RunReason.SCHEDULE, T0);
    assertThat(TickDecisions.drainable(state(spec(OverlapPolicy.QUEUE_ONE), Map.of(), List.of(q))))
        .contains(q);
    assertThat(
            TickDecisions.drainable(
                state(spec(OverlapPolicy.QUEUE_ONE), Map.of("r1", active()), List.of(q))))
        .isEmpty();
    assertThat(
            TickDecisions.drainable(
                state(spec(OverlapPolicy.ALLOW), Map.of("r1", active()), List.of(q))))
        .contains(q);
    JobState paused =
        new JobState(spec(OverlapPolicy.QUEUE_ONE), true, T0, Map.of(), List.of(q), null, null);
    assertThat(TickDecisions.drainable(paused)).isEmpty();
  }

  @Test
  void theQueuedRunThatMayGoFirstGoesFirst() {
    var later = queued("later", RunReason.RETRY, T0.plusSeconds(9));
    var sooner = queued("sooner", RunReason.RETRY, T0.plusSeconds(2));
    assertThat(
            TickDecisions.drainable(
                state(spec(OverlapPolicy.SKIP), Map.of(), List.of(later, sooner))))
        .contains(sooner);
  }

  // ---- a finished run

  @ParameterizedTest
  @EnumSource(
      value = RunStatus.class,
      names = {"FAILED", "TIMED_OUT", "LOST"})
  void failuresAreRetriedAfterTheBackoff(RunStatus status) {
    JobSpec spec = retrying(new RetryPolicy(3, Duration.ofSeconds(2), 3.0, Duration.ofSeconds(10)));
    Instant tick = T0.minusSeconds(30);
    // Each retry names the attempt it follows: its trace links there.
    assertThat(TickDecisions.retry(spec, "first", tick, 1, status, T0, () -> "retry-1"))
        .contains(
            new JobEntity.RunQueued(
                "retry-1", tick, RunReason.RETRY, 2, T0.plusSeconds(2), "first"));
    assertThat(TickDecisions.retry(spec, "retry-1", tick, 2, status, T0, () -> "retry-2"))
        .contains(
            new JobEntity.RunQueued(
                "retry-2", tick, RunReason.RETRY, 3, T0.plusSeconds(6), "retry-1"));
    assertThat(TickDecisions.retry(spec, "retry-2", tick, 3, status, T0, () -> "retry-3"))
        .isEmpty();
  }

  @Test
  void theBackoffStopsGrowingAtItsMaximum() {
    JobSpec spec =
        retrying(new RetryPolicy(10, Duration.ofSeconds(2), 3.0, Duration.ofSeconds(10)));
    assertThat(TickDecisions.retry(spec, "run", T0, 4, RunStatus.FAILED, T0, () -> "r"))
        .map(JobEntity.RunQueued::notBefore)
        .contains(T0.plusSeconds(10));
  }

  @ParameterizedTest
  @EnumSource(
      value = RunStatus.class,
      names = {"SUCCEEDED", "KILLED", "SKIPPED"})
  void successesKillsAndSkipsAreNotRetried(RunStatus status) {
    JobSpec spec = retrying(new RetryPolicy(5, Duration.ofSeconds(1), 2.0, null));
    assertThat(TickDecisions.retry(spec, "run", T0, 1, status, T0, () -> "r")).isEmpty();
  }

  @Test
  void withoutAPolicyOrAJobNothingIsRetried() {
    assertThat(
            TickDecisions.retry(
                spec(OverlapPolicy.SKIP), "run", T0, 1, RunStatus.FAILED, T0, () -> "r"))
        .isEmpty();
    assertThat(TickDecisions.retry(null, "run", T0, 1, RunStatus.FAILED, T0, () -> "r")).isEmpty();
  }

  // ---- missed ticks

  @Test
  void nothingMissedDecidesNothing() {
    Instant now = T0.plusMillis(900);
    assertThat(catchUp(CatchUpPolicy.DEFAULT, EVERY_SECOND, T0, now, true)).isEmpty();
  }

  @Test
  void missedTicksFireInPlaceForANoopJobAndQueueOtherwise() {
    Instant now = T0.plusSeconds(3).plusMillis(400);
    List<JobEntity.Event> inPlace = catchUp(CatchUpPolicy.DEFAULT, EVERY_SECOND, T0, now, true);
    assertThat(inPlace)
        .containsExactly(
            new JobEntity.RunFired(
                "id-1", T0.plusSeconds(1), now, RunReason.CATCHUP, 1, SELF, true, 0, 0, null),
            new JobEntity.RunFired(
                "id-2", T0.plusSeconds(2), now, RunReason.CATCHUP, 1, SELF, true, 0, 0, null),
            new JobEntity.RunFired(
                "id-3", T0.plusSeconds(3), now, RunReason.CATCHUP, 1, SELF, true, 0, 0, null));

    List<JobEntity.Event> queued = catchUp(CatchUpPolicy.DEFAULT, EVERY_SECOND, T0, now, false);
    assertThat(queued)
        .containsExactly(
            new JobEntity.RunQueued("id-1", T0.plusSeconds(1), RunReason.CATCHUP, 1, now, null),
            new JobEntity.RunQueued("id-2", T0.plusSeconds(2), RunReason.CATCHUP, 1, now, null),
            new JobEntity.RunQueued("id-3", T0.plusSeconds(3), RunReason.CATCHUP, 1, now, null));
  }

  @Test
  void theWindowAndMaxRunsChooseTheNewestTicksAndSayWhyTheOthersWereSkipped() {
    Instant now = T0.plusSeconds(10).plusMillis(400);
    var policy = new CatchUpPolicy(CatchUpPolicy.Mode.ALL, Duration.ofSeconds(5), 2);
    List<JobEntity.Event> events = catchUp(policy, EVERY_SECOND, T0, now, true);
    assertThat(events)
        .filteredOn(JobEntity.RunFired.class::isInstance)
        .extracting(e -> ((JobEntity.RunFired) e).scheduledAt())
        .containsExactly(T0.plusSeconds(9), T0.plusSeconds(10));
    assertThat(events)
        .filteredOn(JobEntity.TicksSkipped.class::isInstance)
        .containsExactly(
            new JobEntity.TicksSkipped(
                seconds(1, 5), "catch-up: missed by more than the window (PT5S)"),
            new JobEntity.TicksSkipped(
                seconds(6, 8), "catch-up: more than maxRuns (2) ticks were missed"));
    assertEachTickOnce(events, EVERY_SECOND, T0, now);
  }

  @Test
  void latestFiresOnlyTheNewestAndNoneFiresNothing() {
    Instant now = T0.plusSeconds(4).plusMillis(400);
    var latest = new CatchUpPolicy(CatchUpPolicy.Mode.LATEST, null, 0);
    List<JobEntity.Event> events = catchUp(latest, EVERY_SECOND, T0, now, true);
    assertThat(events)
        .filteredOn(JobEntity.RunFired.class::isInstance)
        .extracting(e -> ((JobEntity.RunFired) e).scheduledAt())
        .containsExactly(T0.plusSeconds(4));
    assertEachTickOnce(events, EVERY_SECOND, T0, now);

    var none = new CatchUpPolicy(CatchUpPolicy.Mode.NONE, null, 0);
    assertThat(catchUp(none, EVERY_SECOND, T0, now, true))
        .containsExactly(new JobEntity.TicksSkipped(seconds(1, 4), "catch-up: policy NONE"));
  }

  @Test
  void manyTicksSkippedForOneReasonAreOneRangeAndAFewAreNamed() {
    int missed = TickDecisions.MAX_SKIPPED_ONE_BY_ONE * 40 + 7;
    Instant now = T0.plusSeconds(missed).plusMillis(400);
    var none = new CatchUpPolicy(CatchUpPolicy.Mode.NONE, Duration.ofDays(1), 0);
    List<JobEntity.Event> events = catchUp(none, EVERY_SECOND, T0, now, true);
    assertThat(events)
        .containsExactly(
            new JobEntity.TickRangeSkipped(
                T0.plusSeconds(1),
                T0.plusSeconds(missed).plusNanos(1),
                missed,
                "catch-up: policy NONE"));
    assertEachTickOnce(events, EVERY_SECOND, T0, now);

    int few = TickDecisions.MAX_SKIPPED_ONE_BY_ONE;
    Instant soon = T0.plusSeconds(few).plusMillis(400);
    assertThat(catchUp(none, EVERY_SECOND, T0, soon, true))
        .containsExactly(new JobEntity.TicksSkipped(seconds(1, few), "catch-up: policy NONE"));
  }

  @Test
  void moreMissedTicksThanAreRecordedOneByOneEndInOneRangeBeforeTheNewest() {
    int missed = TickDecisions.MAX_RECORDED + 1_500;
    Instant now = T0.plusSeconds(missed).plusMillis(400);
    var policy = new CatchUpPolicy(CatchUpPolicy.Mode.ALL, Duration.ofHours(4), 3);
    List<JobEntity.Event> events = catchUp(policy, EVERY_SECOND, T0, now, true);

    var range = (JobEntity.TickRangeSkipped) events.get(0);
    assertThat(range.from()).isEqualTo(T0.plusSeconds(1));
    assertThat(range.count()).as("uncounted").isZero();
    assertThat(range.reason())
        .isEqualTo("catch-up: more than " + TickDecisions.MAX_RECORDED + " ticks were missed");
    // The newest MAX_RECORDED follow it: three fire, the others are one range of their own reason.
    assertThat(events)
        .filteredOn(JobEntity.RunFired.class::isInstance)
        .extracting(e -> ((JobEntity.RunFired) e).scheduledAt())
        .containsExactly(
            T0.plusSeconds(missed - 2), T0.plusSeconds(missed - 1), T0.plusSeconds(missed));
    assertThat(events)
        .filteredOn(JobEntity.TickRangeSkipped.class::isInstance)
        .hasSize(2)
        .last()
        .satisfies(
            e -> {
              var beyondMaxRuns = (JobEntity.TickRangeSkipped) e;
              assertThat(beyondMaxRuns.from()).isEqualTo(range.until());
              assertThat(beyondMaxRuns.count()).isEqualTo(TickDecisions.MAX_RECORDED - 3);
            });
    assertEachTickOnce(events, EVERY_SECOND, T0, now);
  }

  @Test
  void aRangeHoldsOnlyTheTicksBeyondTheNewestMaxRecorded() {
    int missed = TickDecisions.MAX_RECORDED + 1_500;
    Instant now = T0.plusSeconds(missed).plusMillis(400);
    var policy = new CatchUpPolicy(CatchUpPolicy.Mode.ALL, Duration.ofHours(4), 3);
    List<JobEntity.Event> events = catchUp(policy, EVERY_SECOND, T0, now, true);
    assertThat(events.get(0))
        .isEqualTo(
            new JobEntity.TickRangeSkipped(
                T0.plusSeconds(1),
                T0.plusSeconds(1_501),
                0,
                "catch-up: more than " + TickDecisions.MAX_RECORDED + " ticks were missed"));
  }

  /**
   * Whatever the schedule, the gap and the policy, every tick in (lastScheduled, now] is decided
   * exactly once: fired, skipped, or inside a range.
   */
  @ParameterizedTest
  @CsvSource({
    "* * * * * ?, 7, ALL, PT1H, 100",
    "*/7 * * * * ?, 500, ALL, PT1M, 3",
    "*/7 * * * * ?, 500, LATEST, PT1H, 1",
    "0 * * * * ?, 7200, NONE, PT1H, 1",
    "@every 3s, 40000, ALL, PT10H, 5",
    "* * * * * ?, 10001, LATEST, PT1H, 1",
    "* * * * * ?, 10000, ALL, PT24H, 100",
    "* * * * * ?, 25000, ALL, PT1H, 100",
    "* * * * * ?, 12000, ALL, PT8H, 10000"
  })
  void everyMissedTickIsDecidedExactlyOnce(
      String cron, long gapSeconds, CatchUpPolicy.Mode mode, Duration window, int maxRuns) {
    CronSchedule schedule = CronSchedule.parse(cron, "UTC");
    Instant last = T0.plusMillis(250);
    Instant now = last.plusSeconds(gapSeconds).plusMillis(300);
    var policy = new CatchUpPolicy(mode, window, maxRuns);
    for (boolean inPlace : new boolean[] {true, false}) {
      List<JobEntity.Event> events = catchUp(policy, schedule, last, now, inPlace);
      assertEachTickOnce(events, schedule, last, now);
      assertThat(individuallyDecided(events)).hasSizeLessThanOrEqualTo(TickDecisions.MAX_RECORDED);
      // ALL fires the newest maxRuns of the ticks decided by name in the window, LATEST the newest.
      Instant windowStart = now.minus(window);
      List<Instant> inWindow =
          individuallyDecided(events).stream().filter(t -> !t.isBefore(windowStart)).toList();
      int firing =
          switch (mode) {
            case ALL -> Math.min(maxRuns, inWindow.size());
            case LATEST -> Math.min(1, inWindow.size());
            case NONE -> 0;
          };
      assertThat(events.stream().filter(e -> !isSkip(e)).map(TickDecisionsTest::tickOf).toList())
          .isEqualTo(inWindow.subList(inWindow.size() - firing, inWindow.size()));
      if (mode != CatchUpPolicy.Mode.NONE && !schedule.between(windowStart, now, 1).isEmpty()) {
        assertThat(firing).isPositive();
      }
    }
  }

  // ---- helpers

  private static JobSpec spec(OverlapPolicy overlap) {
    return new JobSpec(
        "job",
        "",
        Map.of(),
        "* * * * * ?",
        "UTC",
        new Action.Shell("true", Map.of(), null, null),
        60,
        true,
        overlap,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static JobSpec retrying(RetryPolicy retry) {
    return new JobSpec(
        "job",
        "",
        Map.of(),
        "* * * * * ?",
        "UTC",
        new Action.Shell("true", Map.of(), null, null),
        60,
        true,
        null,
        null,
        retry,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static JobSpec catchingUp(CatchUpPolicy catchUp) {
    return new JobSpec(
        "job",
        "",
        Map.of(),
        "* * * * * ?",
        "UTC",
        new Action.Noop(),
        60,
        true,
        null,
        catchUp,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static JobState state(
      JobSpec spec, Map<String, JobState.ActiveRun> active, List<JobState.QueuedRun> queued) {
    return new JobState(spec, false, T0.minusSeconds(1), active, queued, null, null);
  }

  private static JobState.ActiveRun active() {
    return new JobState.ActiveRun(
        T0.minusSeconds(1), 1, RunReason.SCHEDULE, SELF, 101, 1, T0.minusSeconds(1));
  }

  private static JobState.QueuedRun queued(String id, RunReason reason, Instant notBefore) {
    return new JobState.QueuedRun(id, T0.minusSeconds(2), reason, 1, notBefore, null);
  }

  private static List<Instant> seconds(int from, int to) {
    return IntStream.rangeClosed(from, to).mapToObj(T0::plusSeconds).toList();
  }

  private static List<JobEntity.Event> catchUp(
      CatchUpPolicy policy, CronSchedule schedule, Instant last, Instant now, boolean inPlace) {
    AtomicInteger n = new AtomicInteger();
    Supplier<String> ids = () -> "id-" + n.incrementAndGet();
    return TickDecisions.catchUp(
        catchingUp(policy), schedule, last, now, inPlace, SELF, name -> Optional.empty(), ids);
  }

  private static Instant tickOf(JobEntity.Event e) {
    return e instanceof JobEntity.RunFired f
        ? f.scheduledAt()
        : ((JobEntity.RunQueued) e).scheduledAt();
  }

  private static boolean isSkip(JobEntity.Event e) {
    return e instanceof JobEntity.TicksSkipped || e instanceof JobEntity.TickRangeSkipped;
  }

  /** The ticks decided by name (fired, queued or skipped), in order. */
  private static List<Instant> individuallyDecided(List<JobEntity.Event> events) {
    List<Instant> ticks = new ArrayList<>();
    for (JobEntity.Event e : events) {
      if (e instanceof JobEntity.RunFired f) ticks.add(f.scheduledAt());
      else if (e instanceof JobEntity.RunQueued q) ticks.add(q.scheduledAt());
      else if (e instanceof JobEntity.TicksSkipped s) ticks.addAll(s.ticks());
    }
    Collections.sort(ticks);
    return ticks;
  }

  /**
   * Each tick of {@code schedule} in (last, now] is decided once: fired or queued, skipped by name,
   * or inside a range; nothing else is decided.
   */
  static void assertEachTickOnce(
      List<JobEntity.Event> events, CronSchedule schedule, Instant last, Instant now) {
    Map<Instant, Integer> decided = new HashMap<>();
    individuallyDecided(events).forEach(t -> decided.merge(t, 1, Integer::sum));
    List<Instant> expected = schedule.between(last, now, Integer.MAX_VALUE);
    for (JobEntity.Event e : events) {
      if (e instanceof JobEntity.TickRangeSkipped r) {
        assertThat(r.from()).isAfter(last);
        assertThat(r.until()).isAfter(r.from()).isBeforeOrEqualTo(now.plusNanos(1));
        for (Instant t : expected) {
          if (!t.isBefore(r.from()) && t.isBefore(r.until())) decided.merge(t, 1, Integer::sum);
        }
      }
    }
    Set<Instant> owed = new HashSet<>(expected);
    List<Instant> undecided = expected.stream().filter(t -> !decided.containsKey(t)).toList();
    List<Instant> twice = expected.stream().filter(t -> decided.getOrDefault(t, 0) > 1).toList();
    List<Instant> notOwed = decided.keySet().stream().filter(t -> !owed.contains(t)).toList();
    assertThat(undecided).as("ticks without a decision").isEmpty();
    assertThat(twice).as("ticks decided twice").isEmpty();
    assertThat(notOwed).as("decisions of ticks that were not missed").isEmpty();
  }
}
