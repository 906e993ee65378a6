package io.distcron.alert;

import io.distcron.CborSerializable;
import java.time.Duration;
import java.util.List;

/**
 * One of a job's alert rules: which kinds of alert go to which channel. {@code lateAfter}: how late
 * a run may start before it is LATE; null when the rule takes no LATE, else {@link #DEFAULT_LATE}
 * when not given.
 */
public record NotifyRule(String channel, List<AlertKind> on, Duration lateAfter)
    implements CborSerializable {
  public static final Duration DEFAULT_LATE = Duration.ofMinutes(5);

  public NotifyRule {
    on = on == null ? List.of() : List.copyOf(on);
  }
}
