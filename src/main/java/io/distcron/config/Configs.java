package io.distcron.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds a node's configuration. Overrides are layered before substitutions are resolved, so a test
 * that sets {@code distcron.db.url} also moves the journal; a PostgreSQL URL switches the journal's
 * profile.
 */
public final class Configs {
  /** Every node's actor system has this name: it is part of every cluster address. */
  public static final String SYSTEM_NAME = "distcron";

  /** Time past the drain grace for reporting what is still running as lost. */
  private static final long DRAIN_MARGIN_MILLIS = 10_000;

  private static final List<String> LOOPBACK = List.of("127.0.0.1", "localhost", "::1");

  private Configs() {}

  public static Config load(Map<String, ?> overrides) {
    return load(overrides, System.getenv());
  }

  static Config load(Map<String, ?> overrides, Map<String, String> env) {
    Config app = ConfigFactory.parseResources("application.conf");
    String roles = env.get("DISTCRON_ROLES");
    if (roles != null && !roles.isBlank() && !overrides.containsKey("pekko.cluster.roles")) {
      // HOCON's ${?ENV} cannot split a string into a list, so the roles variable is read here.
      app =
          ConfigFactory.parseMap(
                  Map.of("pekko.cluster.roles", List.of(roles.trim().split("\\s*,\\s*"))))
              .withFallback(app);
    }
    if (layered(overrides, app).getString("distcron.db.url").startsWith("jdbc:postgresql:")) {
      app = ConfigFactory.parseResources("persistence-postgres.conf").withFallback(app);
    }
    String seeds = env.get("DISTCRON_SEED_NODES");
    if (seeds != null && !seeds.isBlank() && !overrides.containsKey("pekko.cluster.seed-nodes")) {
      app =
          ConfigFactory.parseMap(Map.of("pekko.cluster.seed-nodes", seedNodes(seeds)))
              .withFallback(app);
    }
    return layered(overrides, app);
  }

  /** {@code host:port,host:port} to Pekko's seed addresses; the first one forms the cluster. */
  public static List<String> seedNodes(String hostPorts) {
    return Arrays.stream(hostPorts.split(","))
        .map(String::trim)
        .filter(s -> !s.isEmpty())
        .map(s -> "pekko://" + SYSTEM_NAME + "@" + s)
        .toList();
  }

  /**
   * Where management listens: {@code bind-hostname} when set (a pod binds 0.0.0.0 and advertises
   * its own address as {@code hostname}), else {@code hostname}.
   */
  static String managementBindAddress(Config config) {
    String bind = config.getString("pekko.management.http.bind-hostname");
    return bind.isBlank() ? config.getString("pekko.management.http.hostname") : bind;
  }

  private static Config layered(Map<String, ?> overrides, Config app) {
    Config config =
        ConfigFactory.parseMap(overrides)
            .withFallback(ConfigFactory.defaultOverrides())
            .withFallback(app)
            .withFallback(ConfigFactory.defaultReference())
            .resolve();
    // The shutdown phase that drains the executor must outlast the drain grace, or Pekko cuts it
    // short.
    long drainMillis = config.getDuration("distcron.executor.drain-grace").toMillis();
    Map<String, Object> derived = new HashMap<>();
    derived.put(
        "pekko.coordinated-shutdown.phases.before-cluster-shutdown.timeout",
        (drainMillis + DRAIN_MARGIN_MILLIS) + "ms");
    // Leave and down over HTTP only from the machine itself: reachable from elsewhere, the cluster
    // routes are read-only (a node is then drained with SIGTERM).
    if (!LOOPBACK.contains(managementBindAddress(config))) {
      derived.put("pekko.management.http.route-providers-read-only", true);
    }
    return ConfigFactory.parseMap(derived).withFallback(config);
  }
}
