package io.distcron.job;

import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.tick;
import static io.distcron.job.EntityTestbed.ticks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.schedule.Calendar;
import io.distcron.schedule.CatchUpPolicy;
import java.time.Duration;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A job's ticks against its calendars, with manual time: skipped, caught up, waited for. */
class JobEntityCalendarTest {
  private static ActorTestKit kit;
  private static int counter;

  private EntityTestbed bed;

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    bed = new EntityTestbed(kit, "calendars-" + (++counter), NODE_A);
  }

  @AfterEach
  void tearDown() {
    bed.close();
  }

  /** Excludes the seconds {@code from}-{@code to} of every minute. */
  private static Calendar quiet(int from, int to) {
    return new Calendar("quiet", null, "UTC", null, null, from + "-" + to + " * * * * ?");
  }

  private void create(CatchUpPolicy catchUp, String... calendars) {
    JobSpec spec = bed.spec(new Action.Noop(), null, catchUp, null);
    bed.create(withCalendars(spec, List.of(calendars)));
  }

  private static JobSpec withCalendars(JobSpec s, List<String> calendars) {
    return new JobSpec(
        s.name(),
        s.description(),
        s.labels(),
        s.schedule(),
        s.timezone(),
        s.action(),
        s.timeoutSeconds(),
        s.enabled(),
        s.overlap(),
        s.catchUp(),
        s.retry(),
        s.jitter(),
        s.startAt(),
        s.endAt(),
        s.managedBy(),
        s.target(),
        s.notifyRules(),
        calendars);
  }

  private void step() {
    bed.advance(TICK);
    bed.sync();
  }

  private List<Object> ticksDecided() {
    return bed.events().stream()
        .filter(e -> e instanceof JobEntity.RunFired || e instanceof JobEntity.TicksSkipped)
        .toList();
  }

  @Test
  void anExcludedTickIsSkippedNamingTheCalendarAndTheNextOneRuns() {
    bed.calendars.put("quiet", quiet(2, 3));
    create(null, "quiet");
    for (int i = 1; i <= 4; i++) step();

    bed.awaitFired(2);
    assertThat(ticksDecided())
        .containsExactly(
            firedAt(1),
            new JobEntity.TicksSkipped(List.of(tick(2)), "calendar quiet"),
            new JobEntity.TicksSkipped(List.of(tick(3)), "calendar quiet"),
            firedAt(4));
  }

  @Test
  void aChangedCalendarCountsFromTheNextTickDecided() {
    bed.calendars.put("quiet", quiet(50, 51));
    create(null, "quiet");
    step();
    bed.awaitFired(1);
    bed.calendars.put("quiet", quiet(2, 2));
    step();
    bed.awaitEvent(JobEntity.TicksSkipped.class, s -> true);
    bed.calendars.remove("quiet");
    bed.calendars.put("quiet", quiet(50, 51));
    step();
    bed.awaitFired(2);
    assertThat(ticksDecided())
        .containsExactly(
            firedAt(1), new JobEntity.TicksSkipped(List.of(tick(2)), "calendar quiet"), firedAt(3));
  }

  @Test
  void catchUpSkipsTheExcludedTicksAndPlansTheOthers() {
    bed.calendars.put("quiet", quiet(4, 6));
    create(new CatchUpPolicy(CatchUpPolicy.Mode.ALL, null, 0), "quiet");
    step();
    bed.awaitFired(1);
    bed.clock.advance(Duration.ofSeconds(10).plusMillis(400));
    bed.job().restart();

    bed.awaitFired(8);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt, JobEntity.RunFired::reason)
        .containsExactly(
            tuple(tick(1), RunReason.SCHEDULE),
            tuple(tick(2), RunReason.CATCHUP),
            tuple(tick(3), RunReason.CATCHUP),
            tuple(tick(7), RunReason.CATCHUP),
            tuple(tick(8), RunReason.CATCHUP),
            tuple(tick(9), RunReason.CATCHUP),
            tuple(tick(10), RunReason.CATCHUP),
            tuple(tick(11), RunReason.CATCHUP));
    assertThat(bed.events(JobEntity.TicksSkipped.class))
        .containsExactly(new JobEntity.TicksSkipped(ticks(4, 6), "calendar quiet"));
  }

  @Test
  void catchUpUnderLatestRunsTheLatestTickNoCalendarExcludes() {
    bed.calendars.put("quiet", quiet(10, 11));
    create(new CatchUpPolicy(CatchUpPolicy.Mode.LATEST, null, 0), "quiet");
    step();
    bed.awaitFired(1);
    bed.clock.advance(Duration.ofSeconds(10).plusMillis(400));
    bed.job().restart();

    bed.awaitFired(2);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .containsExactly(tick(1), tick(9));
    assertThat(bed.events(JobEntity.TicksSkipped.class))
        .containsExactlyInAnyOrder(
            new JobEntity.TicksSkipped(ticks(10, 11), "calendar quiet"),
            new JobEntity.TicksSkipped(ticks(2, 8), "catch-up: only the latest missed tick runs"));
  }

  @Test
  void aTickWaitsForACalendarNotYetKnownAndIsDecidedOnceItIs() {
    create(null, "quiet");
    step();
    step();
    assertThat(ticksDecided()).isEmpty();

    bed.calendars.put("quiet", quiet(1, 1));
    step();
    bed.awaitFired(1);
    // The first tick was decided late, against the calendar; the others followed.
    assertThat(ticksDecided().get(0))
        .isEqualTo(new JobEntity.TicksSkipped(List.of(tick(1)), "calendar quiet"));
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .startsWith(tick(2));
  }

  @Test
  void aCalendarStillUnknownAfterTheGraceExcludesNothing() {
    create(null, "missing");
    long steps = JobEntity.CALENDAR_GRACE.toSeconds();
    for (int i = 0; i < steps; i++) step();
    assertThat(ticksDecided()).isEmpty();
    step();
    step();
    bed.awaitFired(2);
    assertThat(bed.events(JobEntity.RunFired.class))
        .extracting(JobEntity.RunFired::scheduledAt)
        .startsWith(tick(1), tick(2));
    assertThat(bed.events(JobEntity.TicksSkipped.class)).isEmpty();
  }

  private JobEntity.RunFired firedAt(int n) {
    return bed.events(JobEntity.RunFired.class).stream()
        .filter(f -> f.scheduledAt().equals(tick(n)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("tick " + n + " did not fire"));
  }
}
