package io.distcron.schedule;

import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code @every 1h30m}: ticks at every multiple of the interval since the epoch, so that all nodes,
 * and a job recovered on another node, compute the same instants without any stored anchor. Time
 * zones and DST do not apply.
 */
record IntervalTicks(Duration interval) implements Ticks {

  private static final Pattern SPEC =
      Pattern.compile("(?:(\\d{1,6})h)?(?:(\\d{1,8})m)?(?:(\\d{1,10})s)?");

  /** Parses {@code 30s}, {@code 5m}, {@code 2h}, {@code 1h30m}...; empty if malformed or zero. */
  static Optional<IntervalTicks> parse(String spec) {
    Matcher m = SPEC.matcher(spec);
    if (spec.isEmpty() || !m.matches()) return Optional.empty();
    Duration d =
        Duration.ofHours(number(m.group(1)))
            .plusMinutes(number(m.group(2)))
            .plusSeconds(number(m.group(3)));
    return d.isZero() ? Optional.empty() : Optional.of(new IntervalTicks(d));
  }

  private static long number(String digits) {
    return digits == null ? 0 : Long.parseLong(digits);
  }

  @Override
  public Optional<Instant> nextAfter(Instant t) {
    long step = interval.getSeconds();
    try {
      return Optional.of(
          Instant.ofEpochSecond(
              Math.multiplyExact(Math.floorDiv(t.getEpochSecond(), step) + 1, step)));
    } catch (ArithmeticException | DateTimeException endOfTime) {
      return Optional.empty();
    }
  }

  @Override
  public String describe() {
    long s = interval.getSeconds();
    List<String> parts = new ArrayList<>();
    add(parts, s / 3600, "hour");
    add(parts, s % 3600 / 60, "minute");
    add(parts, s % 60, "second");
    // "every hour", not "every 1 hour", matching cron-utils' wording for "0 * * * *"
    if (parts.size() == 1 && parts.get(0).startsWith("1 ")) {
      return "every " + parts.get(0).substring(2);
    }
    return "every " + String.join(" ", parts);
  }

  private static void add(List<String> parts, long n, String unit) {
    if (n > 0) parts.add(n + " " + unit + (n == 1 ? "" : "s"));
  }
}
