package io.distcron.calendar;

import io.distcron.schedule.Calendar;
import io.distcron.schedule.CalendarRules;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * This node's view of the calendars, as last loaded from the calendars table by {@link
 * CalendarSync}; read by job entities when they decide a tick. The map is swapped whole, so readers
 * never lock. Until the first load, no calendar is known.
 */
public final class Calendars implements CalendarRules.Lookup {
  private volatile Map<String, Calendar> byName = Map.of();

  @Override
  public Optional<Calendar> calendar(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  void loaded(List<Calendar> calendars) {
    byName =
        calendars.stream()
            .collect(Collectors.toUnmodifiableMap(Calendar::name, Function.identity()));
  }
}
