package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.Node;
import io.distcron.TestNodes;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The console's files as HTTP serves them, and a guard over their source; no browser needed. */
class ConsoleRoutesTest {
  private static final Path SOURCES = Path.of("src", "main", "resources", "console");
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private static Node node;
  private static String root;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "console_routes"), Map.of());
    root = node.apiUrl().substring(0, node.apiUrl().length() - "/api/v1".length());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static HttpResponse<String> send(String method, String path) throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(root + path))
            .method(method, HttpRequest.BodyPublishers.noBody())
            .timeout(Duration.ofSeconds(20))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String header(HttpResponse<?> r, String name) {
    return r.headers().firstValue(name).orElse(null);
  }

  @Test
  void servesThePageAtTheRootWithItsSecurityHeaders() throws Exception {
    HttpResponse<String> page = send("GET", "/");
    assertThat(page.statusCode()).isEqualTo(200);
    assertThat(header(page, "Content-Type")).startsWith("text/html");
    assertThat(page.body()).contains("<script type=\"module\" src=\"js/app.js\"></script>");
    assertThat(header(page, "Content-Security-Policy"))
        .isEqualTo(ConsoleRoutes.CONTENT_SECURITY_POLICY)
        .startsWith("default-src 'self'")
        .doesNotContain("unsafe-inline")
        .doesNotContain("unsafe-eval");
    assertThat(header(page, "X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(send("GET", "/index.html").body()).isEqualTo(page.body());
  }

  @Test
  void servesScriptsStylesAndImagesWithTheirTypes() throws Exception {
    Map<String, String> types =
        Map.of(
            "/js/app.js", "application/javascript",
            "/js/dom.js", "application/javascript",
            "/style.css", "text/css",
            "/favicon.svg", "image/svg+xml");
    for (var e : types.entrySet()) {
      HttpResponse<String> r = send("GET", e.getKey());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(200);
      assertThat(header(r, "Content-Type")).as(e.getKey()).startsWith(e.getValue());
      assertThat(header(r, "Content-Security-Policy")).as(e.getKey()).isNotNull();
    }
  }

  @Test
  void leavesTheApiAndEverythingElseAlone() throws Exception {
    assertThat(send("GET", "/nope.js").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/js/../../application.conf").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/%2e%2e/application.conf").statusCode()).isEqualTo(404);
    assertThat(send("POST", "/").statusCode()).isEqualTo(405);

    HttpResponse<String> unknownApi = send("GET", "/api/v1/nope");
    assertThat(unknownApi.statusCode()).isEqualTo(404);
    assertThat(unknownApi.body()).contains("\"error\"");
    assertThat(send("POST", "/api/v1/nope").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/api/v1/jobs").statusCode()).isEqualTo(200);
  }

  /**
   * User text must enter the page as text: no HTML-parsing sink in the console's code, no inline
   * script or handler in its page, and nothing fetched from another origin.
   */
  @Test
  void theSourcesHaveNoHtmlSinksAndNoRemoteAssets() throws IOException {
    Pattern sinks =
        Pattern.compile(
            "innerHTML|outerHTML|insertAdjacentHTML|document\\.write|createContextualFragment"
                + "|DOMParser|\\beval\\s*\\(|new\\s+Function\\s*\\(|setAttribute\\(\\s*['\"]on");
    Pattern remote =
        Pattern.compile("(src|href)\\s*=\\s*\"(https?:)?//|url\\(\\s*['\"]?(https?:)?//|@import");
    List<Path> files;
    try (Stream<Path> walk = Files.walk(SOURCES)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    assertThat(files).extracting(p -> p.getFileName().toString()).contains("index.html", "app.js");
    for (Path f : files) {
      String code = withoutComments(Files.readString(f));
      assertThat(sinks.matcher(code).find()).as(f + " uses an HTML sink").isFalse();
      assertThat(remote.matcher(code).find()).as(f + " loads a remote asset").isFalse();
      if (f.toString().endsWith(".html")) {
        assertThat(code)
            .as(f + " has inline script")
            .doesNotContainPattern("<script(?![^>]*\\bsrc=)");
        assertThat(code).as(f + " has an inline handler").doesNotContainPattern("\\son\\w+\\s*=");
        assertThat(code).as(f + " has an inline style").doesNotContain("style=");
      }
    }
  }

  private static String withoutComments(String code) {
    return code.replaceAll("(?s)/\\*.*?\\*/", "")
        .replaceAll("(?s)<!--.*?-->", "")
        .replaceAll("(?m)^\\s*//.*$", "");
  }
}
