package io.distcron.schedule;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;

/**
 * Numbers every node derives alike from a text: SHA-256, so that texts differing in a character
 * (the ticks of one job, the names of two) get unrelated numbers.
 */
public final class StableHash {
  private StableHash() {}

  /** A non-negative number from {@code text}. */
  static long of(String text) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
      long h = 0;
      for (int i = 0; i < 8; i++) h = (h << 8) | (d[i] & 0xff);
      return h & Long.MAX_VALUE;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /**
   * A job's jitter for one tick: from zero up to (not including) {@code max}, in whole
   * milliseconds. Derived from the job and the tick rather than drawn at random, so a tick keeps
   * its delay when its job moves to another node before it fires.
   */
  public static Duration jitter(String job, Instant tick, Duration max) {
    if (max == null || max.isZero()) return Duration.ZERO;
    return Duration.ofMillis(of(job + "@" + tick) % max.toMillis());
  }
}
