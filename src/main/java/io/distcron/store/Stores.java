package io.distcron.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/** The read-side stores with the blocking executor their calls must run on; actors only see futures. */
public record Stores(RunStore runs, JobIndex jobs, Executor blocking) {

  public <T> CompletionStage<T> async(Supplier<T> call) {
    return CompletableFuture.supplyAsync(call, blocking);
  }

  public CompletionStage<Void> async(Runnable call) {
    return CompletableFuture.runAsync(call, blocking);
  }
}
