package io.distcron.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * The read-side stores with the blocking executor their calls must run on; actors and routes only
 * see futures.
 */
public final class Stores {
  private final RunStore runs;
  private final JobIndex jobs;
  private final CalendarStore calendars;
  private final Executor blocking;

  public Stores(RunStore runs, JobIndex jobs, CalendarStore calendars, Executor blocking) {
    this.runs = runs;
    this.jobs = jobs;
    this.calendars = calendars;
    this.blocking = blocking;
  }

  public CalendarStore calendars() {
    return calendars;
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
}
