package io.distcron.exec;

import io.distcron.store.RunStore;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Appends a running run's output to the run store in chunks, a few times a second, so followers see
 * it live and a node crash keeps what was produced. It stores at most {@code maxBytes}; the final
 * output tail is recorded with the run either way.
 */
final class OutputSink implements Consumer<String> {
  private static final Logger log = LoggerFactory.getLogger(OutputSink.class);
  private static final long FLUSH_DELAY_MS = 250;

  private final String runId;
  private final RunStore store;
  private final Executor later;
  private final long maxBytes;
  private final StringBuilder buffer = new StringBuilder();
  private long stored;
  private int seq;
  private boolean flushScheduled;
  private boolean full;

  OutputSink(String runId, RunStore store, Executor blocking, long maxBytes) {
    this.runId = runId;
    this.store = store;
    this.later = CompletableFuture.delayedExecutor(FLUSH_DELAY_MS, TimeUnit.MILLISECONDS, blocking);
    this.maxBytes = maxBytes;
  }

  @Override
  public synchronized void accept(String text) {
    if (full) return;
    buffer.append(text);
    if (!flushScheduled) {
      flushScheduled = true;
      CompletableFuture.runAsync(this::flush, later);
    }
  }

  /** The run's final output tail, whatever the live chunks stopped at. */
  void keepTail(String tail) {
    if (tail == null || tail.isEmpty()) return;
    try {
      store.keepTail(runId, tail);
    } catch (RuntimeException e) {
      log.warn("Output tail of run {} not stored: {}", runId, e.toString());
    }
  }

  /** Writes what is buffered; the last call, after the process ended, leaves nothing behind. */
  synchronized void flush() {
    flushScheduled = false;
    if (buffer.length() == 0 || full) return;
    String chunk = buffer.toString();
    buffer.setLength(0);
    if (stored + chunk.length() > maxBytes) {
      chunk = "\n[... live output stopped at " + maxBytes + " bytes; the run keeps its tail ...]\n";
      full = true;
    }
    try {
      store.appendOutput(runId, ++seq, chunk);
      stored += chunk.length();
    } catch (RuntimeException e) {
      // Live output is best effort: the run's final tail is written with retries.
      log.warn("Output chunk {} of run {} not stored: {}", seq, runId, e.toString());
    }
  }
}
