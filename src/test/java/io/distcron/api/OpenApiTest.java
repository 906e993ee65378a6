package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.SchemaRegistryConfig;
import com.networknt.schema.SpecificationVersion;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document ({@code src/main/resources/openapi.json}) against the route code, a live
 * node, and the README: every route is documented and every documented route is served; real
 * answers, the document's own examples and the README's curl bodies all match its schemas.
 */
class OpenApiTest {
  private static final String ADMIN = "openapi-admin-secret-0123456789";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Where the schema validator finds the document; never fetched. */
  private static final String BASE = "https://distcron.invalid/openapi.json";

  /** A path parameter's value in probes: a valid job name, so that no route refuses it as such. */
  private static final String PARAM = "p-1";

  private static final List<String> METHODS =
      List.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

  private static final Path ROUTE_SOURCES = Path.of("src/main/java/io/distcron/api");

  /**
   * A path directive's argument: a string literal, {@code segment()}, or something else. Looked at
   * ahead, not consumed, so that the directives nested in it are found too.
   */
  private static final Pattern PATH_DIRECTIVE =
      Pattern.compile(
          "\\b(?:path|pathPrefix|pathPrefixTest|pathSuffix|rawPathPrefix|segment|slash)\\((?=\\s*([^)\\s][^,)]*)?)");

  /** Route code uses the routing DSL; other files may have methods of the same names. */
  private static final String DSL =
      "import static org.apache.pekko.http.javadsl.server.Directives.";

  private static final Pattern QUERY_DIRECTIVE =
      Pattern.compile("\\bparameter(?:Optional|List|Map|OrDefault)?\\(\\s*\"([^\"]*)\"");

  private static Node node;
  private static ApiClient api;
  private static String documentText;
  private static JsonNode doc;
  private static SchemaRegistry schemas;
  private static final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void start() throws Exception {
    try (InputStream in = OpenApiTest.class.getResourceAsStream("/openapi.json")) {
      documentText = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    doc = JSON.readTree(documentText);
    schemas =
        SchemaRegistry.withDefaultDialect(
            SpecificationVersion.DRAFT_2020_12,
            b ->
                b.schemas(Map.of(BASE, documentText))
                    .schemaRegistryConfig(
                        SchemaRegistryConfig.builder().formatAssertionsEnabled(true).build()));
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "openapi"),
            Map.of("distcron.auth.admin-token", ADMIN, "distcron.auth.burst", 1000));
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void documentIsValidOpenApi31() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(documentText, null, options);
    assertThat(parsed.getMessages()).isEmpty();
    assertThat(parsed.getOpenAPI().getOpenapi()).isEqualTo("3.1.0");
    assertThat(parsed.getOpenAPI().getPaths()).hasSameSizeAs(Set.copyOf(iterate(doc.get("paths"))));
  }

  @Test
  void servedWithoutTokenAsJson() throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(uri("/openapi.json")).GET(), null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(r.body())).isEqualTo(doc);
    // Everything else still needs the token.
    assertThat(send(HttpRequest.newBuilder(uri("/nodes")).GET(), null).statusCode()).isEqualTo(401);
  }

  @Test
  void consoleLinksToTheDocument() {
    URI page = URI.create(node.apiUrl()).resolve("/");
    HttpResponse<String> index = send(HttpRequest.newBuilder(page).GET(), null);
    Matcher link = Pattern.compile("href=\"([^\"]*openapi[^\"]*)\"").matcher(index.body());
    assertThat(link.find()).as("the console's page links to the document").isTrue();
    URI target = page.resolve(link.group(1));
    assertThat(target.getPath()).isEqualTo("/api/v1/openapi.json");
    assertThat(send(HttpRequest.newBuilder(target).GET(), null).statusCode()).isEqualTo(200);
  }

  /**
   * The route code names every path segment it matches as a string literal (a new route that is not
   * below a documented path brings a new word: "history", "/api/v1/stats"); this finds them all and
   * wants each in the document, and each word the document uses in the code. A path directive whose
   * argument is not a literal or {@code segment()} fails the test rather than go unseen. Query
   * parameters likewise.
   */
  @Test
  void routeCodeNamesWhatTheDocumentNames() {
    Set<String> literals = new TreeSet<>();
    Set<String> unreadable = new TreeSet<>();
    Set<String> queries = new TreeSet<>();
    for (String source : routeSources()) {
      Matcher m = PATH_DIRECTIVE.matcher(source);
      while (m.find()) {
        String arg = m.group(1) == null ? "" : m.group(1).trim();
        if (arg.startsWith("\"")) literals.add(arg.substring(1, arg.indexOf('"', 1)));
        else if (!arg.isEmpty() && !arg.startsWith("segment(")) unreadable.add(m.group());
      }
      Matcher q = QUERY_DIRECTIVE.matcher(source);
      while (q.find()) queries.add(q.group(1));
    }
    assertThat(unreadable).as("path directives this test cannot read").isEmpty();
    Set<String> documented = new TreeSet<>(documentLiterals());
    documented.addAll(serverSegments());
    assertThat(literals).isEqualTo(documented);

    Set<String> documentedQueries = new TreeSet<>();
    for (String path : iterate(doc.get("paths"))) {
      for (JsonNode op : operations(path).values()) {
        for (JsonNode p : op.path("parameters")) {
          JsonNode param = resolve(p);
          if (param.get("in").asText().equals("query")) {
            documentedQueries.add(param.get("name").asText());
          }
        }
      }
    }
    assertThat(queries).isEqualTo(documentedQueries);
  }

  /**
   * Walks the live node's routes. The server routes no HEAD (Pekko's transparent HEAD is off), so a
   * HEAD to a path some route matches is refused with 405 and an {@code Allow} header naming the
   * methods the route takes, and a HEAD to any other path gets 404 — without a route doing any
   * work. Every path of up to three segments made of the document's words (the code's, by {@link
   * #routeCodeNamesWhatTheDocumentNames}) and a parameter, and every documented path with one more
   * such segment or a trailing slash, must be served with exactly the documented methods. So a
   * route added without documenting it (a new method on a path, or a path made of known words
   * anywhere) fails here, as does a documented route or method that nothing serves; a new word
   * fails {@link #routeCodeNamesWhatTheDocumentNames}.
   */
  @Test
  void liveRoutesAreExactlyTheDocumentedOnes() {
    List<String> words = new ArrayList<>(documentLiterals());
    words.add(PARAM);
    Set<String> probes = new TreeSet<>();
    List<List<String>> level = List.of(List.of());
    for (int depth = 1; depth <= 3; depth++) {
      List<List<String>> next = new ArrayList<>();
      for (List<String> prefix : level) {
        for (String w : words) {
          List<String> p = new ArrayList<>(prefix);
          p.add(w);
          next.add(p);
          probes.add("/" + String.join("/", p));
        }
      }
      level = next;
    }
    for (String template : iterate(doc.get("paths"))) {
      String concrete = template.replaceAll("\\{[^}]+}", PARAM);
      probes.add(concrete + "/");
      for (String w : words) probes.add(concrete + "/" + w);
    }

    List<String> mismatches = new ArrayList<>();
    for (String path : probes) {
      Set<String> served = servedMethods(path);
      Set<String> documented = template(path).map(t -> operations(t).keySet()).orElse(Set.of());
      if (!served.equals(documented)) {
        mismatches.add(path + " serves " + served + " but documents " + documented);
      }
    }
    assertThat(mismatches).isEmpty();
    assertThat(probes).hasSizeGreaterThan(1000);
  }

  /** The role each operation documents is the one the server asks for. */
  @Test
  void documentedRolesAreTheServers() {
    for (String path : iterate(doc.get("paths"))) {
      String concrete = "/api/v1" + path.replaceAll("\\{[^}]+}", PARAM);
      operations(path)
          .forEach(
              (method, op) -> {
                if (path.equals("/openapi.json")) {
                  assertThat(op.get("security")).isEmpty();
                  return;
                }
                org.apache.pekko.http.javadsl.model.HttpRequest request =
                    org.apache.pekko.http.javadsl.model.HttpRequest.create(concrete)
                        .withMethod(HttpMethods.lookup(method.toUpperCase(Locale.ROOT)).get());
                Role needed = Auth.requiredRole(request);
                String what = method + " " + path;
                assertThat(op.path("x-required-role").asText())
                    .as(what)
                    .isEqualTo(needed.name().toLowerCase(Locale.ROOT));
                assertThat(op.get("responses").has("401")).as(what + " documents 401").isTrue();
                assertThat(op.get("responses").has("403"))
                    .as(what + " documents 403 exactly when a viewer may not")
                    .isEqualTo(needed != Role.VIEWER);
              });
    }
  }

  /** Every example in the document is valid against the schema beside it. */
  @Test
  void documentExamplesMatchTheirSchemas() {
    int checked = 0;
    for (String path : iterate(doc.get("paths"))) {
      for (Map.Entry<String, JsonNode> op : operations(path).entrySet()) {
        String opPointer = "/paths/" + escape(path) + "/" + op.getKey();
        List<String> contents = new ArrayList<>();
        if (op.getValue().has("requestBody")) contents.add(opPointer + "/requestBody/content");
        for (String status : iterate(op.getValue().get("responses"))) {
          contents.add(responsePointer(opPointer + "/responses/" + status) + "/content");
        }
        for (String contentPointer : contents) {
          String mediaPointer = contentPointer + "/application~1json";
          JsonNode media = doc.at(mediaPointer);
          if (media.isMissingNode()) continue;
          List<JsonNode> examples = new ArrayList<>();
          if (media.has("example")) examples.add(media.get("example"));
          media.path("examples").forEach(e -> examples.add(resolve(e).get("value")));
          for (JsonNode example : examples) {
            assertValid(mediaPointer + "/schema", example, op.getKey() + " " + path);
            checked++;
          }
        }
      }
    }
    assertThat(checked).isGreaterThan(20);
  }

  /**
   * Every curl to {@code $API} in the README is a documented operation with documented query
   * parameters, and every body it sends ({@code -d '...'}) is valid against the operation's request
   * schema.
   */
  @Test
  void readmeCurlExamplesMatchTheDocument() throws IOException {
    String readme = Files.readString(Path.of("README.md"));
    Pattern block = Pattern.compile("```sh\\n(.*?)```", Pattern.DOTALL);
    // A command runs to the end of its line, but a quoted argument may span lines.
    Pattern curl = Pattern.compile("curl ((?:[^\\n']|'[^']*')*)");
    Pattern method = Pattern.compile("-X\\s*([A-Z]+)");
    Pattern url = Pattern.compile("\\$API(/[^\\s\"']*)");
    Pattern body = Pattern.compile("-d\\s+'([^']*)'");
    int commands = 0;
    int bodies = 0;
    Matcher blocks = block.matcher(readme);
    while (blocks.find()) {
      Matcher c = curl.matcher(blocks.group(1));
      while (c.find()) {
        String command = c.group(1);
        Matcher u = url.matcher(command);
        if (!u.find()) continue;
        Matcher b = body.matcher(command);
        Optional<String> data = b.find() ? Optional.of(b.group(1)) : Optional.empty();
        Matcher m = method.matcher(command);
        String verb =
            (m.find() ? m.group(1) : data.isPresent() ? "POST" : "GET").toLowerCase(Locale.ROOT);
        URI target = URI.create(u.group(1).replace("<", "%3C").replace(">", "%3E"));
        String path = target.getRawPath();
        String what = "README: curl " + command.lines().findFirst().orElse("");
        Optional<String> template = template(path);
        assertThat(template).as(what + " names a documented path").isPresent();
        JsonNode op = operations(template.get()).get(verb);
        assertThat(op).as(what + " names a documented method").isNotNull();
        if (target.getRawQuery() != null) {
          Set<String> documented = new TreeSet<>();
          op.path("parameters").forEach(p -> documented.add(resolve(p).get("name").asText()));
          for (String pair : target.getRawQuery().split("&")) {
            assertThat(documented).as(what).contains(pair.split("=", 2)[0]);
          }
        }
        if (data.isPresent()) {
          String pointer =
              "/paths/"
                  + escape(template.get())
                  + "/"
                  + verb
                  + "/requestBody/content/application~1json/schema";
          assertThat(doc.at(pointer).isMissingNode())
              .as(what + " sends a documented body")
              .isFalse();
          assertValid(pointer, JSON.readTree(data.get()), what);
          bodies++;
        }
        commands++;
      }
    }
    assertThat(commands).isGreaterThan(15);
    assertThat(bodies).isGreaterThanOrEqualTo(6);
  }

  /** Real answers of every operation, and of each error status a test can provoke, match. */
  @Test
  void realResponsesMatchTheSchemas() throws Exception {
    String shell =
        "{\"name\": \"oa-shell\", \"labels\": {\"team\": \"ops\"}, \"schedule\": \"0 5 * * *\","
            + " \"timezone\": \"Europe/Berlin\", \"shell\": {\"command\": \"echo hi\", \"env\":"
            + " {\"A\": \"1\"}}, \"retry\": {\"maxAttempts\": 2}, \"catchUp\": {\"policy\":"
            + " \"LATEST\"}}";
    check("POST", "/jobs", shell, 201);
    check("POST", "/jobs", shell, 409);
    check(
        "POST",
        "/jobs",
        "{\"name\": \"oa-http\", \"schedule\": \"@every 1m\", \"http\": {\"method\": \"POST\","
            + " \"url\": \"http://127.0.0.1:9/hook\", \"headers\": {\"X-A\": \"b\"},"
            + " \"expectStatus\": [200, 204]}}",
        201);
    check("POST", "/jobs", "{\"name\": \"oa-noop\", \"schedule\": \"@daily\", \"noop\": {}}", 201);
    JsonNode asRead = check("GET", "/jobs/oa-shell", null, 200);
    // A job as read goes back as it is: the request schema takes the read-only fields.
    assertValid(requestSchema("/jobs/{name}", "put"), asRead, "a job as read, sent back");
    check("PUT", "/jobs/oa-shell", asRead.toString(), 200);
    check("GET", "/jobs?limit=2", null, 200);
    check("GET", "/jobs?label=team=ops", null, 200);
    check("POST", "/jobs/oa-shell/pause", null, 200);
    check("POST", "/jobs/oa-shell/resume", null, 200);
    String runId = check("POST", "/jobs/oa-shell/trigger", null, 202).get("runId").asText();
    Await.until(
        Duration.ofSeconds(20),
        "the manual run to succeed",
        () -> "SUCCEEDED".equals(adminGet("/runs/" + runId).json().path("status").asText()));
    assertThat(check("GET", "/runs/" + runId, null, 200).get("outputTail").asText())
        .isEqualTo("hi\n");
    assertThat(check("GET", "/jobs/oa-shell/runs?limit=5", null, 200).get("items")).isNotEmpty();
    assertThat(check("GET", "/jobs/oa-shell", null, 200).get("lastRun").get("id").asText())
        .isEqualTo(runId);
    assertThat(check("GET", "/runs/" + runId + "/output", null, 200).isMissingNode()).isTrue();

    check(
        "POST",
        "/jobs",
        "{\"name\": \"oa-long\", \"schedule\": \"0 0 1 1 *\", \"shell\": {\"command\": \"sleep"
            + " 60\"}}",
        201);
    String longRun = check("POST", "/jobs/oa-long/trigger", null, 202).get("runId").asText();
    Await.until(
        Duration.ofSeconds(20),
        "the long run to start",
        () -> "RUNNING".equals(adminGet("/runs/" + longRun).json().path("status").asText()));
    check("POST", "/runs/" + longRun + "/kill", null, 202);
    Await.until(
        Duration.ofSeconds(20),
        "the long run to be killed",
        () -> "KILLED".equals(adminGet("/runs/" + longRun).json().path("status").asText()));
    check("POST", "/runs/" + longRun + "/kill", null, 409);

    String holidays =
        "{\"name\": \"oa-holidays\", \"timezone\": \"Europe/Berlin\", \"dates\":"
            + " [\"2026-12-25\"], \"ranges\": [{\"from\": \"2026-12-24\", \"to\":"
            + " \"2027-01-01\"}], \"cron\": \"* * 0-6 * * ?\"}";
    check("POST", "/calendars", holidays, 201);
    check("POST", "/calendars", holidays, 409);
    check("POST", "/calendars", "{\"name\": \"oa-bad\", \"dates\": [\"x\"]}", 400);
    check("GET", "/calendars", null, 200);
    check("GET", "/calendars/oa-holidays", null, 200);
    check("PUT", "/calendars/oa-holidays", "{\"dates\": [\"2026-12-26\"]}", 200);
    check("GET", "/calendars/oa-nope", null, 404);
    check(
        "POST",
        "/jobs",
        "{\"name\": \"oa-calendar\", \"schedule\": \"@daily\", \"noop\": {},"
            + " \"excludeCalendars\": [\"oa-holidays\"]}",
        201);
    check("GET", "/jobs/oa-calendar", null, 200);
    Await.until(
        Duration.ofSeconds(10),
        "the job index to list the calendar's job",
        () -> adminGet("/jobs?limit=500").json().toString().contains("oa-calendar"));
    check("DELETE", "/calendars/oa-holidays", null, 409);
    check("DELETE", "/jobs/oa-calendar", null, 204);
    Await.until(
        Duration.ofSeconds(10),
        "the job index to drop the calendar's job",
        () -> !adminGet("/jobs?limit=500").json().toString().contains("oa-calendar"));
    check("DELETE", "/calendars/oa-holidays", null, 204);
    check("DELETE", "/calendars/oa-holidays", null, 404);

    check("POST", "/schedule/preview", "{\"schedule\": \"*/15 * * * *\", \"count\": 3}", 200);
    check("GET", "/nodes", null, 200);
    String apply =
        "{\"managedBy\": \"git:oa\", \"prune\": true, \"jobs\": [{\"name\": \"oa-applied\","
            + " \"schedule\": \"@daily\", \"noop\": {}}]}";
    check("POST", "/apply", apply, 200);
    check("POST", "/apply", apply.replace("@daily", "nope"), 400);
    check("POST", "/apply", "{\"jobs\": []}", 400);
    check(
        "POST",
        "/apply",
        "{\"managedBy\": \"git:other\", \"jobs\": [{\"name\": \"oa-applied\", \"schedule\":"
            + " \"@daily\", \"noop\": {}}]}",
        409);

    String hook =
        "{\"name\": \"oa-hook\", \"type\": \"webhook\", \"url\": \"http://127.0.0.1:9/\","
            + " \"secret\": \"k\"}";
    check("POST", "/channels", hook, 201);
    check("POST", "/channels", hook, 409);
    JsonNode channelAsRead = check("GET", "/channels/oa-hook", null, 200);
    check("PUT", "/channels/oa-hook", channelAsRead.toString(), 200);
    check(
        "PUT",
        "/channels/oa-mail",
        "{\"type\": \"email\", \"email\": {\"host\": \"127.0.0.1\", \"port\": 9, \"tls\":"
            + " \"none\", \"from\": \"a@example.org\", \"to\": [\"b@example.org\"]}}",
        201);
    check("GET", "/channels", null, 200);
    check("POST", "/channels/oa-hook/test", null, 200);
    check("GET", "/channels/oa-nope", null, 404);
    check("POST", "/channels/oa-nope/test", null, 404);
    check("POST", "/channels", "{\"name\": \"oa-x\", \"type\": \"pager\"}", 400);
    String ruled =
        "{\"name\": \"oa-ruled\", \"schedule\": \"@daily\", \"noop\": {}, \"notify\":"
            + " [{\"channel\": \"oa-hook\", \"on\": [\"FAILED\", \"LATE\"], \"lateAfter\":"
            + " \"PT1M\"}]}";
    check("POST", "/jobs", ruled, 201);
    check("POST", "/jobs", ruled.replace("oa-hook", "oa-gone").replace("oa-ruled", "oa-r2"), 400);
    check("GET", "/jobs/oa-ruled", null, 200);
    // The job index and the channels' users are written in one transaction.
    Await.until(
        Duration.ofSeconds(20),
        "the job in the read side",
        () -> adminGet("/jobs?limit=500").body().contains("\"oa-ruled\""));
    check("DELETE", "/channels/oa-hook", null, 409);
    check("DELETE", "/channels/oa-mail", null, 204);
    check("DELETE", "/channels/oa-mail", null, 404);

    JsonNode viewer =
        check("POST", "/tokens", "{\"name\": \"oa-viewer\", \"role\": \"viewer\"}", 201);
    JsonNode spare = check("POST", "/tokens", "{\"name\": \"oa-spare\", \"role\": \"ADMIN\"}", 201);
    check("GET", "/tokens", null, 200);
    check("DELETE", "/tokens/" + spare.get("id").asText(), null, 204);
    check("DELETE", "/tokens/" + spare.get("id").asText(), null, 404);
    check("GET", "/audit?limit=5", null, 200);
    check("GET", "/audit?job=oa-shell", null, 200);

    check(
        "POST",
        "/jobs",
        "{\"name\": \"oa-x\", \"schedule\": \"@daily\", \"noop\": {}, \"x\": 1}",
        400);
    check("POST", "/jobs", "{\"name\": \"oa-x\", \"schedule\": \"nope\", \"noop\": {}}", 400);
    check("GET", "/jobs?limit=0", null, 400);
    check("GET", "/audit?before=x", null, 400);
    check("GET", "/runs/" + runId + "/output?follow=maybe", null, 400);
    check("GET", "/jobs/oa-nope", null, 404);
    check("PUT", "/jobs/oa-nope", "{\"schedule\": \"@daily\", \"noop\": {}}", 404);
    check("POST", "/jobs/oa-nope/trigger", null, 404);
    check("GET", "/runs/no-such-run", null, 404);
    check("GET", "/runs/no-such-run/output", null, 404);
    check(
        "POST",
        "/jobs",
        "{\"name\": \"oa-big\", \"description\": \"" + "x".repeat(1_100_000) + "\"}",
        413);
    checkResponse(
        "POST",
        "/jobs",
        send(
            HttpRequest.newBuilder(uri("/jobs"))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("{}")),
            ADMIN),
        415);
    checkResponse("GET", "/jobs", send(HttpRequest.newBuilder(uri("/jobs")).GET(), null), 401);
    checkResponse(
        "DELETE",
        "/jobs/oa-noop",
        send(HttpRequest.newBuilder(uri("/jobs/oa-noop")).DELETE(), viewer.get("token").asText()),
        403);
    check("DELETE", "/jobs/oa-noop", null, 204);
  }

  /**
   * Sends with the admin token, asserts the status, and validates the body against the schema the
   * document gives for that operation and status; returns the body (missing for text or none).
   */
  private static JsonNode check(String method, String path, String body, int status) {
    return checkResponse(
        method,
        path,
        send(
            HttpRequest.newBuilder(uri(path))
                .header("Content-Type", "application/json")
                .method(
                    method,
                    body == null
                        ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body)),
            ADMIN),
        status);
  }

  private static JsonNode checkResponse(
      String method, String path, HttpResponse<String> r, int status) {
    String what = method + " " + path;
    assertThat(r.statusCode()).as(what + ": " + abbreviate(r.body())).isEqualTo(status);
    String template = template(URI.create(path).getPath()).orElseThrow();
    String opPointer = "/paths/" + escape(template) + "/" + method.toLowerCase(Locale.ROOT);
    JsonNode response = doc.at(opPointer + "/responses/" + status);
    assertThat(response.isMissingNode()).as(what + " documents " + status).isFalse();
    String content = responsePointer(opPointer + "/responses/" + status) + "/content";
    String type = r.headers().firstValue("Content-Type").orElse("");
    if (r.body().isEmpty()) {
      assertThat(doc.at(content).isMissingNode()).as(what + " documents no body").isTrue();
      return JSON.missingNode();
    }
    if (type.startsWith("text/plain")) {
      assertThat(doc.at(content + "/text~1plain").isMissingNode()).as(what).isFalse();
      return JSON.missingNode();
    }
    assertThat(type).as(what).isEqualTo("application/json");
    try {
      JsonNode json = JSON.readTree(r.body());
      assertValid(content + "/application~1json/schema", json, what + " " + status);
      return json;
    } catch (IOException e) {
      throw new AssertionError(what + " is not JSON: " + r.body(), e);
    }
  }

  private static void assertValid(String pointer, JsonNode value, String what) {
    String fragment = pointer.replace("{", "%7B").replace("}", "%7D");
    Schema schema = schemas.getSchema(SchemaLocation.of(BASE + "#" + fragment));
    List<String> errors =
        schema.validate(value).stream().map(com.networknt.schema.Error::toString).toList();
    assertThat(errors)
        .as(what + " against " + pointer + ": " + abbreviate(value.toString()))
        .isEmpty();
  }

  private static String requestSchema(String template, String method) {
    return "/paths/"
        + escape(template)
        + "/"
        + method
        + "/requestBody/content/application~1json/schema";
  }

  private static ApiClient.Response adminGet(String path) {
    return api.request("GET", path, ADMIN, null);
  }

  /** The methods the route at {@code path} takes, as the live node says; empty if none. */
  private static Set<String> servedMethods(String path) {
    HttpResponse<String> r =
        send(
            HttpRequest.newBuilder(uri(path)).method("HEAD", HttpRequest.BodyPublishers.noBody()),
            ADMIN);
    if (r.statusCode() == 404) return Set.of();
    assertThat(r.statusCode())
        .as("HEAD %s: a route that answers HEAD or every method is beyond this walk", path)
        .isEqualTo(405);
    return Arrays.stream(r.headers().firstValue("Allow").orElse("").split(","))
        .map(m -> m.trim().toLowerCase(Locale.ROOT))
        .filter(m -> !m.isEmpty())
        .collect(Collectors.toCollection(TreeSet::new));
  }

  /** The documented path {@code path} falls under: literal segments win over parameters. */
  private static Optional<String> template(String path) {
    String[] segments = path.split("/", -1);
    String best = null;
    int bestLiterals = -1;
    for (String template : iterate(doc.get("paths"))) {
      String[] t = template.split("/", -1);
      if (t.length != segments.length) continue;
      int literals = 0;
      boolean matches = true;
      for (int i = 0; i < t.length && matches; i++) {
        if (t[i].startsWith("{")) matches = !segments[i].isEmpty();
        else if (t[i].equals(segments[i])) literals++;
        else matches = false;
      }
      if (matches && literals > bestLiterals) {
        best = template;
        bestLiterals = literals;
      }
    }
    return Optional.ofNullable(best);
  }

  private static Map<String, JsonNode> operations(String template) {
    JsonNode item = doc.get("paths").get(template);
    Map<String, JsonNode> ops = new HashMap<>();
    for (String m : METHODS) if (item.has(m)) ops.put(m, item.get(m));
    return ops;
  }

  private static Set<String> documentLiterals() {
    return iterate(doc.get("paths")).stream()
        .flatMap(p -> Arrays.stream(p.split("/")))
        .filter(s -> !s.isEmpty() && !s.startsWith("{"))
        .collect(Collectors.toCollection(TreeSet::new));
  }

  private static List<String> serverSegments() {
    return Arrays.stream(doc.at("/servers/0/url").asText().split("/"))
        .filter(s -> !s.isEmpty())
        .toList();
  }

  private static List<String> routeSources() {
    try (Stream<Path> files = Files.list(ROUTE_SOURCES)) {
      List<String> sources = new ArrayList<>();
      for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String source = Files.readString(f);
        if (source.contains(DSL)) sources.add(source);
      }
      assertThat(sources).hasSizeGreaterThan(5);
      return sources;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A {@code $ref}'d object (parameter, example) or the object itself. */
  private static JsonNode resolve(JsonNode node) {
    return node.has("$ref") ? doc.at(node.get("$ref").asText().substring(1)) : node;
  }

  /** The pointer of a response, following its {@code $ref} to a shared one. */
  private static String responsePointer(String pointer) {
    JsonNode response = doc.at(pointer);
    return response.has("$ref") ? response.get("$ref").asText().substring(1) : pointer;
  }

  /** A JSON pointer token. */
  private static String escape(String token) {
    return token.replace("~", "~0").replace("/", "~1");
  }

  private static List<String> iterate(JsonNode object) {
    List<String> names = new ArrayList<>();
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) names.add(it.next());
    return names;
  }

  private static String abbreviate(String s) {
    return s.length() <= 500 ? s : s.substring(0, 500) + "...";
  }

  private static URI uri(String path) {
    return URI.create(node.apiUrl() + path);
  }

  private static HttpResponse<String> send(HttpRequest.Builder request, String token) {
    if (token != null) request.header("Authorization", "Bearer " + token);
    try {
      return http.send(
          request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new AssertionError("request failed: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }
}
