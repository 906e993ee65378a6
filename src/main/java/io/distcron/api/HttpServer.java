package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.distcron.alert.AlertDelivery;
import io.distcron.config.DistcronSettings;
import io.distcron.job.BulkApply;
import io.distcron.job.JobsClient;
import io.distcron.placement.Placement;
import io.distcron.store.AuditLog;
import io.distcron.store.ChannelStore;
import io.distcron.store.JobIndex;
import io.distcron.store.Stores;
import io.distcron.store.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.Http;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * Binds the API and the web console ({@code calendarsChanged}: tells every node a calendar
 * changed), and unbinds them first thing on coordinated shutdown.
 */
public final class HttpServer {
  private HttpServer() {}

  private static ApplyRoutes applyRoutes(
      ActorSystem<?> system,
      DistcronSettings settings,
      JobsClient jobs,
      Stores stores,
      ChannelStore channels,
      Json json,
      Clock clock) {
    BulkApply.Index index =
        new BulkApply.Index() {
          @Override
          public CompletionStage<List<String>> managedBy(String owner) {
            return stores.async(() -> stores.jobs().managedBy(owner));
          }

          @Override
          public CompletionStage<Map<String, Long>> revisions(Collection<String> names) {
            return listed(names, JobIndex.Listed::revision);
          }

          @Override
          public CompletionStage<Map<String, String>> owners(Collection<String> names) {
            return listed(names, JobIndex.Listed::managedBy);
          }

          private <T> CompletionStage<Map<String, T>> listed(
              Collection<String> names, Function<JobIndex.Listed, T> field) {
            return stores.async(
                () -> {
                  Map<String, T> found = new HashMap<>();
                  stores
                      .jobs()
                      .listed(names)
                      .forEach(
                          (name, listed) -> {
                            T value = field.apply(listed);
                            if (value != null) found.put(name, value);
                          });
                  return found;
                });
          }
        };
    return new ApplyRoutes(
        new BulkApply(system, jobs, index),
        index,
        channels,
        stores,
        json,
        clock,
        settings.maxApplyBytes());
  }

  public static CompletionStage<ServerBinding> start(
      ActorSystem<?> system,
      DistcronSettings settings,
      JobsClient jobs,
      Stores stores,
      TokenStore tokens,
      AuditLog audit,
      Placement placement,
      ChannelStore channels,
      AlertDelivery delivery,
      Runnable calendarsChanged,
      Clock clock) {
    Json json =
        new Json(
            JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty()));
    Errors errors = new Errors(json, settings.maxBodyBytes());
    DistcronSettings.Auth a = settings.auth();
    Auth auth =
        new Auth(
            a.adminToken(), stores, tokens, audit, json, clock, a.changesPerSecond(), a.burst());
    Route v1 =
        pathPrefix(
            "v1",
            () ->
                concat(
                    new JobRoutes(jobs, stores, channels, json, clock, settings.maxBodyBytes())
                        .route(),
                    new ChannelRoutes(
                            channels,
                            delivery,
                            stores,
                            json,
                            settings.alerts().defaultChannel(),
                            settings.alerts().unhealthyAfter(),
                            settings.maxBodyBytes(),
                            clock)
                        .route(),
                    new RunRoutes(jobs, stores, json).route(),
                    new CalendarRoutes(stores, json, calendarsChanged, settings.maxBodyBytes())
                        .route(),
                    applyRoutes(system, settings, jobs, stores, channels, json, clock).route(),
                    new NodeRoutes(system, placement, json).route(),
                    new AdminRoutes(stores, tokens, audit, json, settings.maxBodyBytes()).route()));
    Route route =
        handleRejections(
            errors.rejectionHandler(),
            () ->
                handleExceptions(
                    errors.exceptionHandler(),
                    () ->
                        concat(
                            // Errors are turned into responses inside auth, so a refused change is
                            // audited too.
                            pathPrefix(
                                "api",
                                () ->
                                    Inputs.checkedUri(
                                        () ->
                                            concat(
                                                OpenApiRoute.route(),
                                                auth.secured(
                                                    () ->
                                                        handleExceptions(
                                                            errors.exceptionHandler(),
                                                            () -> v1))))),
                            // The console's files are public; the API calls they make need a token.
                            ConsoleRoutes.route())));
    return Http.get(system)
        .newServerAt(settings.httpHost(), settings.httpPort())
        // A request too malformed to reach a route is answered in the API's JSON shape too.
        .adaptSettings(s -> s.withParsingErrorHandler(ParsingErrors.class.getName()))
        .bind(route)
        .thenApply(
            binding -> {
              system.log().info("distcron API listening on http://{}", binding.localAddress());
              CoordinatedShutdown.get(system)
                  .addTask(
                      CoordinatedShutdown.PhaseServiceUnbind(),
                      "http-unbind",
                      () -> binding.unbind().thenApply(x -> Done.getInstance()));
              CoordinatedShutdown.get(system)
                  .addTask(
                      CoordinatedShutdown.PhaseServiceRequestsDone(),
                      "http-drain",
                      () ->
                          binding
                              .terminate(Duration.ofSeconds(5))
                              .thenApply(x -> Done.getInstance()));
              return binding;
            });
  }
}
