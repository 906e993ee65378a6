package io.distcron.metrics;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.management.javadsl.ManagementRouteProvider;
import org.apache.pekko.management.javadsl.ManagementRouteProviderSettings;

/** {@code GET /metrics} on the management port, in Prometheus' text format. */
public final class MetricsRoute implements ManagementRouteProvider {
  private final ExtendedActorSystem system;

  public MetricsRoute(ExtendedActorSystem system) {
    this.system = system;
  }

  @Override
  public Route routes(ManagementRouteProviderSettings settings) {
    return path(
        "metrics",
        () ->
            get(
                () ->
                    complete(
                        HttpEntities.create(
                            ContentTypes.TEXT_PLAIN_UTF8, NodeMetrics.of(system).scrape()))));
  }
}
