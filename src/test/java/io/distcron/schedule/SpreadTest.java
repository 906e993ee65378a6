package io.distcron.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code H} in cron fields, a job's bounds, and its jitter: how jobs spread out in time. */
class SpreadTest {

  private static final Instant T0 = Instant.parse("2026-12-03T00:00:00Z");

  private static CronSchedule hashed(String expression, String job) {
    return CronSchedule.parse(expression, "UTC", job);
  }

  @Test
  void oneJobGetsTheSameSlotEveryTime() {
    // Parsed anew (no cache shared with the first) it must resolve alike: every node agrees.
    String resolved = hashed("H H * * *", "nightly-backup").expression();
    assertThat(HashedFields.resolve(new String[] {"H", "H", "*", "*", "*"}, "nightly-backup", ""))
        .containsExactly(resolved.split(" "));
    assertThat(resolved).matches("\\d{1,2} \\d{1,2} \\* \\* \\*");
  }

  @Test
  void aThousandJobsSpreadEvenlyOverFiveMinutes() {
    int[] perMinute = new int[5];
    for (int i = 0; i < 1000; i++) {
      Instant first = hashed("H/5 * * * *", "job-" + i).nextAfter(T0.minusSeconds(1)).orElseThrow();
      perMinute[first.atZone(ZoneOffset.UTC).getMinute()]++;
    }
    // Within ±10 % of uniform: 200 a minute.
    assertThat(IntStream.of(perMinute).boxed()).allSatisfy(n -> assertThat(n).isBetween(180, 220));
  }

  @Test
  void unrelatedNamesSpreadAsChanceWould() {
    int[] perMinute = new int[5];
    java.util.Random random = new java.util.Random(7);
    for (int i = 0; i < 1000; i++) {
      String name = Long.toString(random.nextLong() & Long.MAX_VALUE, 36);
      Instant first = hashed("H/5 * * * *", name).nextAfter(T0.minusSeconds(1)).orElseThrow();
      perMinute[first.atZone(ZoneOffset.UTC).getMinute()]++;
    }
    // Four standard deviations of a binomial(1000, 1/5) either side of 200.
    assertThat(IntStream.of(perMinute).boxed()).allSatisfy(n -> assertThat(n).isBetween(150, 250));
  }

  @Test
  void hSlashStepKeepsTheStep() {
    List<Instant> ticks = hashed("H/15 * * * *", "report").next(T0, 8);
    for (int i = 1; i < ticks.size(); i++) {
      assertThat(Duration.between(ticks.get(i - 1), ticks.get(i)))
          .isEqualTo(Duration.ofMinutes(15));
    }
    assertThat(ticks.get(0).atZone(ZoneOffset.UTC).getMinute()).isLessThan(15);
  }

  @Test
  void aRangeBoundsTheHash() {
    Set<Integer> hours = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      Instant t = hashed("0 H(1-4) * * *", "etl-" + i).nextAfter(T0).orElseThrow();
      hours.add(t.atZone(ZoneOffset.UTC).getHour());
    }
    assertThat(hours).containsExactlyInAnyOrder(1, 2, 3, 4);
  }

  @Test
  void rangeWithStepStartsInsideTheRange() {
    for (int i = 0; i < 50; i++) {
      String minutes = hashed("H(0-29)/10 * * * *", "j" + i).expression().split(" ")[0];
      assertThat(minutes).matches("[0-9]-29/10");
    }
  }

  @Test
  void quartzSecondsTakeHToo() {
    Set<Integer> seconds = new HashSet<>();
    IntStream.range(0, 100)
        .forEach(
            i ->
                seconds.add(
                    hashed("H * * * * ?", "s" + i)
                        .nextAfter(T0)
                        .orElseThrow()
                        .atZone(ZoneOffset.UTC)
                        .getSecond()));
    assertThat(seconds.size()).isGreaterThan(40);
  }

  @Test
  void fieldsHashApart() {
    // Minute and hour from one hash would give the same number whenever both ranges allow it.
    long same =
        IntStream.range(0, 200)
            .filter(
                i -> {
                  String[] f = hashed("H H * * *", "n" + i).expression().split(" ");
                  return f[0].equals(f[1]);
                })
            .count();
    assertThat(same).isLessThan(40);
  }

  @Test
  void namesLikeDaysAreNotHashes() {
    assertThat(hashed("0 0 12 ? * THU", "x").expression()).isEqualTo("0 0 12 ? * THU");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"H(5-70) * * * *", "H(9-3) * * * *", "H/0 * * * *", "HX * * * *", "0 0 0 1 1 ? H"})
  void badHashesAreRefusedNamingTheSchedule(String expression) {
    assertThatThrownBy(() -> hashed(expression, "job"))
        .isInstanceOfSatisfying(
            InvalidScheduleException.class, e -> assertThat(e.field()).isEqualTo("schedule"));
  }

  @Test
  void hWithoutANameIsRefused() {
    assertThatThrownBy(() -> CronSchedule.parse("H * * * *", "UTC"))
        .isInstanceOf(InvalidScheduleException.class)
        .hasMessageContaining("name");
  }

  @Test
  void boundsAreInclusiveAndOpenWhenNull() {
    CronSchedule hourly = CronSchedule.parse("0 * * * *", "UTC");
    Instant start = T0.plusSeconds(3600);
    Instant end = T0.plusSeconds(3 * 3600);
    CronSchedule bounded = hourly.within(start, end);
    assertThat(bounded.next(T0.minusSeconds(7200), 10))
        .containsExactly(start, start.plusSeconds(3600), end);
    assertThat(bounded.nextAfter(end)).isEmpty();
    assertThat(hourly.within(null, end).nextAfter(T0.minusSeconds(1))).contains(T0);
    assertThat(hourly.within(start, null).between(end, end.plusSeconds(7200), 5)).hasSize(2);
    assertThat(hourly.within(null, null)).isSameAs(hourly);
  }

  @Test
  void jitterIsStablePerTickAndSpreadsBelowItsMaximum() {
    Duration max = Duration.ofSeconds(30);
    Set<Duration> seen = new HashSet<>();
    for (int i = 0; i < 100; i++) {
      Instant tick = T0.plusSeconds(60L * i);
      Duration d = StableHash.jitter("job", tick, max);
      assertThat(d).isEqualTo(StableHash.jitter("job", tick, max));
      assertThat(d).isGreaterThanOrEqualTo(Duration.ZERO).isLessThan(max);
      seen.add(d);
    }
    assertThat(seen.size()).isGreaterThan(90);
    assertThat(StableHash.jitter("job", T0, null)).isZero();
  }
}
