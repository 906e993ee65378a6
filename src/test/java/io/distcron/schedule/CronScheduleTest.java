package io.distcron.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class CronScheduleTest {

  private static Instant at(String utc) {
    return Instant.parse(utc);
  }

  private static List<Instant> instants(String... utc) {
    return java.util.Arrays.stream(utc).map(Instant::parse).toList();
  }

  private static List<Instant> next(String expression, String zone, String after, int count) {
    return CronSchedule.parse(expression, zone).next(at(after), count);
  }

  @Nested
  class Shared {
    @Test
    void jobsWithOneScheduleShareOneParsedInstance() {
      assertThat(CronSchedule.parse("*/7 * * * * ?", "UTC"))
          .isSameAs(CronSchedule.parse("*/7 * * * * ?", "UTC"))
          .isNotSameAs(CronSchedule.parse("*/7 * * * * ?", "Europe/Berlin"));
    }

    @Test
    void aSharedScheduleAnswersEveryThreadCorrectly() throws Exception {
      CronSchedule schedule = CronSchedule.parse("*/3 * * * * ?", "UTC");
      Instant start = at("2025-01-01T00:00:00Z");
      java.util.concurrent.ExecutorService pool =
          java.util.concurrent.Executors.newFixedThreadPool(8);
      try {
        List<java.util.concurrent.Future<Boolean>> checks = new java.util.ArrayList<>();
        for (int thread = 0; thread < 8; thread++) {
          checks.add(
              pool.submit(
                  () -> {
                    for (int s = 0; s < 3000; s++) {
                      Instant t = start.plusSeconds(s % 300);
                      long expected = (t.getEpochSecond() / 3 + 1) * 3;
                      if (schedule.nextAfter(t).orElseThrow().getEpochSecond() != expected)
                        return false;
                    }
                    return true;
                  }));
        }
        for (var check : checks) assertThat(check.get()).isTrue();
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Nested
  class Unix {
    @Test
    void fiveFieldsHaveMinuteResolution() {
      assertThat(next("*/5 * * * *", null, "2025-01-01T00:02:59Z", 3))
          .isEqualTo(
              instants("2025-01-01T00:05:00Z", "2025-01-01T00:10:00Z", "2025-01-01T00:15:00Z"));
    }

    @Test
    void dayOfWeekZeroAndSevenAndSunAreSunday() {
      for (String dow : List.of("0", "7", "SUN", "sun")) {
        assertThat(next("0 0 * * " + dow, "UTC", "2025-01-01T00:00:00Z", 1))
            .as(dow)
            .containsExactly(at("2025-01-05T00:00:00Z"));
      }
    }

    @Test
    void restrictedDayOfMonthAndDayOfWeekMatchEither() {
      // Fridays and the 13th (a Monday in January 2025), as in Vixie cron.
      assertThat(next("0 0 13 * 5", "UTC", "2025-01-01T00:00:00Z", 4))
          .isEqualTo(
              instants(
                  "2025-01-03T00:00:00Z",
                  "2025-01-10T00:00:00Z",
                  "2025-01-13T00:00:00Z",
                  "2025-01-17T00:00:00Z"));
    }

    @Test
    void fieldsAreReadInTheJobsZone() {
      assertThat(next("0 9 * * *", "Asia/Kolkata", "2025-01-01T00:00:00Z", 1))
          .containsExactly(at("2025-01-01T03:30:00Z"));
    }
  }

  @Nested
  class Quartz {
    @Test
    void sixFieldsStartWithSeconds() {
      assertThat(next("*/30 * * * * ?", "UTC", "2025-01-01T00:00:10Z", 3))
          .isEqualTo(
              instants("2025-01-01T00:00:30Z", "2025-01-01T00:01:00Z", "2025-01-01T00:01:30Z"));
    }

    @Test
    void starInBothDayFieldsMeansEveryDay() {
      assertThat(next("0 0 12 * * *", "UTC", "2025-01-01T00:00:00Z", 2))
          .isEqualTo(instants("2025-01-01T12:00:00Z", "2025-01-02T12:00:00Z"));
    }

    @Test
    void dayOfWeekOneIsSunday() {
      assertThat(next("0 0 12 ? * 1", "UTC", "2025-01-01T00:00:00Z", 1))
          .containsExactly(at("2025-01-05T12:00:00Z"));
    }

    @Test
    void sevenFieldsHaveAYearAndEnd() {
      assertThat(next("0 0 12 1 1 ? 2026-2027", "UTC", "2025-01-01T00:00:00Z", 5))
          .isEqualTo(instants("2026-01-01T12:00:00Z", "2027-01-01T12:00:00Z"));
    }

    @Test
    void lastDayOfMonth() {
      assertThat(next("0 0 12 L * ?", "UTC", "2025-01-01T00:00:00Z", 3))
          .isEqualTo(
              instants("2025-01-31T12:00:00Z", "2025-02-28T12:00:00Z", "2025-03-31T12:00:00Z"));
    }

    @Test
    void lastFridayOfMonth() {
      assertThat(next("0 0 12 ? * 6L", "UTC", "2025-01-01T00:00:00Z", 3))
          .isEqualTo(
              instants("2025-01-31T12:00:00Z", "2025-02-28T12:00:00Z", "2025-03-28T12:00:00Z"));
    }

    @Test
    void nearestWeekday() {
      // 2025-02-15 and 2025-03-15 are Saturdays, 2025-06-15 a Sunday.
      assertThat(next("0 0 12 15W * ?", "UTC", "2025-01-01T00:00:00Z", 6))
          .isEqualTo(
              instants(
                  "2025-01-15T12:00:00Z",
                  "2025-02-14T12:00:00Z",
                  "2025-03-14T12:00:00Z",
                  "2025-04-15T12:00:00Z",
                  "2025-05-15T12:00:00Z",
                  "2025-06-16T12:00:00Z"));
    }

    @Test
    void lastWeekdayOfMonth() {
      // 2025-05-31 is a Saturday.
      assertThat(next("0 0 12 LW * ?", "UTC", "2025-05-01T00:00:00Z", 1))
          .containsExactly(at("2025-05-30T12:00:00Z"));
    }

    @Test
    void nthWeekdayOfMonth() {
      List<Instant> thirdFridays =
          instants("2025-01-17T12:00:00Z", "2025-02-21T12:00:00Z", "2025-03-21T12:00:00Z");
      assertThat(next("0 0 12 ? * 6#3", "UTC", "2025-01-01T00:00:00Z", 3)).isEqualTo(thirdFridays);
      assertThat(next("0 0 12 ? * FRI#3", "UTC", "2025-01-01T00:00:00Z", 3))
          .isEqualTo(thirdFridays);
    }

    @Test
    void subSecondInputsStillGiveTheNextWholeSecond() {
      assertThat(CronSchedule.parse("* * * * * ?", "UTC").nextAfter(at("2025-01-01T11:59:59.999Z")))
          .contains(at("2025-01-01T12:00:00Z"));
    }
  }

  @Nested
  class Macros {
    @ParameterizedTest
    @CsvSource({
      "@yearly,   2026-01-01T00:00:00Z",
      "@annually, 2026-01-01T00:00:00Z",
      "@monthly,  2025-02-01T00:00:00Z",
      "@weekly,   2025-01-05T00:00:00Z",
      "@daily,    2025-01-02T00:00:00Z",
      "@midnight, 2025-01-02T00:00:00Z",
      "@hourly,   2025-01-01T11:00:00Z",
      "@Daily,    2025-01-02T00:00:00Z",
    })
    void expandToTheirCronExpressions(String macro, String expected) {
      assertThat(CronSchedule.parse(macro, "UTC").nextAfter(at("2025-01-01T10:15:00Z")))
          .contains(at(expected));
    }

    @Test
    void areReadInTheJobsZone() {
      assertThat(
              CronSchedule.parse("@daily", "Europe/Berlin").nextAfter(at("2025-01-01T10:15:00Z")))
          .contains(at("2025-01-01T23:00:00Z"));
    }
  }

  @Nested
  class Every {
    @ParameterizedTest
    @CsvSource({
      "@every 30s,   2025-01-01T12:00:10Z, 2025-01-01T12:00:30Z",
      "@every 5m,    2025-01-01T12:03:00Z, 2025-01-01T12:05:00Z",
      "@every 2h,    2025-01-01T01:00:00Z, 2025-01-01T02:00:00Z",
      "@every 2h,    2025-01-01T02:00:00Z, 2025-01-01T04:00:00Z",
    })
    void ticksAreMultiplesOfTheIntervalSinceTheEpoch(
        String expression, String after, String expected) {
      assertThat(CronSchedule.parse(expression, null).nextAfter(at(after))).contains(at(expected));
    }

    @Test
    void combinedUnitsAreAlignedToo() {
      List<Instant> ticks = next("@every 1h30m", null, "2025-01-01T00:00:00Z", 3);
      assertThat(ticks).hasSize(3).allSatisfy(t -> assertThat(t.getEpochSecond() % 5400).isZero());
      assertThat(Duration.between(ticks.get(0), ticks.get(1))).isEqualTo(Duration.ofMinutes(90));
      assertThat(ticks.get(0))
          .isAfter(at("2025-01-01T00:00:00Z"))
          .isBeforeOrEqualTo(at("2025-01-01T01:30:00Z"));
    }

    @Test
    void ignoresTheZone() {
      assertThat(
              CronSchedule.parse("@every 1h", "Asia/Kolkata").nextAfter(at("2025-01-01T00:10:00Z")))
          .contains(at("2025-01-01T01:00:00Z"));
    }

    @ParameterizedTest
    @ValueSource(
        strings = {"@every", "@every 0s", "@every 5x", "@every -5m", "@every 5", "@every 30m1h"})
    void rejectsBadIntervals(String expression) {
      assertInvalid(expression, "UTC", "schedule");
    }
  }

  @Nested
  class Dst {
    private static List<LocalDate> localDates(List<Instant> ticks, String zone) {
      return ticks.stream().map(t -> t.atZone(ZoneId.of(zone)).toLocalDate()).toList();
    }

    @Test
    void berlinSpringForwardFiresOnceAfterTheGap() {
      // 2025-03-30 02:00 CET -> 03:00 CEST: 02:30 does not exist, it fires at 03:30 CEST.
      List<Instant> ticks =
          CronSchedule.parse("30 2 * * *", "Europe/Berlin")
              .between(at("2025-03-29T00:00:00Z"), at("2025-03-31T23:00:00Z"), 10);
      assertThat(ticks)
          .isEqualTo(
              instants("2025-03-29T01:30:00Z", "2025-03-30T01:30:00Z", "2025-03-31T00:30:00Z"));
      assertThat(localDates(ticks, "Europe/Berlin")).doesNotHaveDuplicates();
    }

    @Test
    void berlinFallBackFiresOnceAtTheFirstOccurrence() {
      // 2025-10-26 03:00 CEST -> 02:00 CET: 02:30 happens at 00:30Z and again at 01:30Z.
      CronSchedule s = CronSchedule.parse("30 2 * * *", "Europe/Berlin");
      assertThat(s.between(at("2025-10-25T00:00:00Z"), at("2025-10-27T23:00:00Z"), 10))
          .isEqualTo(
              instants("2025-10-25T00:30:00Z", "2025-10-26T00:30:00Z", "2025-10-27T01:30:00Z"));
      // The answer does not depend on starting the search inside the repeated hour.
      assertThat(s.nextAfter(at("2025-10-26T00:45:00Z"))).contains(at("2025-10-27T01:30:00Z"));
    }

    @Test
    void newYorkSpringForwardFiresOnceAfterTheGap() {
      // 2025-03-09 02:00 EST -> 03:00 EDT: 02:30 fires at 03:30 EDT.
      assertThat(
              CronSchedule.parse("30 2 * * *", "America/New_York")
                  .between(at("2025-03-08T12:00:00Z"), at("2025-03-10T12:00:00Z"), 10))
          .isEqualTo(instants("2025-03-09T07:30:00Z", "2025-03-10T06:30:00Z"));
    }

    @Test
    void newYorkFallBackFiresOnceAtTheFirstOccurrence() {
      // 2025-11-02 02:00 EDT -> 01:00 EST: 01:30 EDT (05:30Z) wins over 01:30 EST (06:30Z).
      assertThat(
              CronSchedule.parse("30 1 * * *", "America/New_York")
                  .between(at("2025-11-01T12:00:00Z"), at("2025-11-03T12:00:00Z"), 10))
          .isEqualTo(instants("2025-11-02T05:30:00Z", "2025-11-03T06:30:00Z"));
    }

    @ParameterizedTest
    @CsvSource({
      "Europe/Berlin,    2025-10-25T23:50:00Z, 2025-10-26T03:10:00Z",
      "America/New_York, 2025-11-02T04:50:00Z, 2025-11-02T08:10:00Z",
      "Europe/Berlin,    2025-03-29T23:50:00Z, 2025-03-30T03:10:00Z",
      "America/New_York, 2025-03-09T05:50:00Z, 2025-03-09T09:10:00Z",
    })
    void everyFifteenMinutesKeepsItsCadenceAcrossTransitions(String zone, String from, String to) {
      List<Instant> ticks = CronSchedule.parse("*/15 * * * *", zone).between(at(from), at(to), 100);
      assertThat(ticks).hasSize(13).doesNotHaveDuplicates().isSorted();
      for (int i = 1; i < ticks.size(); i++) {
        assertThat(Duration.between(ticks.get(i - 1), ticks.get(i)))
            .isEqualTo(Duration.ofMinutes(15));
      }
    }

    @Test
    void hourlyFiresEveryRealHourThroughBothTransitions() {
      CronSchedule hourly = CronSchedule.parse("0 * * * *", "Europe/Berlin");
      assertThat(hourly.between(at("2025-03-29T22:30:00Z"), at("2025-03-30T03:30:00Z"), 100))
          .isEqualTo(
              instants(
                  "2025-03-29T23:00:00Z",
                  "2025-03-30T00:00:00Z",
                  "2025-03-30T01:00:00Z",
                  "2025-03-30T02:00:00Z",
                  "2025-03-30T03:00:00Z"));
      assertThat(hourly.between(at("2025-10-25T22:30:00Z"), at("2025-10-26T03:30:00Z"), 100))
          .isEqualTo(
              instants(
                  "2025-10-25T23:00:00Z",
                  "2025-10-26T00:00:00Z",
                  "2025-10-26T01:00:00Z",
                  "2025-10-26T02:00:00Z",
                  "2025-10-26T03:00:00Z"));
    }

    @Test
    void aPinnedHourRunsThroughTheRepeatedHourOnce() {
      assertThat(
              CronSchedule.parse("*/15 2 * * *", "Europe/Berlin")
                  .between(at("2025-10-25T12:00:00Z"), at("2025-10-26T12:00:00Z"), 100))
          .isEqualTo(
              instants(
                  "2025-10-26T00:00:00Z",
                  "2025-10-26T00:15:00Z",
                  "2025-10-26T00:30:00Z",
                  "2025-10-26T00:45:00Z"));
    }

    @Test
    void aPinnedHourInTheGapIsShiftedNotDropped() {
      // 02:00-02:45 CET do not exist on 2025-03-30; they run at 03:00-03:45 CEST.
      assertThat(
              CronSchedule.parse("*/15 2 * * *", "Europe/Berlin")
                  .between(at("2025-03-29T12:00:00Z"), at("2025-03-30T12:00:00Z"), 100))
          .isEqualTo(
              instants(
                  "2025-03-30T01:00:00Z",
                  "2025-03-30T01:15:00Z",
                  "2025-03-30T01:30:00Z",
                  "2025-03-30T01:45:00Z"));
    }

    @ParameterizedTest
    @CsvSource({
      "30 2 * * *,   Europe/Berlin,    2025-03-29T20:00:00Z",
      "30 2 * * *,   Europe/Berlin,    2025-10-25T20:00:00Z",
      "*/15 * * * *, Europe/Berlin,    2025-10-25T20:00:00Z",
      "0 */2 * * *,  America/New_York, 2025-03-09T00:00:00Z",
      "*/15 1 * * *, America/New_York, 2025-11-02T00:00:00Z",
    })
    void nextAfterAgreesWithTheEnumerationFromAnyStart(
        String expression, String zone, String from) {
      CronSchedule s = CronSchedule.parse(expression, zone);
      Instant start = at(from);
      List<Instant> all = s.between(start, start.plus(Duration.ofDays(2)), 1000);
      for (Instant t = start;
          t.isBefore(start.plus(Duration.ofHours(12)));
          t = t.plusSeconds(7 * 60 + 1)) {
        Instant probe = t;
        assertThat(s.nextAfter(probe))
            .as("after %s", probe)
            .isEqualTo(all.stream().filter(i -> i.isAfter(probe)).findFirst());
      }
    }

    @Test
    void aTickThatOnlyExistsInAGapStillFires() {
      assertThat(next("0 30 2 30 3 ? 2025", "Europe/Berlin", "2025-01-01T00:00:00Z", 5))
          .containsExactly(at("2025-03-30T01:30:00Z"));
    }
  }

  @Nested
  class Ending {
    @ParameterizedTest
    @CsvSource({
      "0 0 12 1 1 ? 2020, UTC",
      "0 0 12 1 1 ? 2020, Europe/Berlin",
      "0 0 12 1 1 ? 2025, America/New_York",
      "0 0 12 30 2 ?,     UTC",
    })
    void anExpressionThatNeverFiresAgainIsEmpty(String expression, String zone) {
      CronSchedule s = CronSchedule.parse(expression, zone);
      assertThat(s.nextAfter(at("2025-06-01T00:00:00Z"))).isEmpty();
      assertThat(s.next(at("2025-06-01T00:00:00Z"), 3)).isEmpty();
    }

    @Test
    void nextReturnsFewerWhenTheScheduleEnds() {
      assertThat(next("0 0 12 1 1 ? 2026", "Europe/Berlin", "2025-06-01T00:00:00Z", 3))
          .containsExactly(at("2026-01-01T11:00:00Z"));
    }
  }

  @Nested
  class Bounds {
    private final CronSchedule hourly = CronSchedule.parse("0 * * * *", "UTC");

    @Test
    void betweenExcludesTheStartAndIncludesTheEnd() {
      assertThat(hourly.between(at("2025-01-01T10:00:00Z"), at("2025-01-01T12:00:00Z"), 10))
          .isEqualTo(instants("2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z"));
    }

    @Test
    void betweenStopsAtMax() {
      assertThat(hourly.between(at("2025-01-01T10:00:00Z"), at("2025-01-02T10:00:00Z"), 3))
          .isEqualTo(
              instants("2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z", "2025-01-01T13:00:00Z"));
      assertThat(hourly.between(at("2025-01-01T10:00:00Z"), at("2025-01-02T10:00:00Z"), 0))
          .isEmpty();
    }

    @Test
    void betweenAnEmptyWindowIsEmpty() {
      assertThat(hourly.between(at("2025-01-01T10:00:00Z"), at("2025-01-01T10:59:59Z"), 10))
          .isEmpty();
      assertThat(hourly.between(at("2025-01-01T12:00:00Z"), at("2025-01-01T10:00:00Z"), 10))
          .isEmpty();
    }

    @Test
    void nextIsStrictlyAfterAndCounted() {
      assertThat(hourly.nextAfter(at("2025-01-01T10:00:00Z"))).contains(at("2025-01-01T11:00:00Z"));
      assertThat(hourly.next(at("2025-01-01T10:00:00Z"), 2))
          .isEqualTo(instants("2025-01-01T11:00:00Z", "2025-01-01T12:00:00Z"));
      assertThat(hourly.next(at("2025-01-01T10:00:00Z"), 0)).isEmpty();
    }
  }

  @Nested
  class Invalid {
    @ParameterizedTest
    @ValueSource(
        strings = {
          "61 * * * *",
          "* * * *",
          "* * * * * * * *",
          "0 0 12 1 * 2",
          "0 0 L * *",
          "@reboot",
          "hello"
        })
    void badExpressionsNameTheScheduleField(String expression) {
      assertInvalid(expression, "UTC", "schedule");
    }

    @Test
    void theMessageQuotesTheExpressionAndTheReason() {
      assertThatThrownBy(() -> CronSchedule.parse("61 * * * *", "UTC"))
          .isInstanceOf(InvalidScheduleException.class)
          .hasMessageStartingWith("invalid schedule '61 * * * *': ")
          .hasMessageContaining("61");
    }

    @Test
    void blankExpressionsNameTheScheduleField() {
      assertInvalid(null, "UTC", "schedule");
      assertInvalid("", "UTC", "schedule");
      assertInvalid("   ", "UTC", "schedule");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Mars/Olympus_Mons", "Europe/Berln", "not a zone"})
    void unknownZonesNameTheTimezoneField(String zone) {
      assertInvalid("0 * * * *", zone, "timezone");
    }

    @Test
    void blankZoneMeansUtc() {
      assertThat(CronSchedule.parse("0 9 * * *", " ").nextAfter(at("2025-01-01T00:00:00Z")))
          .contains(at("2025-01-01T09:00:00Z"));
      assertThat(CronSchedule.parse("0 9 * * *", null).zone()).isEqualTo(ZoneId.of("Z"));
    }
  }

  @Test
  void describesInEnglish() {
    assertThat(CronSchedule.parse("*/5 * * * *", "UTC").describe()).isEqualTo("every 5 minutes");
    assertThat(CronSchedule.parse("30 2 * * *", "Europe/Berlin").describe()).isEqualTo("at 02:30");
    assertThat(CronSchedule.parse("@every 30s", null).describe()).isEqualTo("every 30 seconds");
    assertThat(CronSchedule.parse("@every 1h", null).describe()).isEqualTo("every hour");
    assertThat(CronSchedule.parse("@every 1h30m", null).describe())
        .isEqualTo("every 1 hour 30 minutes");
  }

  @Test
  void equalityIsExpressionAndZone() {
    assertThat(CronSchedule.parse(" @daily ", "Europe/Berlin"))
        .isEqualTo(CronSchedule.parse("@daily", "Europe/Berlin"))
        .isNotEqualTo(CronSchedule.parse("@daily", "UTC"));
  }

  private static void assertInvalid(String expression, String zone, String field) {
    assertThatThrownBy(() -> CronSchedule.parse(expression, zone))
        .isInstanceOfSatisfying(
            InvalidScheduleException.class, e -> assertThat(e.field()).isEqualTo(field));
  }
}
