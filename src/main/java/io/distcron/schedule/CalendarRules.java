package io.distcron.schedule;

import java.time.Instant;
import java.util.List;
import java.util.Optional;

/** Whether a job's tick falls in a time one of its calendars excludes: pure, on a lookup. */
public final class CalendarRules {
  private CalendarRules() {}

  /** Calendars by name, as a node knows them. */
  public interface Lookup {
    /** Empty: not known here — not loaded yet, or no such calendar. */
    Optional<Calendar> calendar(String name);
  }

  /** The skip reason of a tick a known calendar excludes: {@code calendar NAME}, the first one. */
  public static Optional<String> excludedBy(List<String> names, Instant tick, Lookup lookup) {
    for (String name : names) {
      Optional<Calendar> c = lookup.calendar(name);
      if (c.isPresent() && c.get().excludes(tick)) return Optional.of(reason(name));
    }
    return Optional.empty();
  }

  /** The first of {@code names} the lookup does not know. */
  public static Optional<String> unknown(List<String> names, Lookup lookup) {
    return names.stream().filter(n -> lookup.calendar(n).isEmpty()).findFirst();
  }

  public static String reason(String calendar) {
    return "calendar " + calendar;
  }
}
