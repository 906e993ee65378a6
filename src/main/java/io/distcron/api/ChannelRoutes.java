package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.alert.AlertDelivery;
import io.distcron.alert.Channel;
import io.distcron.job.JobSpec;
import io.distcron.store.ChannelStore;
import io.distcron.store.Stores;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/channels}: where alerts go. POST creates (409 if the name exists), PUT creates or
 * replaces, DELETE refuses a channel a job's rules or the cluster's default rule name (409).
 * Secrets are write-only.
 */
final class ChannelRoutes {
  private final ChannelStore channels;
  private final AlertDelivery delivery;
  private final Stores stores;
  private final Json json;
  private final String defaultChannel;
  private final int unhealthyAfter;
  private final long maxBodyBytes;
  private final Clock clock;

  ChannelRoutes(
      ChannelStore channels,
      AlertDelivery delivery,
      Stores stores,
      Json json,
      String defaultChannel,
      int unhealthyAfter,
      long maxBodyBytes,
      Clock clock) {
    this.channels = channels;
    this.delivery = delivery;
    this.stores = stores;
    this.json = json;
    this.defaultChannel = defaultChannel;
    this.unhealthyAfter = unhealthyAfter;
    this.maxBodyBytes = maxBodyBytes;
    this.clock = clock;
  }

  Route route() {
    return pathPrefix(
        "channels",
        () ->
            concat(
                pathEnd(
                    () ->
                        concat(
                            get(this::list),
                            post(() -> Inputs.jsonBody(maxBodyBytes, b -> save(null, b))))),
                pathPrefix(
                    segment(),
                    name ->
                        concat(
                            pathEnd(
                                () ->
                                    concat(
                                        get(() -> one(name)),
                                        put(
                                            () ->
                                                Inputs.jsonBody(maxBodyBytes, b -> save(name, b))),
                                        delete(() -> remove(name)))),
                            path("test", () -> post(() -> test(name)))))));
  }

  private Route list() {
    return completeWithFuture(
        stores
            .async(channels::list)
            .thenApply(
                all -> json.response(200, new Dtos.Items<>(all.stream().map(this::dto).toList()))));
  }

  private Route one(String name) {
    return completeWithFuture(
        stores.async(() -> found(name)).thenApply(s -> json.response(200, dto(s))));
  }

  /** {@code pathName} null: a POST, which only creates. */
  private Route save(String pathName, String body) {
    Channel given = ChannelSpecs.toChannel(json.read(body, Dtos.ChannelRequest.class), pathName);
    return completeWithFuture(
        stores.async(
            () -> {
              ChannelStore.Stored old = channels.find(given.name()).orElse(null);
              if (old != null && pathName == null) {
                throw new ApiError(409, "name", "channel '" + given.name() + "' exists");
              }
              Channel channel = given.keepingSecretsOf(old == null ? null : old.channel());
              boolean created = channels.put(channel, clock.instant());
              return json.response(
                  created ? 201 : 200, dto(channels.find(channel.name()).orElseThrow()));
            }));
  }

  private Route remove(String name) {
    if (name.equals(defaultChannel)) {
      throw new ApiError(
          409, null, "channel '" + name + "' is the cluster's default alert channel");
    }
    return completeWithFuture(
        stores
            .async(() -> channels.delete(name))
            .thenApply(
                d -> {
                  if (!d.jobs().isEmpty()) {
                    throw new ApiError(
                        409, null, "channel '" + name + "' is named by jobs " + d.jobs());
                  }
                  if (!d.found()) throw notFound(name);
                  return HttpResponse.create().withStatus(204);
                }));
  }

  private Route test(String name) {
    return completeWithFuture(
        stores.async(
            () -> {
              AlertDelivery.TestResult r = delivery.test(found(name).channel());
              return json.response(200, new Dtos.ChannelTest(r.delivered(), r.error(), r.key()));
            }));
  }

  /** On the blocking pool. */
  private ChannelStore.Stored found(String name) {
    return channels.find(name).orElseThrow(() -> notFound(name));
  }

  private static ApiError notFound(String name) {
    return ApiError.notFound("channel '" + name + "' not found");
  }

  private Dtos.ChannelDto dto(ChannelStore.Stored s) {
    Channel c = s.channel();
    Channel.Email e = c.email();
    ChannelStore.Health h = s.health();
    return new Dtos.ChannelDto(
        c.name(),
        c.type().name().toLowerCase(Locale.ROOT),
        c.url(),
        e == null
            ? null
            : new Dtos.EmailDto(
                e.host(),
                e.port(),
                e.tls().name().toLowerCase(Locale.ROOT),
                e.username(),
                null,
                e.from(),
                e.to()),
        c.secretSet(),
        new Dtos.HealthDto(
            h.failures() < unhealthyAfter,
            h.failures(),
            h.lastError(),
            h.lastFailureAt(),
            h.lastSuccessAt()));
  }

  /**
   * The channels {@code spec}'s rules name must exist: 400 naming the first rule that names none.
   */
  static CompletionStage<JobSpec> channelsExist(
      ChannelStore channels, Stores stores, JobSpec spec, String prefix) {
    List<String> named = spec.notifyRules().stream().map(r -> r.channel()).toList();
    return stores.async(
        () -> {
          List<String> existing = named.isEmpty() ? List.of() : channels.existing(named);
          for (int i = 0; i < named.size(); i++) {
            if (!existing.contains(named.get(i))) {
              String field = prefix + "notify[" + i + "].channel";
              throw ApiError.badRequest(field, "no channel '" + named.get(i) + "'");
            }
          }
          return spec;
        });
  }
}
