package io.distcron.exec;

import io.distcron.run.RunStatus;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One running shell command, started by {@link ShellRunner#start}. One thread {@link #await}s it;
 * any thread may {@link #kill} it.
 *
 * <p>Killing means the whole tree: TERM to the process group and to every descendant, then, after
 * the kill grace, KILL to whatever is left. {@code await} returns only once that sequence is over,
 * so after a TIMED_OUT or KILLED result no process of the run is alive (unless one escaped the
 * group and the tree, e.g. by calling setsid itself). A zombie counts as gone: it runs nothing, and
 * reaping orphans is init's job.
 *
 * <p>A run with a {@link Watchdog} that kills it (the node stopped feeding it) ends LOST, with a
 * message that says why: "killed by its watchdog: the node stopped holding its lease".
 */
public final class Execution {

  // KILL cannot be caught or ignored, so this only covers scheduling delays.
  private static final Duration KILL_WAIT = Duration.ofSeconds(2);
  // How Java reports a process ended by SIGKILL: 128 + 9.
  private static final int SIGKILLED = 137;

  private final Process process;
  private final OutputTail tail;
  private final OutputPump pump;
  private final Duration killGrace;
  private final Duration outputDrain;
  private final Watchdog watchdog;
  // Set once, by the first of kill() or a timeout; its kill sequence completes `treeGone`.
  private final AtomicReference<RunStatus> forcedEnd = new AtomicReference<>();
  private final CompletableFuture<Void> treeGone = new CompletableFuture<>();
  private Result result; // guarded by this

  Execution(
      Process process,
      OutputTail tail,
      OutputPump pump,
      Duration killGrace,
      Duration outputDrain,
      Watchdog watchdog) {
    this.process = process;
    this.tail = tail;
    this.pump = pump;
    this.killGrace = killGrace;
    this.outputDrain = outputDrain;
    this.watchdog = watchdog;
  }

  /** The run's first process: its watchdog script, or without one its shell. */
  public long pid() {
    return process.pid();
  }

  /**
   * Blocks until the shell exits or {@code timeout} passes (null: no limit). On timeout, kills the
   * tree and returns TIMED_OUT; after {@link #kill()}, returns KILLED. So it can return up to the
   * kill grace plus a few seconds after the timeout. A run killed by its watchdog returns LOST.
   *
   * <p>After the shell exits, output is awaited for at most the runner's output drain time: a
   * background child that inherited stdout can keep the pipe open indefinitely, and the run should
   * not wait for it. Such a child is left running (as cron would); what it prints later is kept by
   * no run.
   *
   * <p>Calling it again returns the same result. If the calling thread is interrupted the process
   * is left running; call {@link #kill()} to stop it.
   */
  public synchronized Result await(Duration timeout) throws InterruptedException {
    if (result != null) {
      return result;
    }
    boolean exited =
        timeout == null ? waitForExit() : process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS);
    long exitedAt = System.nanoTime(); // if await was late, later than the exit: errs on LOST
    if (!exited) {
      terminate(RunStatus.TIMED_OUT);
    }
    RunStatus forced = forcedEnd.get();
    if (forced != null) {
      awaitTreeGone();
      process.waitFor(KILL_WAIT.toNanos(), TimeUnit.NANOSECONDS);
    }
    pump.awaitEof(outputDrain);
    pump.detach();
    Integer exitCode = process.isAlive() ? null : process.exitValue();
    Optional<String> watchdogKill =
        forced == null && exitCode != null && exitCode == SIGKILLED
            ? watchdog.killedItAt(exitedAt)
            : Optional.empty();
    watchdog.end();
    result =
        watchdogKill
            .map(why -> new Result(RunStatus.LOST, exitCode, tail.text(), why))
            .orElseGet(
                () ->
                    new Result(
                        status(forced, exitCode),
                        exitCode,
                        tail.text(),
                        message(forced, exitCode, timeout)));
    return result;
  }

  /**
   * Kills the tree and makes the awaiting thread's result KILLED. Returns at once; the
   * TERM-then-KILL sequence runs on its own thread. Idempotent, and a no-op once the shell has
   * exited.
   */
  public void kill() {
    if (process.isAlive()) {
      terminate(RunStatus.KILLED);
    }
  }

  /**
   * The node gives the run up (it was downed, or cannot hold its lease): KILL to the whole tree at
   * once, with no grace. Returns at once; the result is KILLED unless it was decided already.
   */
  public void killNow() {
    if (!process.isAlive()) return;
    boolean first = forcedEnd.compareAndSet(null, RunStatus.KILLED);
    Thread t =
        new Thread(
            () -> {
              try {
                ProcessHandle root = process.toHandle();
                long group = ProcessTree.groupLedBy(root.pid());
                Set<ProcessHandle> members = ProcessTree.members(List.of(root), group);
                ProcessTree.signal(members, group, true);
                ProcessTree.awaitExit(members, KILL_WAIT);
                if (first) treeGone.complete(null);
              } catch (Throwable e) {
                if (first) treeGone.completeExceptionally(e);
              }
            },
            "distcron-kill-now-" + pid());
    t.setDaemon(true);
    t.start();
  }

  private boolean waitForExit() throws InterruptedException {
    process.waitFor();
    return true;
  }

  private void terminate(RunStatus reason) {
    if (!forcedEnd.compareAndSet(null, reason)) {
      return;
    }
    Thread t = new Thread(this::killTree, "distcron-kill-" + pid());
    t.setDaemon(true);
    t.start();
  }

  private void killTree() {
    try {
      ProcessHandle root = process.toHandle();
      long group = ProcessTree.groupLedBy(root.pid());
      Set<ProcessHandle> members = ProcessTree.members(List.of(root), group);
      ProcessTree.signal(members, group, false);
      if (!ProcessTree.awaitExit(members, killGrace)) {
        // Look again: children forked while the TERM was handled are in the group or under a
        // survivor.
        members.add(root);
        Set<ProcessHandle> left = ProcessTree.members(members, group);
        ProcessTree.signal(left, group, true);
        ProcessTree.awaitExit(left, KILL_WAIT);
      }
      treeGone.complete(null);
    } catch (Throwable e) {
      treeGone.completeExceptionally(e);
    }
  }

  private void awaitTreeGone() throws InterruptedException {
    try {
      treeGone.get();
    } catch (ExecutionException e) {
      // The kill sequence broke; report what the process itself did rather than fail the await.
    }
  }

  private static RunStatus status(RunStatus forced, Integer exitCode) {
    if (forced != null) {
      return forced;
    }
    return exitCode != null && exitCode == 0 ? RunStatus.SUCCEEDED : RunStatus.FAILED;
  }

  private static String message(RunStatus forced, Integer exitCode, Duration timeout) {
    if (forced == RunStatus.TIMED_OUT) {
      return "timed out after " + human(timeout);
    }
    if (forced == RunStatus.KILLED) {
      return "killed";
    }
    return exitCode != null && exitCode == 0 ? null : "exit code " + exitCode;
  }

  /** "5s", "1.5s", "250ms", "2m": how a job's timeout is usually written. */
  static String human(Duration d) {
    if (d.toMillis() < 1000) {
      return d.toMillis() + "ms";
    }
    if (d.toMillis() % 60_000 == 0) {
      return d.toMinutes() + "m";
    }
    if (d.toMillis() % 1000 == 0) {
      return d.toSeconds() + "s";
    }
    return String.format(Locale.ROOT, "%.3fs", d.toMillis() / 1000.0).replaceAll("0+s$", "s");
  }
}
