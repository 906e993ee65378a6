package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.complete;

import io.distcron.store.StoreException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.apache.pekko.http.javadsl.model.HttpEntity;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.MediaTypes;
import org.apache.pekko.http.javadsl.server.ExceptionHandler;
import org.apache.pekko.http.javadsl.server.MalformedRequestContentRejection;
import org.apache.pekko.http.javadsl.server.RejectionHandler;
import org.apache.pekko.http.scaladsl.model.EntityStreamException;
import org.apache.pekko.http.scaladsl.model.EntityStreamSizeException;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.ExceptionWithErrorInfo;
import org.apache.pekko.http.scaladsl.model.IllegalRequestException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every failure becomes one JSON shape, {@code {"error", "field"}}; no stack trace leaves the node.
 */
final class Errors {
  private static final Logger log = LoggerFactory.getLogger(Errors.class);
  private final Json json;
  private final long maxBodyBytes;

  Errors(Json json, long maxBodyBytes) {
    this.json = json;
    this.maxBodyBytes = maxBodyBytes;
  }

  HttpResponse toResponse(Throwable t) {
    Throwable e = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    if (e instanceof ApiError a)
      return json.response(a.status(), new Dtos.Error(a.getMessage(), a.field()));
    if (e instanceof EntityStreamSizeException s) {
      long limit = Math.min(s.limit(), maxBodyBytes);
      return json.response(
          413, new Dtos.Error("request body is larger than " + limit + " bytes", "body"));
    }
    if (e instanceof IllegalRequestException r) {
      return json.response(r.status().intValue(), error(r.info(), null));
    }
    // A broken body (truncated, bad chunking), URI or header Pekko found while the route read it.
    if (e instanceof EntityStreamException s) return json.response(400, error(s.info(), "body"));
    if (e instanceof ExceptionWithErrorInfo x) return json.response(400, error(x.info(), null));
    if (e instanceof StoreException) {
      log.warn("Database unavailable: {}", e.toString());
      return json.response(
          503, new Dtos.Error("the database is unavailable; try again shortly", null));
    }
    if (e instanceof TimeoutException) {
      return json.response(
          503, new Dtos.Error("the cluster did not answer in time; try again shortly", null));
    }
    log.error("Request failed", e);
    return json.response(
        500, new Dtos.Error("internal error: " + e.getClass().getSimpleName(), null));
  }

  static Dtos.Error error(ErrorInfo info, String field) {
    String header = info.errorHeaderName();
    return new Dtos.Error(
        info.summary().isEmpty() ? "bad request" : info.summary(),
        header == null || header.isEmpty() ? field : header);
  }

  ExceptionHandler exceptionHandler() {
    return ExceptionHandler.newBuilder().matchAny(e -> complete(toResponse(e))).build();
  }

  /** Pekko's own rejections (404, 405, ...) keep their status and text, in the API's JSON shape. */
  RejectionHandler rejectionHandler() {
    return RejectionHandler.newBuilder()
        .handle(MalformedRequestContentRejection.class, r -> complete(toResponse(r.getCause())))
        .build()
        .withFallback(RejectionHandler.defaultHandler())
        .mapRejectionResponse(
            r -> {
              if (r.entity().getContentType().mediaType().equals(MediaTypes.APPLICATION_JSON)) {
                return r;
              }
              String text =
                  r.entity() instanceof HttpEntity.Strict strict && !strict.getData().isEmpty()
                      ? strict.getData().utf8String()
                      : r.status().reason();
              // withEntity keeps the rejection's headers, such as WWW-Authenticate.
              return r.withEntity(
                  json.response(r.status().intValue(), new Dtos.Error(text, null)).entity());
            });
  }
}
