package io.distcron.api;

import io.distcron.schedule.Calendar;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.InvalidScheduleException;
import java.time.DateTimeException;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a client's calendar into a valid {@link Calendar}, or an {@link ApiError} naming the field.
 */
final class CalendarSpecs {
  private static final int MAX_DESCRIPTION = 2000;
  private static final int MAX_DATES = 1000;
  private static final int MAX_RANGES = 100;
  private static final int MAX_CRON = 200;
  private static final int MAX_TIMEZONE = 100;

  private CalendarSpecs() {}

  /** {@code pathName}: the name in the URL of a PUT, null for a POST. */
  static Calendar toCalendar(Dtos.CalendarRequest r, String pathName) {
    String name = JobSpecs.nameOf(r.name(), pathName);
    Inputs.text(r.description(), "description", MAX_DESCRIPTION);
    String zone = zone(r.timezone());
    List<LocalDate> dates = dates(r.dates());
    List<Calendar.DateRange> ranges = ranges(r.ranges());
    String cron = cron(r.cron(), zone, name);
    return new Calendar(name, r.description(), zone, new java.util.TreeSet<>(dates), ranges, cron);
  }

  static Dtos.CalendarDto toDto(Calendar c) {
    return new Dtos.CalendarDto(
        c.name(),
        c.description(),
        c.timezone(),
        c.dates().stream().map(LocalDate::toString).toList(),
        c.ranges().stream()
            .map(r -> new Dtos.DateRangeDto(r.from().toString(), r.to().toString()))
            .toList(),
        c.cron());
  }

  private static String zone(String timezone) {
    if (timezone == null || timezone.isBlank()) return "UTC";
    Inputs.text(timezone, "timezone", MAX_TIMEZONE);
    try {
      return ZoneId.of(timezone.trim()).getId();
    } catch (DateTimeException e) {
      throw ApiError.badRequest(
          "timezone", "invalid timezone '" + timezone + "': not a known IANA zone id");
    }
  }

  private static List<LocalDate> dates(List<String> dates) {
    if (dates == null) return List.of();
    if (dates.size() > MAX_DATES) {
      throw ApiError.badRequest("dates", "dates holds at most " + MAX_DATES + " dates");
    }
    List<LocalDate> out = new ArrayList<>();
    for (int i = 0; i < dates.size(); i++) out.add(date(dates.get(i), "dates[" + i + "]"));
    return out;
  }

  private static List<Calendar.DateRange> ranges(List<Dtos.DateRangeDto> ranges) {
    if (ranges == null) return List.of();
    if (ranges.size() > MAX_RANGES) {
      throw ApiError.badRequest("ranges", "ranges holds at most " + MAX_RANGES + " ranges");
    }
    List<Calendar.DateRange> out = new ArrayList<>();
    for (int i = 0; i < ranges.size(); i++) {
      String at = "ranges[" + i + "]";
      Dtos.DateRangeDto r = ranges.get(i);
      if (r == null) throw ApiError.badRequest(at, at + " must be an object with from and to");
      LocalDate from = date(r.from(), at + ".from");
      LocalDate to = date(r.to(), at + ".to");
      if (from.isAfter(to)) {
        throw ApiError.badRequest(at, at + ": from " + from + " is after to " + to);
      }
      out.add(new Calendar.DateRange(from, to));
    }
    return out;
  }

  private static LocalDate date(String iso, String field) {
    try {
      if (iso != null) return LocalDate.parse(iso.trim());
    } catch (DateTimeParseException e) {
      // falls through to the error below
    }
    throw ApiError.badRequest(field, field + " must be a date such as 2026-12-25");
  }

  /** Any schedule a job may have; {@code H} hashes the calendar's name. */
  private static String cron(String cron, String zone, String name) {
    if (cron == null) return null;
    if (cron.isBlank()) throw ApiError.badRequest("cron", "cron must not be blank");
    Inputs.text(cron, "cron", MAX_CRON);
    try {
      CronSchedule.parse(cron, zone, name);
    } catch (InvalidScheduleException e) {
      throw ApiError.badRequest("cron", e.getMessage().replace("schedule", "cron"));
    } catch (RuntimeException e) {
      throw ApiError.badRequest("cron", "invalid cron '" + cron.trim() + "'");
    }
    return cron.trim();
  }
}
