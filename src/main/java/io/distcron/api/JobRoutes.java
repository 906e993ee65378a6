package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import io.distcron.job.JobsClient;
import io.distcron.run.RunRecord;
import io.distcron.schedule.CronSchedule;
import io.distcron.store.ChannelStore;
import io.distcron.store.JobIndex;
import io.distcron.store.Stores;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /api/v1/jobs} and {@code /api/v1/schedule/preview}: parse, ask the job, map the reply. */
final class JobRoutes {
  static final int MAX_PAGE = 500;
  private static final int MAX_PREVIEW = 100;
  private static final Duration STATS_WINDOW = Duration.ofHours(24);

  private final JobsClient jobs;
  private final Stores stores;
  private final Json json;
  private final Clock clock;
  private final long maxBodyBytes;
  private final ChannelStore channels;

  JobRoutes(
      JobsClient jobs,
      Stores stores,
      ChannelStore channels,
      Json json,
      Clock clock,
      long maxBodyBytes) {
    this.jobs = jobs;
    this.channels = channels;
    this.stores = stores;
    this.json = json;
    this.clock = clock;
    this.maxBodyBytes = maxBodyBytes;
  }

  Route route() {
    return concat(
        pathPrefix(
            "jobs",
            () ->
                concat(
                    pathEnd(() -> concat(post(() -> body(this::create)), get(this::list))),
                    pathPrefix(segment(), this::oneJob))),
        path(
            segment("schedule").slash("preview"),
            () -> post(() -> body(b -> preview(json.read(b, Dtos.PreviewRequest.class))))));
  }

  private Route oneJob(String name) {
    return concat(
        pathEnd(
            () ->
                concat(
                    get(() -> getOne(name)),
                    put(() -> body(b -> replace(name, b))),
                    delete(() -> reply(name, jobs::delete, 204)))),
        path("pause", () -> post(() -> reply(name, jobs::pause, 200))),
        path("resume", () -> post(() -> reply(name, jobs::resume, 200))),
        path("trigger", () -> post(() -> reply(name, jobs::trigger, 202))),
        path(
            "backfill",
            () ->
                concat(
                    post(() -> body(b -> backfill(name, b))),
                    delete(() -> reply(name, jobs::cancelBackfill, 200)))),
        path("runs", () -> get(() -> runs(name))));
  }

  private Route backfill(String name, String body) {
    existingName(name);
    BackfillRequests.Parsed r = BackfillRequests.parse(json.read(body, Dtos.BackfillRequest.class));
    return respond(
        jobs.backfill(name, r.from(), r.to(), r.overlap())
            .thenCompose(
                reply -> {
                  if (reply instanceof JobEntity.BackfillStarted s) {
                    return done(
                        json.response(
                            202,
                            new Dtos.BackfillAccepted(
                                r.from(), r.to(), r.overlap().name(), s.ticks(), s.leftOut())));
                  }
                  return toResponse(reply, 202);
                }));
  }

  /** Reads the JSON body as text, refusing what is over the limit before it is all in memory. */
  private Route body(Function<String, Route> inner) {
    return Inputs.jsonBody(maxBodyBytes, inner);
  }

  private Route create(String body) {
    JobSpec spec = JobSpecs.toSpec(json.read(body, Dtos.JobRequest.class), null, clock.instant());
    return respond(
        ChannelRoutes.channelsExist(channels, stores, spec, "")
            .thenCompose(s -> calendarsExist(s).thenApply(ok -> s))
            .thenCompose(jobs::create)
            .thenCompose(r -> toResponse(r, 201)));
  }

  private Route replace(String name, String body) {
    JobSpec spec = JobSpecs.toSpec(json.read(body, Dtos.JobRequest.class), name, clock.instant());
    return respond(
        ChannelRoutes.channelsExist(channels, stores, spec, "")
            .thenCompose(s -> calendarsExist(s).thenApply(ok -> s))
            .thenCompose(jobs::replace)
            .thenCompose(r -> toResponse(r, 200)));
  }

  /**
   * A job may only exclude calendars that exist. A calendar deleted between this check and the
   * job's definition is the entity's case of a calendar it does not know.
   */
  private CompletionStage<Void> calendarsExist(JobSpec spec) {
    List<String> names = spec.excludeCalendars();
    if (names.isEmpty()) return done(null);
    return stores.async(
        () -> {
          for (int i = 0; i < names.size(); i++) {
            if (stores.calendars().find(names.get(i)).isEmpty()) {
              throw ApiError.badRequest(
                  "excludeCalendars[" + i + "]", "calendar '" + names.get(i) + "' not found");
            }
          }
        });
  }

  private Route reply(
      String name, Function<String, CompletionStage<JobEntity.Reply>> ask, int okStatus) {
    existingName(name);
    return respond(ask.apply(name).thenCompose(r -> toResponse(r, okStatus)));
  }

  /** As any reply, and with the job's {@link Dtos.JobStats}: a job's own page shows them. */
  private Route getOne(String name) {
    existingName(name);
    return respond(
        jobs.get(name)
            .thenCompose(
                r -> {
                  if (!(r instanceof JobEntity.JobView view)) return toResponse(r, 200);
                  Instant since = clock.instant().minus(STATS_WINDOW);
                  return stores
                      .async(
                          () ->
                              dto(
                                  view,
                                  stores.runs().lastByJob(name),
                                  Dtos.JobStats.of(STATS_WINDOW, stores.runs().stats(name, since))))
                      .thenApply(dto -> json.response(200, dto));
                }));
  }

  /** A name no job can have names no job: 404, as for a job that does not exist. */
  private static void existingName(String name) {
    if (!JobSpec.NAME.matcher(name).matches()) {
      throw ApiError.notFound("job '" + name + "' not found");
    }
  }

  private Route respond(CompletionStage<HttpResponse> response) {
    return completeWithFuture(response);
  }

  private CompletionStage<HttpResponse> toResponse(JobEntity.Reply reply, int okStatus) {
    if (reply instanceof JobEntity.Rejected r) {
      if (r.problem() == JobEntity.Problem.TOO_MANY_TICKS) {
        throw ApiError.badRequest("to", r.message());
      }
      int status = r.problem() == JobEntity.Problem.NOT_FOUND ? 404 : 409;
      throw new ApiError(
          status, r.problem() == JobEntity.Problem.CONFLICT ? "name" : null, r.message());
    }
    if (reply instanceof JobEntity.BackfillCancelled c) {
      return done(json.response(okStatus, new Dtos.BackfillCancelled(c.ticks())));
    }
    if (reply instanceof JobEntity.Triggered t) {
      return done(json.response(okStatus, new Dtos.Triggered(t.runId())));
    }
    if (reply instanceof JobEntity.Removed) {
      return done(HttpResponse.create().withStatus(204));
    }
    JobEntity.JobView view = (JobEntity.JobView) reply;
    return stores
        .async(() -> stores.runs().lastByJob(view.spec().name()))
        .thenApply(last -> json.response(okStatus, dto(view, last, null)));
  }

  private static <T> CompletionStage<T> done(T value) {
    return java.util.concurrent.CompletableFuture.completedFuture(value);
  }

  private Dtos.JobDto dto(
      JobEntity.JobView view, Optional<RunRecord> lastRun, Dtos.JobStats stats) {
    return JobSpecs.toDto(
        view.spec(),
        view,
        view.spec().ticks().describe(),
        lastRun.map(r -> Dtos.RunDto.of(r, false)).orElse(null),
        stats,
        clock.instant());
  }

  private Route list() {
    return parameterOptional(
        "label",
        label ->
            parameterOptional(
                "after",
                after ->
                    parameterOptional(
                        "limit",
                        limit -> {
                          String[] kv = label.map(JobRoutes::labelFilter).orElse(new String[2]);
                          int n = limitOf(limit, 100);
                          return respond(
                              stores
                                  .async(
                                      () ->
                                          listPage(
                                              stores
                                                  .jobs()
                                                  .list(kv[0], kv[1], after.orElse(null), n)))
                                  .thenApply(page -> json.response(200, page)));
                        })));
  }

  /** On the blocking pool: each job's last run is one indexed read. */
  private Dtos.Page<Dtos.JobDto> listPage(io.distcron.store.Page<JobIndex.Entry> page) {
    List<Dtos.JobDto> items =
        page.items().stream()
            .map(
                e ->
                    dto(
                        new JobEntity.JobView(
                            e.spec(), e.paused(), null, nextFires(e), 0, 0, 0, null),
                        stores.runs().lastByJob(e.spec().name()),
                        null))
            .toList();
    return new Dtos.Page<>(items, page.next());
  }

  private List<java.time.Instant> nextFires(JobIndex.Entry e) {
    if (e.paused() || !e.spec().enabled()) return List.of();
    return e.spec().ticks().next(clock.instant(), 5);
  }

  private static String[] labelFilter(String label) {
    int eq = label.indexOf('=');
    if (eq <= 0) throw ApiError.badRequest("label", "label filter must be key=value");
    return new String[] {label.substring(0, eq), label.substring(eq + 1)};
  }

  static int limitOf(Optional<String> limit, int fallback) {
    if (limit.isEmpty()) return fallback;
    try {
      int n = Integer.parseInt(limit.get());
      if (n >= 1 && n <= MAX_PAGE) return n;
    } catch (NumberFormatException e) {
      // falls through to the error below
    }
    throw ApiError.badRequest("limit", "limit must be a number from 1 to " + MAX_PAGE);
  }

  private Route runs(String name) {
    return parameterOptional(
        "limit",
        limit ->
            parameterOptional(
                "cursor",
                cursor -> {
                  existingName(name);
                  int n = limitOf(limit, 50);
                  return respond(
                      stores
                          .async(() -> runsPage(name, n, cursor.orElse(null)))
                          .thenApply(
                              page ->
                                  json.response(
                                      200,
                                      new Dtos.Page<>(
                                          page.items().stream()
                                              .map(r -> Dtos.RunDto.of(r, false))
                                              .toList(),
                                          page.next()))));
                }));
  }

  /** On the blocking pool. A cursor is the store's own encoding; anything else is the client's. */
  private io.distcron.store.Page<RunRecord> runsPage(String name, int limit, String cursor) {
    try {
      return stores.runs().listByJob(name, limit, cursor);
    } catch (IllegalArgumentException e) {
      if (cursor == null) throw e;
      throw ApiError.badRequest("cursor", "cursor must be the 'next' of an earlier page");
    }
  }

  /** The schedule is checked as a job's is, so a preview never shows what a job would refuse. */
  private Route preview(Dtos.PreviewRequest r) {
    int count = r.count() == null ? 5 : r.count();
    if (count < 1 || count > MAX_PREVIEW) {
      throw ApiError.badRequest("count", "count must be from 1 to " + MAX_PREVIEW);
    }
    Instant now = clock.instant();
    if (r.name() != null) JobSpecs.checkName(r.name());
    CronSchedule schedule =
        JobSpecs.schedule(r.schedule(), JobSpecs.zone(r.timezone()), r.name(), now);
    return complete(
        json.response(200, new Dtos.Preview(schedule.next(now, count), schedule.describe())));
  }
}
