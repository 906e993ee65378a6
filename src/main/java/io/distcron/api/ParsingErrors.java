package io.distcron.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.pekko.event.LoggingAdapter;
import org.apache.pekko.http.ParsingErrorHandler;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.scaladsl.model.ErrorInfo;
import org.apache.pekko.http.scaladsl.model.StatusCode;
import org.apache.pekko.http.scaladsl.settings.ServerSettings;

/**
 * The answer to a request Pekko cannot even parse (URI over 2k characters: 414, a header over its
 * limit: 431, an invalid {@code Content-Length}, percent-encoding or request line: 400), which
 * never reaches a route: the API's JSON error rather than Pekko's plain text. Pekko instantiates it
 * by name ({@link HttpServer} sets it), so it has a public no-argument constructor.
 *
 * <p>A method or protocol version Pekko does not know is the client's mistake, not the server's:
 * 400 rather than Pekko's 501 and 505.
 */
public final class ParsingErrors extends ParsingErrorHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  @Override
  public HttpResponse handle(
      StatusCode status, ErrorInfo info, LoggingAdapter log, ServerSettings settings) {
    int code = status.intValue() >= 400 && status.intValue() < 500 ? status.intValue() : 400;
    log.warning("Illegal request, responding with status {}: {}", code, info.summary());
    try {
      return HttpResponse.create()
          .withStatus(code)
          .withEntity(
              ContentTypes.APPLICATION_JSON, JSON.writeValueAsBytes(Errors.error(info, null)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write an error", e);
    }
  }
}
