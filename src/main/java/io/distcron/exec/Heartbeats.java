package io.distcron.exec;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds the watchdogs of one node's shell runs: every {@code interval}, while {@code mayRun} says
 * the node still holds its lease, one byte down the stdin pipe of each run started by a {@link
 * ShellRunner} given this object. A run's watchdog kills its whole process group when no byte came
 * for {@code timeout}, and at once when the pipe reaches EOF, which is what the kernel makes of
 * this JVM's death. So a node that loses its lease, freezes or dies takes its runs with it within
 * about the timeout, and the cluster can retry them elsewhere without two copies running.
 *
 * <p>One daemon thread per instance; one instance per node. {@code mayRun} is asked once per
 * interval on that thread: it must answer at once (read a flag, do not ask the cluster), and when
 * it throws the answer is no. A run whose pipe fails (its watchdog is gone) is dropped.
 *
 * <p>A write to a pipe whose watchdog is alive but not reading (its process group is stopped with
 * SIGSTOP) only blocks once the pipe's 64 KiB are full, after some 9 hours of feeding at the
 * default interval.
 */
public final class Heartbeats implements AutoCloseable {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);
  public static final Duration DEFAULT_INTERVAL = Duration.ofMillis(500);

  private static final Logger log = LoggerFactory.getLogger(Heartbeats.class);
  private static final long NEVER = Long.MIN_VALUE;

  private final BooleanSupplier mayRun;
  private final Duration timeout;
  private final Duration interval;
  // Silence of at least this long before a SIGKILL means the watchdog sent it: the watchdog waits
  // the whole timeout, a fed run is never silent much longer than the interval.
  private final long starvedNanos;
  private final Set<Feed> feeds = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService thread;
  private final AtomicBoolean mayRunFailed = new AtomicBoolean();
  private volatile long lastWithheld = NEVER; // System.nanoTime() of the last tick that said no
  private volatile boolean closed;

  /** With the default timeout (2 s) and interval (500 ms). */
  public Heartbeats(BooleanSupplier mayRun) {
    this(mayRun, DEFAULT_TIMEOUT, DEFAULT_INTERVAL);
  }

  /**
   * Starts feeding at once.
   *
   * @param mayRun whether this node may go on running jobs: it holds its cluster lease
   * @param timeout how long a watchdog waits for a byte before it kills its run
   * @param interval how often each run gets a byte; shorter than the timeout
   */
  public Heartbeats(BooleanSupplier mayRun, Duration timeout, Duration interval) {
    if (interval.isNegative() || interval.isZero() || interval.compareTo(timeout) >= 0) {
      throw new IllegalArgumentException(
          "interval must be positive and shorter than the timeout, got interval "
              + interval
              + " and timeout "
              + timeout);
    }
    this.mayRun = mayRun;
    this.timeout = timeout;
    this.interval = interval;
    this.starvedNanos = timeout.toNanos() - (timeout.toNanos() - interval.toNanos()) / 2;
    this.thread =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "distcron-heartbeats");
              t.setDaemon(true);
              return t;
            });
    thread.scheduleAtFixedRate(this::tick, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
  }

  public Duration timeout() {
    return timeout;
  }

  public Duration interval() {
    return interval;
  }

  /**
   * Stops feeding for good: every run still going, or started later, is killed by its watchdog
   * within the timeout. For the end of the node, once its runs are over.
   */
  @Override
  public void close() {
    closed = true;
    thread.shutdownNow();
  }

  /**
   * Starts feeding a run. {@code startedAt} is a {@link System#nanoTime()} taken before the process
   * started: the watchdog cannot have been fed earlier.
   */
  Feed feed(OutputStream pipe, long startedAt) {
    Feed f = new Feed(pipe, startedAt);
    feeds.add(f);
    return f;
  }

  private void tick() {
    try {
      long now = System.nanoTime();
      if (!mayRun()) {
        lastWithheld = now;
        return;
      }
      for (Feed f : feeds) {
        f.beat();
      }
    } catch (RuntimeException e) {
      // An exception would cancel the schedule, and with it every run on the node.
      log.error("Heartbeat tick failed", e);
    }
  }

  private boolean mayRun() {
    try {
      return mayRun.getAsBoolean();
    } catch (RuntimeException e) {
      if (mayRunFailed.compareAndSet(false, true)) {
        log.warn("mayRun failed: runs are not fed while it fails", e);
      }
      return false;
    }
  }

  /** One run's pipe. */
  final class Feed {
    private final OutputStream pipe;
    private volatile long lastFed; // System.nanoTime() just before the last byte went out

    private Feed(OutputStream pipe, long startedAt) {
      this.pipe = pipe;
      this.lastFed = startedAt;
    }

    private void beat() {
      long before = System.nanoTime();
      try {
        pipe.write('\n');
        pipe.flush();
        lastFed = before;
      } catch (IOException e) {
        feeds.remove(this); // the watchdog is gone, and with it, normally, the run
      }
    }

    /**
     * Why the watchdog killed the run, if the run, killed by SIGKILL at {@code exitedAt} (a {@link
     * System#nanoTime()}), had gone unfed long enough for its watchdog to be the killer.
     */
    Optional<String> starvedAt(long exitedAt) {
      long silent = exitedAt - lastFed;
      if (silent < starvedNanos) {
        return Optional.empty();
      }
      String why;
      if (lastWithheld != NEVER && lastWithheld - lastFed >= 0) {
        why = "the node stopped holding its lease";
      } else if (closed) {
        why = "the node stopped feeding it";
      } else {
        // This JVM or its heartbeat thread stood still: a long GC pause, a SIGSTOP, no CPU.
        why = "the node did not feed it for " + Execution.human(Duration.ofNanos(silent));
      }
      return Optional.of("killed by its watchdog: " + why);
    }

    /** Stops feeding and closes the pipe; after the run has ended, or the watchdog kills it. */
    void stop() {
      feeds.remove(this);
      try {
        pipe.close();
      } catch (IOException e) {
        // Closed already, or the watchdog is gone: either way nothing more goes down this pipe.
      }
    }
  }
}
