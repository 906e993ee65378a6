package io.distcron.schedule;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Times a job must not fire in, shared by the jobs that list it in {@code excludeCalendars}, as
 * Quartz's holiday and cron calendars. Pure and immutable; persisted as JSON by the calendar store.
 *
 * <p>An instant is excluded when, in the calendar's {@code timezone} (UTC when none is given):
 *
 * <ul>
 *   <li>its local date is one of {@code dates} (the whole day, 00:00 to 24:00 local time, however
 *       long a DST change makes it);
 *   <li>its local date is within a range of {@code ranges}, both ends included: {@code 2026-12-24}
 *       to {@code 2027-01-01} excludes every instant from 24 December 00:00 up to 2 January 00:00;
 *   <li>or {@code cron} matches it at the expression's resolution: a 5-field (Unix) expression or a
 *       macro excludes the whole minutes it fires in, a 6/7-field (Quartz) or {@code @every}
 *       expression the whole seconds. {@code * * 0-6 * * ?} excludes 00:00:00 to 06:59:59 every
 *       day; {@code 0-29 * * * *} the first half of every hour. The expression's instants follow
 *       {@link CronSchedule}'s DST rules: a local time a spring-forward skips is matched shifted
 *       forward, and a time a fall-back repeats matches at its first occurrence only, unless the
 *       hour field is {@code *}.
 * </ul>
 */
public record Calendar(
    String name,
    String description,
    String timezone,
    SortedSet<LocalDate> dates,
    List<DateRange> ranges,
    String cron) {

  /** Local dates from {@code from} to {@code to}, both included. */
  public record DateRange(LocalDate from, LocalDate to) {
    public DateRange {
      if (from.isAfter(to)) {
        throw new IllegalArgumentException("a range's from " + from + " is after its to " + to);
      }
    }

    boolean contains(LocalDate day) {
      return !day.isBefore(from) && !day.isAfter(to);
    }
  }

  public Calendar {
    description = description == null ? "" : description;
    timezone = timezone == null || timezone.isBlank() ? "UTC" : timezone;
    dates = Collections.unmodifiableSortedSet(new TreeSet<>(dates == null ? List.of() : dates));
    ranges = ranges == null ? List.of() : List.copyOf(ranges);
  }

  /** The zone its dates and cron fields are in. */
  @JsonIgnore
  public ZoneId zone() {
    return ZoneId.of(timezone);
  }

  /** The parsed cron of excluded times, null when it has none; {@code H} hashes its name. */
  @JsonIgnore
  public CronSchedule cronSchedule() {
    return cron == null ? null : CronSchedule.parse(cron, timezone, name);
  }

  /** Whether {@code t} falls in a time this calendar excludes. */
  public boolean excludes(Instant t) {
    ZonedDateTime local = t.atZone(zone());
    LocalDate day = local.toLocalDate();
    if (dates.contains(day)) return true;
    for (DateRange r : ranges) {
      if (r.contains(day)) return true;
    }
    return cron != null && cronMatches(cronSchedule(), local);
  }

  private static boolean cronMatches(CronSchedule cron, ZonedDateTime local) {
    Duration resolution = cron.resolution();
    Instant from =
        local
            .truncatedTo(
                resolution.equals(Duration.ofMinutes(1)) ? ChronoUnit.MINUTES : ChronoUnit.SECONDS)
            .toInstant();
    return cron.nextAfter(from.minusNanos(1))
        .map(next -> next.isBefore(from.plus(resolution)))
        .orElse(false);
  }
}
