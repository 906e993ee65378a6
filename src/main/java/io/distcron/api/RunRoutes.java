package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.store.Stores;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /api/v1/runs}: reads of the run store. */
final class RunRoutes {
  private final Stores stores;
  private final Json json;

  RunRoutes(Stores stores, Json json) {
    this.stores = stores;
    this.json = json;
  }

  Route route() {
    return pathPrefix(
        "runs",
        () ->
            pathPrefix(
                segment(),
                id ->
                    concat(
                        pathEnd(() -> get(() -> detail(id))),
                        path("output", () -> get(() -> output(id))))));
  }

  private Route detail(String id) {
    return completeWithFuture(
        stores
            .async(() -> stores.runs().find(id))
            .thenApply(
                run ->
                    json.response(
                        200,
                        Dtos.RunDto.of(
                            run.orElseThrow(() -> ApiError.notFound("run '" + id + "' not found")),
                            true))));
  }

  private Route output(String id) {
    return completeWithFuture(
        stores
            .async(() -> stores.runs().output(id))
            .thenApply(
                out ->
                    HttpResponse.create()
                        .withEntity(
                            ContentTypes.TEXT_PLAIN_UTF8,
                            out.orElseThrow(() -> ApiError.notFound("run '" + id + "' not found")))));
  }
}
