package io.distcron.schedule;

import java.time.Duration;

/**
 * Retries of a FAILED, TIMED_OUT or LOST run: {@code maxAttempts} counts the first run too, so 1
 * means no retry. The wait before attempt n+1 is {@code backoff * multiplier^(n-1)}, at most {@code
 * maxBackoff}.
 */
public record RetryPolicy(
    int maxAttempts, Duration backoff, double multiplier, Duration maxBackoff) {

  public static final RetryPolicy NONE =
      new RetryPolicy(1, Duration.ofSeconds(10), 2.0, Duration.ofMinutes(5));

  public RetryPolicy {
    maxAttempts = Math.max(1, maxAttempts);
    backoff = backoff == null ? NONE.backoff() : backoff;
    multiplier = multiplier <= 0 ? 2.0 : multiplier;
    maxBackoff = maxBackoff == null ? Duration.ofMinutes(5) : maxBackoff;
  }

  public boolean retriesAfter(int attempt) {
    return attempt < maxAttempts;
  }

  public Duration backoffAfter(int attempt) {
    double millis = backoff.toMillis() * Math.pow(multiplier, Math.max(0, attempt - 1));
    return millis >= maxBackoff.toMillis() ? maxBackoff : Duration.ofMillis((long) millis);
  }
}
