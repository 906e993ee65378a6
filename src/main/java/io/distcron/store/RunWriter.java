package io.distcron.store;

import io.distcron.run.RunRecord;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes run records in batches. Records submitted while a batch is in the database wait and go
 * together in the next one, so a node firing hundreds of runs a second writes them in a few
 * transactions instead of one each, and a quiet node still writes each record at once. A batch that
 * fails is tried again with backoff, joined by whatever arrived meanwhile: a database outage delays
 * records rather than losing them.
 */
final class RunWriter {
  private static final Logger log = LoggerFactory.getLogger(RunWriter.class);
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** About an hour of trying at the longest backoff before a batch is given up (and logged). */
  private static final int MAX_TRIES = 130;

  /** Records per round: bounds a transaction while a backlog drains. */
  private static final int MAX_BATCH = 2000;

  private final RunStore runs;
  private final Executor blocking;
  private final Queue<RunRecord> pending = new ConcurrentLinkedQueue<>();
  private final Queue<CompletableFuture<Void>> idleWaiters = new ConcurrentLinkedQueue<>();

  /** Set while a round runs or waits to retry: at most one round at a time. */
  private final AtomicBoolean busy = new AtomicBoolean();

  // Touched by the round in progress only; busy's compare-and-set orders the rounds.
  private List<RunRecord> retrying = List.of();
  private int failures;

  RunWriter(RunStore runs, Executor blocking) {
    this.runs = runs;
    this.blocking = blocking;
  }

  void submit(List<RunRecord> records) {
    // Checked here, by the caller: one incomplete record would otherwise fail every batch it joins.
    records.forEach(RunStore::requireComplete);
    pending.addAll(records);
    startRound();
  }

  /** Completes once every record submitted so far is written (or given up). */
  CompletionStage<Void> idle() {
    CompletableFuture<Void> done = new CompletableFuture<>();
    idleWaiters.add(done);
    if (!busy.get() && pending.isEmpty()) releaseWaiters();
    return done;
  }

  private void startRound() {
    if (!pending.isEmpty() && busy.compareAndSet(false, true)) blocking.execute(this::round);
  }

  private void round() {
    List<RunRecord> batch = new ArrayList<>(retrying);
    for (RunRecord r; batch.size() < MAX_BATCH && (r = pending.poll()) != null; ) batch.add(r);
    try {
      runs.upsertAll(batch);
      retrying = List.of();
      failures = 0;
    } catch (RuntimeException e) {
      if (++failures < MAX_TRIES) {
        if (failures == 1) log.warn("Run store write failed, retrying: {}", e.toString());
        retrying = batch;
        long delay = Math.min(MAX_BACKOFF.toMillis(), 250L << Math.min(failures, 7));
        // Still busy while waiting: new records gather and go with the retry.
        CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS, blocking)
            .execute(this::round);
        return;
      }
      log.error("Giving up writing {} run record(s), first {}", batch.size(), batch.get(0), e);
      retrying = List.of();
      failures = 0;
    }
    busy.set(false);
    if (pending.isEmpty()) releaseWaiters();
    else startRound();
  }

  private void releaseWaiters() {
    for (CompletableFuture<Void> w; (w = idleWaiters.poll()) != null; ) w.complete(null);
  }
}
