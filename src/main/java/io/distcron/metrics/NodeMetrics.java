package io.distcron.metrics;

import io.distcron.run.RunStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.ActorSystem;

/**
 * One node's Prometheus metrics, served at {@code /metrics} on the management port. Parts of the
 * node find it by their actor system ({@link #of}); a system without one (unit tests) records into
 * a registry nobody reads.
 */
public final class NodeMetrics {
  private static final Map<ActorSystem, NodeMetrics> BY_SYSTEM = new ConcurrentHashMap<>();
  private static final NodeMetrics UNREGISTERED = new NodeMetrics();

  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final Timer lateness;
  private final Timer journalWrite;
  private final Counter skipped;
  private final Counter catchUp;
  private final Counter recoveries;
  private final Counter lost;
  private final Timer projectionLag;
  private final AtomicInteger runsInProgress = new AtomicInteger();

  private NodeMetrics() {
    lateness =
        Timer.builder("distcron_fire_lateness")
            .description("How late a scheduled tick was decided, after its nominal time")
            .publishPercentileHistogram()
            .register(registry);
    journalWrite =
        Timer.builder("distcron_journal_write")
            .description("From persisting a fired tick to the journal confirming it")
            .publishPercentileHistogram()
            .register(registry);
    skipped = Counter.builder("distcron_runs_skipped").register(registry);
    catchUp = Counter.builder("distcron_runs_catchup").register(registry);
    recoveries =
        Counter.builder("distcron_job_recoveries")
            .description("Job entities started from the journal: restarts, failovers, rebalances")
            .register(registry);
    lost = Counter.builder("distcron_runs_lost").register(registry);
    projectionLag =
        Timer.builder("distcron_projection_lag")
            .description("From a job event's write to its read-side batch being handled")
            .publishPercentileHistogram()
            .register(registry);
    Gauge.builder("distcron_runs_in_progress", runsInProgress, AtomicInteger::get)
        .register(registry);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
  }

  public static NodeMetrics register(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    ActorSystem classic = system.classicSystem();
    NodeMetrics metrics = new NodeMetrics();
    BY_SYSTEM.put(classic, metrics);
    classic.getWhenTerminated().thenRun(() -> BY_SYSTEM.remove(classic));
    return metrics;
  }

  public static NodeMetrics of(org.apache.pekko.actor.typed.ActorSystem<?> system) {
    return of(system.classicSystem());
  }

  static NodeMetrics of(ActorSystem system) {
    return BY_SYSTEM.getOrDefault(system, UNREGISTERED);
  }

  String scrape() {
    return registry.scrape();
  }

  public void fired(Duration lateBy) {
    lateness.record(lateBy.isNegative() ? Duration.ZERO : lateBy);
  }

  public void journalWrite(Duration d) {
    journalWrite.record(d);
  }

  public void skipped(int n) {
    skipped.increment(n);
  }

  public void catchUp(int n) {
    catchUp.increment(n);
  }

  public void projected(Duration lag) {
    projectionLag.record(lag.isNegative() ? Duration.ZERO : lag);
  }

  public void recovered() {
    recoveries.increment();
  }

  public void runFinished(String job, RunStatus status) {
    registry.counter("distcron_runs", "job", job, "outcome", status.name()).increment();
    if (status == RunStatus.LOST) lost.increment();
  }

  public AtomicInteger runsInProgress() {
    return runsInProgress;
  }
}
