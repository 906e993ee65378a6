package io.distcron.config;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;

/**
 * Builds a node's configuration. Overrides are layered before substitutions are resolved, so a test that
 * sets {@code distcron.db.url} also moves the journal; a PostgreSQL URL switches the journal's profile.
 */
public final class Configs {
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
    return layered(overrides, app);
  }

  private static Config layered(Map<String, ?> overrides, Config app) {
    return ConfigFactory.parseMap(overrides)
        .withFallback(ConfigFactory.defaultOverrides())
        .withFallback(app)
        .withFallback(ConfigFactory.defaultReference())
        .resolve();
  }
}
