package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code GET /api/v1/openapi.json}: the API's OpenAPI 3.1 document, a file on the classpath. It is
 * served without a token, as the console's files are: it holds nothing a client does not need to
 * call the API, and tools that read it (code generators, API browsers) rarely send credentials.
 */
final class OpenApiRoute {
  private OpenApiRoute() {}

  /** Expects the path after {@code /api}. */
  static Route route() {
    return path(
        segment("v1").slash("openapi.json"),
        () -> get(() -> getFromResource("openapi.json", ContentTypes.APPLICATION_JSON)));
  }
}
