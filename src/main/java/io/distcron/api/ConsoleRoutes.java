package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import java.util.List;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * The web console: static files under {@code console/} on the classpath (so, inside the jar),
 * served at {@code /}. The console is a plain HTML/CSS/JS client of the public API; nothing is
 * fetched from elsewhere, which the Content-Security-Policy states so that the browser enforces it
 * too.
 */
public final class ConsoleRoutes {
  static final String RESOURCE_DIR = "console";

  /**
   * Only this origin's scripts, styles, images and API; no inline script, no plugins, no framing.
   * The console inserts every user-supplied string as text, so this is defence in depth, not the
   * defence.
   */
  static final String CONTENT_SECURITY_POLICY =
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self';"
          + " connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self';"
          + " frame-ancestors 'none'";

  private static final List<HttpHeader> HEADERS =
      List.of(
          RawHeader.create("Content-Security-Policy", CONTENT_SECURITY_POLICY),
          RawHeader.create("X-Content-Type-Options", "nosniff"),
          RawHeader.create("Referrer-Policy", "no-referrer"),
          RawHeader.create("X-Frame-Options", "DENY"),
          // A new jar version must show its new console at once, not a cached mix of old and new.
          RawHeader.create("Cache-Control", "no-cache"));

  private ConsoleRoutes() {}

  /**
   * {@code GET /} is the page; every other GET outside {@code /api} is a file of the console. Paths
   * under {@code /api} are left alone, so the API's own 404 and 405 answers stay what they are.
   */
  public static Route route() {
    return extractUnmatchedPath(
        path ->
            path.equals("/api") || path.startsWith("/api/")
                ? reject()
                : get(
                    () ->
                        respondWithHeaders(
                            HEADERS,
                            () ->
                                concat(
                                    pathSingleSlash(
                                        () -> getFromResource(RESOURCE_DIR + "/index.html")),
                                    getFromResourceDirectory(RESOURCE_DIR)))));
  }
}
