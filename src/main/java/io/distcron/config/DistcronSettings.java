package io.distcron.config;

import com.typesafe.config.Config;
import io.distcron.alert.AlertKind;
import io.distcron.alert.NotifyRule;
import io.distcron.placement.NodeLabels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Every distcron knob, read once from the {@code distcron} block. {@code nodeLabels}: this node's
 * labels, the implicit {@code host} included ({@link NodeLabels}).
 */
public record DistcronSettings(
    Path dataDir,
    String httpHost,
    int httpPort,
    Duration askTimeout,
    long maxBodyBytes,
    long maxApplyBytes,
    Db db,
    Executor executor,
    Journal journal,
    Retention retention,
    Auth auth,
    Lease lease,
    Map<String, String> nodeLabels,
    Alerts alerts) {

  public record Db(String url, String user, String password, int poolSize) {
    public boolean isPostgres() {
      return url.startsWith("jdbc:postgresql:");
    }
  }

  public record Executor(
      int capacity,
      int outputTailBytes,
      long liveOutputBytes,
      Duration killGrace,
      Duration drainGrace,
      Duration ackTimeout,
      Duration reportRetry,
      Duration checkInterval) {}

  /**
   * The node's cluster lease ({@code io.distcron.cluster.NodeFence}): how long one majority answer
   * keeps it, how often it asks, and how long a run's watchdog waits for the node before killing
   * the run.
   */
  public record Lease(Duration duration, Duration pingInterval, Duration watchdogTimeout) {}

  /**
   * Jobs snapshot every {@code snapshotEvery} events; the events and snapshots before are
   * compacted.
   */
  public record Journal(int snapshotEvery, Duration compactInterval) {}

  public record Retention(int maxRunsPerJob, Duration maxAge, Duration interval) {}

  /** {@code adminToken} empty: no authentication, allowed only on a loopback address. */
  public record Auth(String adminToken, double changesPerSecond, int burst) {}

  /**
   * Alerts ({@code io.distcron.alert}): the cluster's default rule ({@code defaultChannel} empty:
   * none), and how the outbox is sent — polled every {@code pollInterval}, a row claimed for {@code
   * claim} while one node sends it, retried after {@code backoff} doubling up to {@code
   * maxBackoff}, a channel unhealthy after {@code unhealthyAfter} failures in a row, delivered rows
   * kept for {@code keepDelivered}.
   */
  public record Alerts(
      String defaultChannel,
      List<AlertKind> defaultOn,
      Duration defaultLateAfter,
      Duration pollInterval,
      Duration claim,
      Duration sendTimeout,
      Duration backoff,
      Duration maxBackoff,
      int unhealthyAfter,
      Duration keepDelivered) {

    public Alerts {
      if (claim.compareTo(sendTimeout) <= 0) {
        throw new IllegalArgumentException(
            "distcron.alerts.claim ("
                + claim
                + ") must be longer than distcron.alerts.send-timeout ("
                + sendTimeout
                + "): a send still under way would be claimed, and sent, again");
      }
    }

    /** The rule every job has for the default channel unless it names that channel itself. */
    public NotifyRule defaultRule() {
      return defaultChannel.isBlank()
          ? null
          : new NotifyRule(
              defaultChannel,
              defaultOn,
              defaultOn.contains(AlertKind.LATE) ? defaultLateAfter : null);
    }
  }

  public static DistcronSettings from(Config root) {
    Config c = root.getConfig("distcron");
    return new DistcronSettings(
        Path.of(c.getString("data-dir")),
        c.getString("http.host"),
        c.getInt("http.port"),
        c.getDuration("http.ask-timeout"),
        c.getBytes("http.max-body-bytes"),
        c.getBytes("http.max-apply-bytes"),
        new Db(
            c.getString("db.url"),
            c.getString("db.user"),
            c.getString("db.password"),
            c.getInt("db.pool-size")),
        new Executor(
            c.getInt("executor.capacity"),
            c.getBytes("executor.output-tail-bytes").intValue(),
            c.getBytes("executor.live-output-bytes"),
            c.getDuration("executor.kill-grace"),
            c.getDuration("executor.drain-grace"),
            c.getDuration("executor.ack-timeout"),
            c.getDuration("executor.report-retry"),
            c.getDuration("executor.check-interval")),
        new Journal(c.getInt("job.snapshot-every"), c.getDuration("job.compact-interval")),
        new Retention(
            c.getInt("retention.max-runs-per-job"),
            c.getDuration("retention.max-age"),
            c.getDuration("retention.interval")),
        new Auth(
            c.getString("auth.admin-token"),
            c.getDouble("auth.changes-per-second"),
            c.getInt("auth.burst")),
        new Lease(
            c.getDuration("lease.duration"),
            c.getDuration("lease.ping-interval"),
            c.getDuration("lease.watchdog-timeout")),
        NodeLabels.parse(c.getString("node.labels"), NodeLabels.hostname()),
        alerts(c.getConfig("alerts")));
  }

  private static Alerts alerts(Config a) {
    List<AlertKind> on =
        Arrays.stream(a.getString("default-on").split(","))
            .map(String::trim)
            .filter(k -> !k.isEmpty())
            .map(k -> AlertKind.valueOf(k.toUpperCase(Locale.ROOT)))
            .distinct()
            .toList();
    return new Alerts(
        a.getString("default-channel").trim(),
        on,
        a.getDuration("default-late-after"),
        a.getDuration("poll-interval"),
        a.getDuration("claim"),
        a.getDuration("send-timeout"),
        a.getDuration("backoff"),
        a.getDuration("max-backoff"),
        a.getInt("unhealthy-after"),
        a.getDuration("keep-delivered"));
  }
}
