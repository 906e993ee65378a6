package io.distcron.schedule;

/**
 * A job's schedule or time zone cannot be used; {@link #field()} names the offending request field.
 */
public final class InvalidScheduleException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String field;

  private InvalidScheduleException(String field, String message, Throwable cause) {
    super(message, cause);
    this.field = field;
  }

  static InvalidScheduleException schedule(String expression, String reason) {
    return new InvalidScheduleException(
        "schedule", "invalid schedule '" + expression + "': " + reason, null);
  }

  static InvalidScheduleException timezone(String timezone, Throwable cause) {
    return new InvalidScheduleException(
        "timezone", "invalid timezone '" + timezone + "': not a known IANA zone id", cause);
  }

  /** {@code "schedule"} or {@code "timezone"}. */
  public String field() {
    return field;
  }
}
