package io.distcron.cli;

import java.time.Duration;
import picocli.CommandLine.ITypeConverter;

/** Lets picocli refuse a bad duration at parse time, as a usage error naming the option. */
final class DurationConverter implements ITypeConverter<Duration> {
  @Override
  public Duration convert(String value) {
    Duration d;
    try {
      d = Text.parseDuration(value);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "'" + value + "' is not a duration (examples: 90, 30s, 10m, 1h30m, PT10S)");
    }
    if (d.isNegative() || d.isZero())
      throw new IllegalArgumentException("'" + value + "' must be positive");
    return d;
  }
}
