package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.schedule.Calendar;
import io.distcron.store.Stores;
import java.util.List;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/calendars}: the calendars table, and a word to every node after each change (
 * {@code changed}) so their views reload it.
 */
final class CalendarRoutes {
  private final Stores stores;
  private final Json json;
  private final Runnable changed;
  private final long maxBodyBytes;

  CalendarRoutes(Stores stores, Json json, Runnable changed, long maxBodyBytes) {
    this.stores = stores;
    this.json = json;
    this.changed = changed;
    this.maxBodyBytes = maxBodyBytes;
  }

  Route route() {
    return pathPrefix(
        "calendars",
        () ->
            concat(
                pathEnd(() -> concat(post(() -> body(this::create)), get(this::list))),
                pathPrefix(segment(), this::oneCalendar)));
  }

  private Route oneCalendar(String name) {
    return pathEnd(
        () ->
            concat(
                get(() -> show(name)),
                put(() -> body(b -> replace(name, b))),
                delete(() -> remove(name))));
  }

  private Route body(Function<String, Route> inner) {
    return Inputs.jsonBody(maxBodyBytes, inner);
  }

  private Route list() {
    return completeWithFuture(
        stores
            .async(() -> stores.calendars().all())
            .thenApply(
                all ->
                    json.response(
                        200, new Dtos.Items<>(all.stream().map(CalendarSpecs::toDto).toList()))));
  }

  private Route show(String name) {
    return completeWithFuture(
        stores
            .async(() -> stores.calendars().find(name).orElseThrow(() -> notFound(name)))
            .thenApply(c -> json.response(200, CalendarSpecs.toDto(c))));
  }

  private Route create(String body) {
    Calendar calendar = CalendarSpecs.toCalendar(json.read(body, Dtos.CalendarRequest.class), null);
    return completeWithFuture(
        stores.async(
            () -> {
              if (!stores.calendars().create(calendar)) {
                throw new ApiError(
                    409, "name", "calendar '" + calendar.name() + "' already exists");
              }
              changed.run();
              return json.response(201, CalendarSpecs.toDto(calendar));
            }));
  }

  private Route replace(String name, String body) {
    Calendar calendar = CalendarSpecs.toCalendar(json.read(body, Dtos.CalendarRequest.class), name);
    return completeWithFuture(
        stores.async(
            () -> {
              if (!stores.calendars().replace(calendar)) throw notFound(name);
              changed.run();
              return json.response(200, CalendarSpecs.toDto(calendar));
            }));
  }

  /** A calendar a job excludes stays: deleting it would make the job run in its times. */
  private Route remove(String name) {
    return completeWithFuture(
        stores.async(
            () -> {
              List<String> users = stores.jobs().usingCalendar(name);
              if (!users.isEmpty()) {
                throw new ApiError(
                    409,
                    null,
                    "calendar '"
                        + name
                        + "' is excluded by jobs "
                        + String.join(", ", users)
                        + "; remove it from them first");
              }
              if (!stores.calendars().delete(name)) throw notFound(name);
              changed.run();
              return HttpResponse.create().withStatus(204);
            }));
  }

  private static ApiError notFound(String name) {
    return ApiError.notFound("calendar '" + name + "' not found");
  }
}
