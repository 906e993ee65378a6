package io.distcron.store;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-side stores with the blocking executor their calls must run on; actors only see futures.
 * Run records are written with retries, so a database outage delays them rather than losing them.
 */
public record Stores(RunStore runs, JobIndex jobs, Executor blocking) {
  private static final Logger log = LoggerFactory.getLogger(Stores.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
  /** About an hour of trying at the longest backoff before a record is given up (and logged). */
  private static final int MAX_TRIES = 130;

  public <T> CompletionStage<T> async(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, blocking);
  }

  public CompletionStage<Void> async(Runnable call) {
    return CompletableFuture.runAsync(call, blocking);
  }

  public void write(RunRecord record) {
    writeAll(List.of(record));
  }

  public void writeAll(List<RunRecord> records) {
    if (!records.isEmpty()) attempt(records, 1);
  }

  private void attempt(List<RunRecord> records, int n) {
    async(() -> runs.upsertAll(records))
        .whenComplete(
            (ok, err) -> {
              if (err == null) return;
              if (n >= MAX_TRIES) {
                log.error("Giving up writing {} run record(s), first {}", records.size(), records.get(0), err);
                return;
              }
              if (n == 1) log.warn("Run store write failed, retrying: {}", err.toString());
              long delay = Math.min(MAX_BACKOFF.toMillis(), 250L << Math.min(n, 7));
              Executor later = CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, blocking);
              CompletableFuture.runAsync(() -> attempt(records, n + 1), later);
            });
  }
}
