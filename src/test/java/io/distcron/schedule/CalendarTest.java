package io.distcron.schedule;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

class CalendarTest {
  private static final String BERLIN = "Europe/Berlin";

  private static Calendar dates(String zone, String... days) {
    TreeSet<LocalDate> set = new TreeSet<>();
    for (String d : days) set.add(LocalDate.parse(d));
    return new Calendar("holidays", null, zone, set, null, null);
  }

  private static Calendar range(String zone, String from, String to) {
    return new Calendar(
        "holidays",
        null,
        zone,
        null,
        List.of(new Calendar.DateRange(LocalDate.parse(from), LocalDate.parse(to))),
        null);
  }

  private static Calendar cron(String zone, String cron) {
    return new Calendar("quiet", null, zone, null, null, cron);
  }

  private static Instant at(String iso) {
    return Instant.parse(iso);
  }

  @Test
  void aDateIsTheWholeLocalDayInTheCalendarsZone() {
    Calendar c = dates(BERLIN, "2026-12-25");
    // 25 December in Berlin (CET, UTC+1) is 24 Dec 23:00Z up to 25 Dec 23:00Z.
    assertThat(c.excludes(at("2026-12-24T22:59:59.999Z"))).isFalse();
    assertThat(c.excludes(at("2026-12-24T23:00:00Z"))).isTrue();
    assertThat(c.excludes(at("2026-12-25T12:00:00Z"))).isTrue();
    assertThat(c.excludes(at("2026-12-25T22:59:59.999Z"))).isTrue();
    assertThat(c.excludes(at("2026-12-25T23:00:00Z"))).isFalse();
    // The same date in UTC is another stretch of time.
    assertThat(dates("UTC", "2026-12-25").excludes(at("2026-12-24T23:00:00Z"))).isFalse();
    assertThat(dates(null, "2026-12-25").excludes(at("2026-12-25T23:30:00Z"))).isTrue();
  }

  @Test
  void aDateOnWhichDstChangesIsItsShortOrLongLocalDay() {
    // 29 March 2026: Berlin springs forward, a 23-hour day from 28 Mar 23:00Z to 29 Mar 22:00Z.
    Calendar spring = dates(BERLIN, "2026-03-29");
    assertThat(spring.excludes(at("2026-03-28T22:59:59Z"))).isFalse();
    assertThat(spring.excludes(at("2026-03-28T23:00:00Z"))).isTrue();
    assertThat(spring.excludes(at("2026-03-29T21:59:59Z"))).isTrue();
    assertThat(spring.excludes(at("2026-03-29T22:00:00Z"))).isFalse();
    // 25 October 2026: it falls back, a 25-hour day from 24 Oct 22:00Z to 25 Oct 23:00Z.
    Calendar fall = dates(BERLIN, "2026-10-25");
    assertThat(fall.excludes(at("2026-10-24T21:59:59Z"))).isFalse();
    assertThat(fall.excludes(at("2026-10-24T22:00:00Z"))).isTrue();
    assertThat(fall.excludes(at("2026-10-25T22:59:59Z"))).isTrue();
    assertThat(fall.excludes(at("2026-10-25T23:00:00Z"))).isFalse();
  }

  @Test
  void aRangeIncludesBothItsDaysWhole() {
    Calendar c = range(BERLIN, "2026-12-24", "2027-01-01");
    assertThat(c.excludes(at("2026-12-23T22:59:59Z"))).isFalse();
    assertThat(c.excludes(at("2026-12-23T23:00:00Z"))).isTrue();
    assertThat(c.excludes(at("2026-12-31T12:00:00Z"))).isTrue();
    assertThat(c.excludes(at("2027-01-01T22:59:59.999Z"))).isTrue();
    assertThat(c.excludes(at("2027-01-01T23:00:00Z"))).isFalse();
    Calendar oneDay = range("UTC", "2026-05-01", "2026-05-01");
    assertThat(oneDay.excludes(at("2026-05-01T00:00:00Z"))).isTrue();
    assertThat(oneDay.excludes(at("2026-05-02T00:00:00Z"))).isFalse();
  }

  @Test
  void aRangeMustNotEndBeforeItStarts() {
    assertThatThrownBy(
            () ->
                new Calendar.DateRange(
                    LocalDate.parse("2026-02-02"), LocalDate.parse("2026-02-01")))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aQuartzCronExcludesTheWholeSecondsItMatchesInTheCalendarsZone() {
    Calendar nights = cron(BERLIN, "* * 0-6 * * ?");
    // 1 June: CEST, UTC+2. 00:00 to 06:59:59 local is 22:00Z (the day before) to 04:59:59Z.
    assertThat(nights.excludes(at("2026-05-31T21:59:59Z"))).isFalse();
    assertThat(nights.excludes(at("2026-05-31T22:00:00Z"))).isTrue();
    assertThat(nights.excludes(at("2026-06-01T04:59:59.900Z"))).isTrue();
    assertThat(nights.excludes(at("2026-06-01T05:00:00Z"))).isFalse();

    Calendar second30 = cron("UTC", "30 * * * * ?");
    assertThat(second30.excludes(at("2026-06-01T10:00:29.999Z"))).isFalse();
    assertThat(second30.excludes(at("2026-06-01T10:00:30Z"))).isTrue();
    assertThat(second30.excludes(at("2026-06-01T10:00:30.999Z"))).isTrue();
    assertThat(second30.excludes(at("2026-06-01T10:00:31Z"))).isFalse();
  }

  @Test
  void aUnixCronOrMacroExcludesTheWholeMinutesItMatches() {
    Calendar firstHalf = cron("UTC", "0-29 * * * *");
    assertThat(firstHalf.excludes(at("2026-06-01T10:00:00Z"))).isTrue();
    assertThat(firstHalf.excludes(at("2026-06-01T10:29:59.500Z"))).isTrue();
    assertThat(firstHalf.excludes(at("2026-06-01T10:30:00Z"))).isFalse();
    assertThat(firstHalf.excludes(at("2026-06-01T10:59:59Z"))).isFalse();

    Calendar hourly = cron("UTC", "@hourly");
    assertThat(hourly.excludes(at("2026-06-01T11:00:59Z"))).isTrue();
    assertThat(hourly.excludes(at("2026-06-01T11:01:00Z"))).isFalse();
  }

  @Test
  void anEveryCronExcludesTheWholeSecondsOfItsTicks() {
    Calendar every = cron("UTC", "@every 1h");
    assertThat(every.excludes(at("2026-06-01T11:00:00.500Z"))).isTrue();
    assertThat(every.excludes(at("2026-06-01T11:00:01Z"))).isFalse();
  }

  @Test
  void aCronFollowsTheSchedulesDstRules() {
    // 25 October 2026, Berlin: 02:00-02:59 happens twice. A fixed hour matches its first pass
    // (CEST, 00:xxZ) only; every hour (*) matches both.
    Calendar two = cron(BERLIN, "* 2 * * *");
    assertThat(two.excludes(at("2026-10-25T00:30:00Z"))).isTrue();
    assertThat(two.excludes(at("2026-10-25T01:30:00Z"))).isFalse();
    Calendar quarter = cron(BERLIN, "0-14 * * * *");
    assertThat(quarter.excludes(at("2026-10-25T00:10:00Z"))).isTrue();
    assertThat(quarter.excludes(at("2026-10-25T01:10:00Z"))).isTrue();
    // 29 March 2026: 02:30 does not exist; it is matched shifted forward, at 03:30 CEST (01:30Z).
    Calendar half = cron(BERLIN, "30 2 * * *");
    assertThat(half.excludes(at("2026-03-29T01:30:00Z"))).isTrue();
    assertThat(half.excludes(at("2026-03-29T01:31:00Z"))).isFalse();
  }

  @Test
  void rulesNameTheFirstCalendarThatExcludesAndTheFirstUnknown() {
    Map<String, Calendar> known =
        Map.of(
            "holidays", dates("UTC", "2026-12-25"),
            "nights", cron("UTC", "* * 0-6 * * ?"));
    CalendarRules.Lookup lookup = name -> Optional.ofNullable(known.get(name));
    Instant christmasNight = at("2026-12-25T03:00:00Z");
    assertThat(CalendarRules.excludedBy(List.of("nights", "holidays"), christmasNight, lookup))
        .contains("calendar nights");
    assertThat(CalendarRules.excludedBy(List.of("missing", "holidays"), christmasNight, lookup))
        .contains("calendar holidays");
    assertThat(CalendarRules.excludedBy(List.of("holidays"), at("2026-12-26T03:00:00Z"), lookup))
        .isEmpty();
    assertThat(CalendarRules.excludedBy(List.of(), christmasNight, lookup)).isEmpty();
    assertThat(CalendarRules.unknown(List.of("holidays", "missing", "other"), lookup))
        .contains("missing");
    assertThat(CalendarRules.unknown(List.of("holidays", "nights"), lookup)).isEmpty();
  }
}
