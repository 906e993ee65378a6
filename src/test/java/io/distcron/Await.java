package io.distcron;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline; tests never sleep to synchronise. */
public final class Await {
  private Await() {}

  public static void until(Duration timeout, String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
    }
  }

  /**
   * {@code condition}, asked at most every 300 ms (false in between): for conditions that cost a
   * round of HTTP calls to the nodes.
   */
  public static BooleanSupplier every(BooleanSupplier condition) {
    long[] next = {System.nanoTime()};
    return () -> {
      long now = System.nanoTime();
      if (now - next[0] < 0) return false;
      next[0] = now + 300_000_000L;
      return condition.getAsBoolean();
    };
  }
}
