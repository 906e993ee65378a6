package io.distcron.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.schedule.CatchUpPolicy.Decision;
import io.distcron.schedule.CatchUpPolicy.Mode;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * The catch-up plan: every missed tick gets exactly one decision, fired or skipped with a reason.
 */
class CatchUpPolicyTest {
  private static final Instant NOW = Instant.parse("2026-01-01T01:00:00.500Z");
  private static final String WINDOW_PT5S = "catch-up: missed by more than the window (PT5S)";

  /** Whole-second ticks {@code seconds} (oldest first) before NOW, which is half past a second. */
  private static List<Instant> ticksSecondsAgo(int... seconds) {
    return IntStream.of(seconds)
        .mapToObj(s -> NOW.minusSeconds(s).truncatedTo(ChronoUnit.SECONDS))
        .toList();
  }

  private static List<Instant> fired(List<Decision> plan) {
    return plan.stream().filter(Decision::fires).map(Decision::tick).toList();
  }

  private static List<String> reasons(List<Decision> plan) {
    return plan.stream().map(Decision::skipReason).toList();
  }

  @Test
  void allFiresEveryMissedTickInsideTheWindowInOrder() {
    List<Instant> missed = ticksSecondsAgo(4, 3, 2, 1);
    List<Decision> plan = new CatchUpPolicy(Mode.ALL, Duration.ofSeconds(10), 10).plan(missed, NOW);
    assertThat(plan).extracting(Decision::tick).containsExactlyElementsOf(missed);
    assertThat(plan).allMatch(Decision::fires);
  }

  @Test
  void allBeyondMaxRunsFiresTheNewestAndSkipsTheOlderWithTheMaxRunsReason() {
    List<Instant> missed = ticksSecondsAgo(5, 4, 3, 2, 1);
    List<Decision> plan = new CatchUpPolicy(Mode.ALL, Duration.ofMinutes(1), 2).plan(missed, NOW);
    assertThat(plan).extracting(Decision::tick).containsExactlyElementsOf(missed);
    assertThat(fired(plan)).containsExactlyElementsOf(missed.subList(3, 5));
    String maxRuns = "catch-up: more than maxRuns (2) ticks were missed";
    assertThat(reasons(plan)).containsExactly(maxRuns, maxRuns, maxRuns, null, null);
  }

  @Test
  void ticksOutsideTheWindowAreSkippedWithTheWindowReason() {
    // Window 5 s before 01:00:00.5 starts at 00:59:55.5: the ticks at :53, :54 and :55 are out.
    List<Instant> missed = ticksSecondsAgo(7, 6, 5, 4, 3);
    assertThat(missed.get(2)).isEqualTo(Instant.parse("2026-01-01T00:59:55Z"));
    List<Decision> plan = new CatchUpPolicy(Mode.ALL, Duration.ofSeconds(5), 100).plan(missed, NOW);
    assertThat(reasons(plan)).containsExactly(WINDOW_PT5S, WINDOW_PT5S, WINDOW_PT5S, null, null);
  }

  @Test
  void aTickExactlyAtTheWindowStartIsInside() {
    Instant atStart = NOW.minusSeconds(5);
    List<Decision> plan =
        new CatchUpPolicy(Mode.ALL, Duration.ofSeconds(5), 100).plan(List.of(atStart), NOW);
    assertThat(plan).containsExactly(new Decision(atStart, null));
  }

  @Test
  void windowAndMaxRunsTogether() {
    // 10 ticks missed; the window (from 00:59:55.5) holds the 4 newest, of which 2 fire.
    List<Instant> missed = ticksSecondsAgo(10, 9, 8, 7, 6, 5, 4, 3, 2, 1);
    List<Decision> plan = new CatchUpPolicy(Mode.ALL, Duration.ofSeconds(5), 2).plan(missed, NOW);
    String maxRuns = "catch-up: more than maxRuns (2) ticks were missed";
    assertThat(reasons(plan))
        .containsExactly(
            WINDOW_PT5S,
            WINDOW_PT5S,
            WINDOW_PT5S,
            WINDOW_PT5S,
            WINDOW_PT5S,
            WINDOW_PT5S,
            maxRuns,
            maxRuns,
            null,
            null);
    assertThat(fired(plan)).containsExactlyElementsOf(missed.subList(8, 10));
  }

  @Test
  void latestFiresOnlyTheNewestTick() {
    List<Instant> missed = ticksSecondsAgo(8, 3, 2, 1);
    List<Decision> plan =
        new CatchUpPolicy(Mode.LATEST, Duration.ofSeconds(5), 100).plan(missed, NOW);
    String latest = "catch-up: only the latest missed tick runs";
    assertThat(reasons(plan)).containsExactly(WINDOW_PT5S, latest, latest, null);
    assertThat(fired(plan)).containsExactly(missed.get(3));
  }

  @Test
  void latestWithNothingInsideTheWindowFiresNothing() {
    List<Instant> missed = ticksSecondsAgo(9, 8);
    List<Decision> plan =
        new CatchUpPolicy(Mode.LATEST, Duration.ofSeconds(5), 100).plan(missed, NOW);
    assertThat(reasons(plan)).containsExactly(WINDOW_PT5S, WINDOW_PT5S);
  }

  @Test
  void noneSkipsEverything() {
    List<Instant> missed = ticksSecondsAgo(9, 3, 2, 1);
    List<Decision> plan =
        new CatchUpPolicy(Mode.NONE, Duration.ofSeconds(5), 100).plan(missed, NOW);
    String none = "catch-up: policy NONE";
    assertThat(reasons(plan)).containsExactly(WINDOW_PT5S, none, none, none);
    assertThat(fired(plan)).isEmpty();
  }

  @Test
  void emptyListPlansNothing() {
    for (Mode mode : Mode.values()) {
      assertThat(new CatchUpPolicy(mode, null, 0).plan(List.of(), NOW)).isEmpty();
    }
  }

  @Test
  void nullFieldsTakeTheDefaults() {
    CatchUpPolicy p = new CatchUpPolicy(null, null, 0);
    assertThat(p).isEqualTo(CatchUpPolicy.DEFAULT);
    assertThat(p.policy()).isEqualTo(Mode.ALL);
    assertThat(p.window()).isEqualTo(Duration.ofHours(1));
    assertThat(p.maxRuns()).isEqualTo(100);
    assertThat(new CatchUpPolicy(Mode.NONE, null, -3).maxRuns()).isEqualTo(100);
  }

  @Test
  void defaultFiresTheMissedTicksOfTheLastHour() {
    // 150 per-minute ticks missed: the 60 of the last hour (the one exactly an hour ago included)
    // fire.
    List<Instant> missed =
        IntStream.rangeClosed(1, 150).mapToObj(i -> NOW.minusSeconds(60L * (151 - i))).toList();
    List<Decision> plan = CatchUpPolicy.DEFAULT.plan(missed, NOW);
    assertThat(plan).extracting(Decision::tick).containsExactlyElementsOf(missed);
    assertThat(fired(plan)).containsExactlyElementsOf(missed.subList(90, 150));
  }

  @Test
  void defaultFiresAtMostAHundred() {
    List<Instant> missed =
        IntStream.rangeClosed(1, 150).mapToObj(i -> NOW.minusSeconds(151 - i)).toList();
    List<Decision> plan = CatchUpPolicy.DEFAULT.plan(missed, NOW);
    assertThat(fired(plan)).containsExactlyElementsOf(missed.subList(50, 150));
    assertThat(plan.subList(0, 50))
        .extracting(Decision::skipReason)
        .containsOnly("catch-up: more than maxRuns (100) ticks were missed");
  }
}
