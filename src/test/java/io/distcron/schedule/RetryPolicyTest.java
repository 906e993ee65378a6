package io.distcron.schedule;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Attempts and backoff of the retry policy. */
class RetryPolicyTest {

  @Test
  void maxAttemptsCountsTheFirstRun() {
    RetryPolicy p = new RetryPolicy(3, Duration.ofSeconds(2), 2.0, Duration.ofMinutes(1));
    assertThat(p.retriesAfter(1)).isTrue();
    assertThat(p.retriesAfter(2)).isTrue();
    assertThat(p.retriesAfter(3)).isFalse();
    assertThat(p.retriesAfter(4)).isFalse();
  }

  @Test
  void noneNeverRetries() {
    assertThat(RetryPolicy.NONE.retriesAfter(1)).isFalse();
    assertThat(new RetryPolicy(0, null, 0, null).retriesAfter(1)).isFalse();
    assertThat(new RetryPolicy(-5, null, 0, null).maxAttempts()).isEqualTo(1);
  }

  @Test
  void backoffGrowsByTheMultiplier() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofSeconds(2), 2.0, Duration.ofMinutes(5));
    assertThat(p.backoffAfter(1)).isEqualTo(Duration.ofSeconds(2));
    assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofSeconds(4));
    assertThat(p.backoffAfter(3)).isEqualTo(Duration.ofSeconds(8));
    assertThat(p.backoffAfter(4)).isEqualTo(Duration.ofSeconds(16));
  }

  @Test
  void fractionalMultiplier() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofSeconds(10), 1.5, Duration.ofMinutes(5));
    assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofSeconds(15));
    assertThat(p.backoffAfter(3)).isEqualTo(Duration.ofMillis(22_500));
  }

  @Test
  void backoffIsCappedAtMaxBackoff() {
    RetryPolicy p = new RetryPolicy(100, Duration.ofSeconds(10), 2.0, Duration.ofSeconds(30));
    assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(p.backoffAfter(3)).isEqualTo(Duration.ofSeconds(30));
    assertThat(p.backoffAfter(4)).isEqualTo(Duration.ofSeconds(30));
    // Huge exponents overflow to infinity and still give the cap.
    assertThat(p.backoffAfter(5000)).isEqualTo(Duration.ofSeconds(30));
    // A first backoff above the cap is capped too.
    assertThat(
            new RetryPolicy(3, Duration.ofMinutes(10), 2.0, Duration.ofMinutes(1)).backoffAfter(1))
        .isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void multiplierOneKeepsTheBackoffConstant() {
    RetryPolicy p = new RetryPolicy(5, Duration.ofSeconds(7), 1.0, Duration.ofMinutes(5));
    for (int attempt = 1; attempt <= 5; attempt++) {
      assertThat(p.backoffAfter(attempt)).isEqualTo(Duration.ofSeconds(7));
    }
  }

  @Test
  void nullFieldsTakeTheDefaults() {
    RetryPolicy p = new RetryPolicy(3, null, 0, null);
    assertThat(p.backoff()).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.multiplier()).isEqualTo(2.0);
    assertThat(p.maxBackoff()).isEqualTo(Duration.ofMinutes(5));
    assertThat(p.backoffAfter(1)).isEqualTo(Duration.ofSeconds(10));
    assertThat(p.backoffAfter(2)).isEqualTo(Duration.ofSeconds(20));
    assertThat(new RetryPolicy(3, null, -1.0, null).multiplier()).isEqualTo(2.0);
  }
}
