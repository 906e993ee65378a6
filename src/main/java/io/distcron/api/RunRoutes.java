package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.job.JobEntity;
import io.distcron.job.JobsClient;
import io.distcron.run.RunRecord;
import io.distcron.store.OutputChunk;
import io.distcron.store.Stores;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.NotUsed;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpEntities;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;
import org.apache.pekko.stream.javadsl.Source;
import org.apache.pekko.util.ByteString;

/**
 * {@code /api/v1/runs}: reads of the run store, live output, and kill (which the run's job
 * decides).
 */
final class RunRoutes {
  private static final Duration FOLLOW_POLL = Duration.ofMillis(300);

  private final JobsClient jobs;
  private final Stores stores;
  private final Json json;

  RunRoutes(JobsClient jobs, Stores stores, Json json) {
    this.jobs = jobs;
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
                        path("kill", () -> post(() -> kill(id))),
                        path(
                            "output",
                            () ->
                                get(
                                    () ->
                                        parameterOptional(
                                            "follow",
                                            follow ->
                                                flag(follow.orElse("false"), "follow")
                                                    ? follow(id)
                                                    : output(id)))))));
  }

  /** {@code true} or {@code false}; any other word is a mistake to point out, not a false. */
  private static boolean flag(String value, String field) {
    if (value.equalsIgnoreCase("true")) return true;
    if (value.equalsIgnoreCase("false")) return false;
    throw ApiError.badRequest(field, field + " must be true or false");
  }

  private Route detail(String id) {
    return completeWithFuture(
        stores
            .async(() -> stores.runs().find(id))
            .thenApply(run -> json.response(200, Dtos.RunDto.of(existing(run, id), true))));
  }

  private static RunRecord existing(java.util.Optional<RunRecord> run, String id) {
    return run.orElseThrow(() -> ApiError.notFound("run '" + id + "' not found"));
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
                            out.orElseThrow(
                                () -> ApiError.notFound("run '" + id + "' not found")))));
  }

  private Route kill(String id) {
    return completeWithFuture(
        stores
            .async(() -> stores.runs().find(id))
            .thenCompose(
                found -> {
                  RunRecord run = existing(found, id);
                  if (run.status().isTerminal()) {
                    throw new ApiError(
                        409, null, "run " + id + " has already finished: " + run.status());
                  }
                  return jobs.kill(run.job(), id);
                })
            .thenApply(
                reply -> {
                  if (reply instanceof JobEntity.Killing k) {
                    return json.response(202, new Dtos.Killing(k.runId()));
                  }
                  String why =
                      reply instanceof JobEntity.Rejected r
                          ? r.message()
                          : "the run cannot be killed";
                  throw new ApiError(409, null, why);
                }));
  }

  /**
   * Streams a run's output as chunked text while it runs: polls the stored chunks and ends once the
   * run has finished and every chunk written before that has gone out. A finished run answers at
   * once.
   */
  private Route follow(String id) {
    return completeWithFuture(
        stores
            .async(() -> stores.runs().find(id))
            .thenApply(
                found -> {
                  RunRecord run = existing(found, id);
                  if (run.status().isTerminal()) {
                    String out = stores.runs().output(id).orElse("");
                    return HttpResponse.create().withEntity(ContentTypes.TEXT_PLAIN_UTF8, out);
                  }
                  return HttpResponse.create()
                      .withEntity(
                          HttpEntities.createChunked(ContentTypes.TEXT_PLAIN_UTF8, chunks(id)));
                }));
  }

  private record Poll(List<OutputChunk> chunks, boolean finished) {}

  private Source<ByteString, NotUsed> chunks(String id) {
    AtomicInteger seen = new AtomicInteger();
    return Source.tick(Duration.ZERO, FOLLOW_POLL, NotUsed.notUsed())
        .mapAsync(1, t -> stores.async(() -> poll(id, seen)))
        .takeWhile(p -> !p.finished(), true)
        .mapConcat(p -> p.chunks().stream().map(c -> ByteString.fromString(c.text())).toList())
        .mapMaterializedValue(c -> NotUsed.notUsed());
  }

  /**
   * The status is read before the chunks: a run seen finished has flushed all its chunks already.
   */
  private Poll poll(String id, AtomicInteger seen) {
    boolean finished = stores.runs().find(id).map(r -> r.status().isTerminal()).orElse(true);
    List<OutputChunk> chunks = stores.runs().outputAfter(id, seen.get());
    if (!chunks.isEmpty()) seen.set(chunks.get(chunks.size() - 1).seq());
    return new Poll(chunks, finished);
  }
}
