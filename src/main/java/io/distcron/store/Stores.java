package io.distcron.store;

import io.distcron.run.RunRecord;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The read-side stores with the blocking executor their calls must run on; actors only see futures.
 * Run records are written in batches with retries ({@link RunWriter}), so a database outage delays
 * them rather than losing them.
 */
public final class Stores {
  private final RunStore runs;
  private final JobIndex jobs;
  private final Executor blocking;
  private final RunWriter writer;

  public Stores(RunStore runs, JobIndex jobs, Executor blocking) {
    this.runs = runs;
    this.jobs = jobs;
    this.blocking = blocking;
    this.writer = new RunWriter(runs, blocking);
  }

  public RunStore runs() {
    return runs;
  }

  public JobIndex jobs() {
    return jobs;
  }

  public Executor blocking() {
    return blocking;
  }

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
    if (!records.isEmpty()) writer.submit(records);
  }

  /** Completes once the run records written so far are in the database (or given up). */
  public CompletionStage<Void> written() {
    return writer.idle();
  }
}
