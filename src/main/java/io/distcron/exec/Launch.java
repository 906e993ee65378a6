package io.distcron.exec;

import io.distcron.run.Action;
import io.distcron.run.RunStatus;
import io.distcron.store.RunStore;
import io.distcron.telemetry.Tracing;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;

/**
 * A started run: its result to come, and how to stop it. Built by {@link #start} on the run pool,
 * never on an actor's thread: starting a process blocks.
 */
public interface Launch {

  /** Completes with the outcome, never exceptionally. */
  CompletionStage<Result> result();

  /** The run's own kill: TERM to the whole tree, KILL after the grace; it ends KILLED. */
  void kill();

  /** The node gives the run up at once (downed, lease lost): KILL to the whole tree now. */
  void killNow();

  /** What runs need from their node. */
  record Runners(
      ShellRunner shell,
      HttpRunner http,
      RunStore store,
      Executor runPool,
      Executor jdbcPool,
      long liveOutputBytes,
      Tracing tracing) {}

  /**
   * Starts {@code run}: a shell command as a process tree, an HTTP request on its own connection.
   * Output goes to the run store as it comes (live tail); a start that fails is a FAILED result.
   * {@code trace}: the W3C headers of the run's execution span ({@code traceparent}, {@code
   * tracestate}), sent with an HTTP request and given to a shell command as {@code TRACEPARENT} and
   * {@code TRACESTATE}, so the job's own work joins the run's trace; empty when tracing is off.
   */
  static Launch start(ExecutorNode.Run run, Runners runners, Map<String, String> trace) {
    OutputSink sink =
        new OutputSink(
            run.token().runId(), runners.store(), runners.jdbcPool(), runners.liveOutputBytes());
    if (run.action() instanceof Action.Shell shell) {
      return shell(run, shell, sink, runners, trace);
    }
    if (run.action() instanceof Action.Http given) {
      Action.Http http = traced(given, trace);
      int seconds = http.timeoutSeconds() != null ? http.timeoutSeconds() : run.timeoutSeconds();
      // An HTTP request cannot be withdrawn once sent; its timeout bounds it.
      return new Unstoppable(
          runners
              .http()
              .run(http, Duration.ofSeconds(seconds), sink)
              .thenApplyAsync(flushed(sink), runners.jdbcPool()));
    }
    return done(new Result(RunStatus.FAILED, null, "", "unsupported action " + run.action()));
  }

  private static Launch shell(
      ExecutorNode.Run run,
      Action.Shell shell,
      OutputSink sink,
      Runners runners,
      Map<String, String> trace) {
    Map<String, String> env = new HashMap<>(shell.env());
    trace.forEach((k, v) -> env.put(k.toUpperCase(Locale.ROOT), v));
    env.put("DISTCRON_JOB", run.job());
    env.put("DISTCRON_RUN_ID", run.token().runId());
    env.put("DISTCRON_SCHEDULED_AT", run.scheduledAt().toString());
    env.put("DISTCRON_ATTEMPT", Integer.toString(run.attempt()));
    Execution execution;
    try {
      execution =
          runners
              .shell()
              .start(
                  run.token().runId(),
                  RunAs.command(shell.user(), shell.command()),
                  env,
                  shell.workingDir(),
                  sink);
    } catch (Exception e) {
      // IOException, or an IllegalArgumentException for an environment the OS cannot take.
      return done(Result.failedToStart(e));
    }
    Duration timeout = Duration.ofSeconds(run.timeoutSeconds());
    CompletableFuture<Result> result =
        CompletableFuture.supplyAsync(() -> await(execution, timeout), runners.runPool())
            .thenApplyAsync(flushed(sink), runners.jdbcPool());
    return new Launch() {
      @Override
      public CompletionStage<Result> result() {
        return result;
      }

      @Override
      public void kill() {
        execution.kill();
      }

      @Override
      public void killNow() {
        execution.killNow();
      }
    };
  }

  /** The request with the run's trace headers, in place of any of the same name the job set. */
  private static Action.Http traced(Action.Http http, Map<String, String> trace) {
    if (trace.isEmpty()) return http;
    Map<String, String> headers = new HashMap<>();
    http.headers()
        .forEach(
            (k, v) -> {
              if (!trace.containsKey(k.toLowerCase(Locale.ROOT))) headers.put(k, v);
            });
    headers.putAll(trace);
    return new Action.Http(
        http.method(),
        http.url(),
        headers,
        http.body(),
        http.timeoutSeconds(),
        http.expectStatus());
  }

  private static Result await(Execution execution, Duration timeout) {
    try {
      return execution.await(timeout);
    } catch (InterruptedException e) {
      // Only a node going down interrupts the run pool: stop the process rather than orphan it.
      execution.kill();
      Thread.currentThread().interrupt();
      return new Result(RunStatus.LOST, null, "", "node shut down during the run");
    }
  }

  /**
   * The output is stored before the end is reported, so a run the read side shows finished has its
   * output there too; the tail is best effort (a database outage must not hold up the end).
   */
  private static Function<Result, Result> flushed(OutputSink sink) {
    return r -> {
      sink.flush();
      sink.keepTail(r.outputTail());
      return r;
    };
  }

  private static Launch done(Result r) {
    return new Unstoppable(CompletableFuture.completedFuture(r));
  }

  /** A launch with nothing to kill: an HTTP request in flight, or one that never started. */
  record Unstoppable(CompletionStage<Result> result) implements Launch {
    @Override
    public void kill() {}

    @Override
    public void killNow() {}
  }
}
