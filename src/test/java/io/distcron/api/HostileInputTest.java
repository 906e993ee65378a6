package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Nothing a client sends may break a node: every hostile body, header, path and query string over
 * every write route and the list routes gets its exact 4xx, as the API's JSON error naming the
 * field, and the node answers a normal request right after. Requests go over a plain socket, byte
 * for byte as written here, so that no client library tidies them up first.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String V1 = "/api/v1";
  private static final String VICTIM =
      "{\"name\": \"victim\", \"schedule\": \"@daily\", \"noop\": {}}";

  private static Node node;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    // A high change rate: this class sends hundreds of changes within a second.
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "hostile"),
            Map.of(
                "distcron.auth.changes-per-second", 1_000_000, "distcron.auth.burst", 1_000_000));
    port = URI.create(node.apiUrl()).getPort();
    Reply created = send(request("POST", V1 + "/jobs", JSON_TYPE, VICTIM));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  // ---------------------------------------------------------------------------------------------
  // The table

  /** One hostile request and the answer it must get; {@code field} null: the error names none. */
  record Row(String name, byte[] request, int status, String field) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Row> rows() {
    List<Row> rows = new ArrayList<>();
    hostileBodies(rows);
    wrongTypes(rows);
    unstorableAndOversizedText(rows);
    otherWriteRoutes(rows);
    hostileHeaders(rows);
    hostilePaths(rows);
    hostileQueries(rows);
    return rows.stream();
  }

  @Order(2)
  @ParameterizedTest(name = "{0}")
  @MethodSource("rows")
  void isRefusedWithAJsonErrorAndTheNodeCarriesOn(Row row) throws Exception {
    Reply r = send(row.request());
    assertThat(r.status()).as(r.toString()).isEqualTo(row.status());
    assertThat(r.contentType()).as(r.toString()).isEqualTo("application/json");
    JsonNode error = JSON.readTree(r.body());
    assertThat(error.isObject()).as(r.toString()).isTrue();
    assertThat(fieldNames(error)).as(r.toString()).containsExactlyInAnyOrder("error", "field");
    assertThat(error.get("error").asText())
        .as(r.toString())
        .isNotBlank()
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
    if (row.field() == null) {
      assertThat(error.get("field").isNull()).as(r.toString()).isTrue();
    } else {
      assertThat(error.get("field").asText()).as(r.toString()).isEqualTo(row.field());
    }
    Reply normal = send(get("/jobs/victim"));
    assertThat(normal.status()).as("the node after " + row).isEqualTo(200);
  }

  /** What the table must not have done: change the one job, or create any other. */
  @Order(3)
  @Test
  void nothingHostileLeftATrace() throws Exception {
    Reply job = send(get("/jobs/victim"));
    assertThat(JSON.readTree(job.body()).get("schedule").asText()).isEqualTo("@daily");
    Reply list = send(get("/jobs?limit=500"));
    for (JsonNode j : JSON.readTree(list.body()).get("items")) {
      assertThat(j.get("name").asText()).isIn("victim", "plain", "curl-style");
    }
  }

  /** Missing Content-Type and curl's default form type are read as JSON, as the README shows. */
  @Order(1)
  @Test
  void aJsonBodyWithoutJsonContentTypeIsStillRead() throws Exception {
    String job = "{\"name\": \"%s\", \"schedule\": \"@daily\", \"noop\": {}}";
    assertThat(send(request("POST", V1 + "/jobs", null, job.formatted("plain"))).status())
        .isEqualTo(201);
    assertThat(
            send(request(
                    "POST",
                    V1 + "/jobs",
                    "application/x-www-form-urlencoded",
                    job.formatted("curl-style")))
                .status())
        .isEqualTo(201);
  }

  // ---------------------------------------------------------------------------------------------
  // Rows

  private static final String JSON_TYPE = "application/json";

  /** The headers every raw request has, after its request line. */
  private static final String CLOSE = "\r\nHost: x\r\nConnection: close\r\n";

  private static void hostileBodies(List<Row> rows) {
    Map<String, String> bodies = new LinkedHashMap<>();
    bodies.put("null", "null");
    bodies.put("empty array", "[]");
    bodies.put("empty string", "\"\"");
    bodies.put("number", "1");
    bodies.put("string", "\"job\"");
    bodies.put("true", "true");
    bodies.put("array of objects", "[{\"name\": \"a\"}]");
    bodies.put("truncated", "{\"name\": ");
    bodies.put("not JSON", "<job/>");
    bodies.put("trailing tokens", "{} {}");
    bodies.put("single quotes", "{'name': 'a'}");
    bodies.put("comment", "/* */ {}");
    bodies.put("blank", "   \n ");
    bodies.put("nested 5000 deep", "[".repeat(5000) + "]".repeat(5000));
    bodies.put("byte order mark", "\uFEFF{}");
    for (var b : bodies.entrySet()) {
      rows.add(post("POST jobs: " + b.getKey(), "/jobs", b.getValue(), 400, "body"));
      rows.add(put("PUT job: " + b.getKey(), "/jobs/victim", b.getValue(), 400, "body"));
      rows.add(post("preview: " + b.getKey(), "/schedule/preview", b.getValue(), 400, "body"));
      rows.add(post("POST tokens: " + b.getKey(), "/tokens", b.getValue(), 400, "body"));
      rows.add(post("apply: " + b.getKey(), "/apply", b.getValue(), 400, "body"));
    }
    rows.add(post("POST jobs: no body", "/jobs", null, 400, "body"));
    rows.add(post("POST jobs: empty object", "/jobs", "{}", 400, "name"));
    rows.add(post("preview: empty object", "/schedule/preview", "{}", 400, "schedule"));
    rows.add(post("POST tokens: empty object", "/tokens", "{}", 400, "name"));
    rows.add(
        post(
            "POST jobs: nested 5000 deep in a field",
            "/jobs",
            "{\"description\": " + "[".repeat(5000) + "]".repeat(5000) + "}",
            400,
            "description"));
    rows.add(
        post(
            "POST jobs: objects nested in a label",
            "/jobs",
            "{\"labels\": {\"a\": " + "{\"b\": ".repeat(3000) + "1" + "}".repeat(3000) + "}}",
            400,
            "labels.a"));
    rows.add(
        post(
            "POST jobs: duplicate key",
            "/jobs",
            "{\"name\": \"dup\", \"name\": \"dup2\", \"schedule\": \"@daily\", \"noop\": {}}",
            400,
            "name"));
    rows.add(
        post(
            "POST jobs: duplicate env key",
            "/jobs",
            "{\"name\": \"dup\", \"schedule\": \"@daily\","
                + " \"shell\": {\"command\": \"x\", \"env\": {\"A\": \"1\", \"A\": \"2\"}}}",
            400,
            "shell.env.A"));
    rows.add(
        post(
            "preview: duplicate key",
            "/schedule/preview",
            "{\"schedule\": \"@daily\", \"schedule\": \"@hourly\"}",
            400,
            "schedule"));
    rows.add(
        post(
            "POST jobs: unknown field",
            "/jobs",
            job().put("colour", "red").toString(),
            400,
            "colour"));
    ObjectNode nestedUnknown = job();
    nestedUnknown.remove("noop");
    nestedUnknown.putObject("shell").put("command", "x").put("shel", "/bin/zsh");
    rows.add(
        post(
            "POST jobs: nested unknown field",
            "/jobs",
            nestedUnknown.toString(),
            400,
            "shell.shel"));
    rows.add(
        post(
            "POST tokens: unknown field",
            "/tokens",
            "{\"name\": \"t\", \"role\": \"admin\", \"expires\": 1}",
            400,
            "expires"));
    rows.add(
        post(
            "preview: unknown field",
            "/schedule/preview",
            "{\"schedule\": \"@daily\", \"zone\": \"UTC\"}",
            400,
            "zone"));
    byte[] invalidUtf8 =
        concat(
            "{\"name\": \"a".getBytes(StandardCharsets.UTF_8),
            new byte[] {(byte) 0xC3, (byte) 0x28, (byte) 0xFF},
            "\", \"schedule\": \"@daily\", \"noop\": {}}".getBytes(StandardCharsets.UTF_8));
    rows.add(
        new Row(
            "POST jobs: invalid UTF-8",
            request("POST", V1 + "/jobs", JSON_TYPE, invalidUtf8),
            400,
            "body"));
    rows.add(
        new Row(
            "POST tokens: invalid UTF-8",
            request("POST", V1 + "/tokens", JSON_TYPE, invalidUtf8),
            400,
            "body"));
    String huge = job().put("description", "x".repeat(1_100_000)).toString();
    rows.add(post("POST jobs: body over 1 MiB", "/jobs", huge, 413, "body"));
    rows.add(post("POST tokens: body over 1 MiB", "/tokens", huge, 413, "body"));
    rows.add(post("preview: body over 1 MiB", "/schedule/preview", huge, 413, "body"));
    rows.add(put("PUT job: body over 1 MiB", "/jobs/victim", huge, 413, "body"));
  }

  /** Every field of a job, given each JSON type it is not: no coercion, the path named. */
  private static void wrongTypes(List<Row> rows) {
    Map<String, List<Object>> wrong = new LinkedHashMap<>();
    wrong.put("name", List.of(1, true, Map.of(), List.of()));
    wrong.put("description", List.of(1, false, List.of()));
    wrong.put("labels", List.of("", 1, List.of("a=b")));
    wrong.put("labels.team", List.of(1, true, Map.of()));
    wrong.put("schedule", List.of(1, Map.of(), List.of("@daily")));
    wrong.put("timezone", List.of(1, true));
    wrong.put("shell", List.of("", "echo hi", 1, true, List.of()));
    wrong.put("shell.command", List.of(1, List.of("echo", "hi")));
    wrong.put("shell.env", List.of("", "A=1", List.of()));
    wrong.put("shell.env.A", List.of(1, 1.5, true, Map.of()));
    wrong.put("shell.workingDir", List.of(1, Map.of()));
    wrong.put("http", List.of("", "http://example.com", 1));
    wrong.put("http.method", List.of(1, true));
    wrong.put("http.url", List.of(1, Map.of()));
    wrong.put("http.headers", List.of("", 1, List.of()));
    wrong.put("http.headers.X-A", List.of(1, List.of()));
    wrong.put("http.body", List.of(1, Map.of()));
    wrong.put("http.timeoutSeconds", List.of("5", 5.5, true, ""));
    wrong.put("http.expectStatus", List.of("200", 200, Map.of()));
    wrong.put("http.expectStatus[0]", List.of("200", 200.5, true));
    wrong.put("noop", List.of("", 1, true, List.of()));
    wrong.put("timeoutSeconds", List.of("30", 30.5, true, "", 99_999_999_999L, 1e300));
    wrong.put("enabled", List.of(1, 0, "true", "false", "", "yes", 1.0));
    wrong.put("overlap", List.of(1, true));
    wrong.put("catchUp", List.of("", 1, List.of()));
    wrong.put("catchUp.policy", List.of(1));
    wrong.put("catchUp.window", List.of(3600));
    wrong.put("catchUp.maxRuns", List.of("5", 5.5));
    wrong.put("retry", List.of("", 1, List.of()));
    wrong.put("retry.maxAttempts", List.of("3", 3.5, true));
    wrong.put("retry.backoff", List.of(10));
    wrong.put("retry.multiplier", List.of("2", true));
    wrong.put("retry.maxBackoff", List.of(300));
    for (var w : wrong.entrySet()) {
      for (Object value : w.getValue()) {
        String body = with(job(), w.getKey(), value).toString();
        String label = w.getKey() + " = " + JSON.valueToTree(value);
        rows.add(post("POST jobs: " + label, "/jobs", body, 400, w.getKey()));
        // PUT reads the body with the same code: one wrong type per field shows it does.
        if (value == w.getValue().get(0)) {
          rows.add(put("PUT job: " + label, "/jobs/victim", body, 400, w.getKey()));
        }
      }
    }
    for (Object value : List.of(1, true, Map.of())) {
      String v = JSON.valueToTree(value).toString();
      rows.add(
          post(
              "preview: schedule = " + v,
              "/schedule/preview",
              "{\"schedule\": " + v + "}",
              400,
              "schedule"));
      rows.add(
          post(
              "preview: timezone = " + v,
              "/schedule/preview",
              "{\"schedule\": \"@daily\", \"timezone\": " + v + "}",
              400,
              "timezone"));
      rows.add(post("POST tokens: name = " + v, "/tokens", "{\"name\": " + v + "}", 400, "name"));
      rows.add(
          post(
              "POST tokens: role = " + v,
              "/tokens",
              "{\"name\": \"t\", \"role\": " + v + "}",
              400,
              "role"));
    }
    for (String v : List.of("\"5\"", "5.5", "true", "99999999999")) {
      rows.add(
          post(
              "preview: count = " + v,
              "/schedule/preview",
              "{\"schedule\": \"@daily\", \"count\": " + v + "}",
              400,
              "count"));
    }
  }

  /** Text that could not be stored or passed on, and text past every limit. */
  private static void unstorableAndOversizedText(List<Row> rows) {
    String nul = "a\u0000b";
    List<Object[]> cases = new ArrayList<>();
    cases.add(new Object[] {"name", with(job(), "name", nul), "name"});
    cases.add(new Object[] {"description", with(job(), "description", nul), "description"});
    cases.add(new Object[] {"label key", with(job(), "labels." + nul, "x"), "labels"});
    cases.add(new Object[] {"label value", with(job(), "labels.team", nul), "labels.team"});
    cases.add(new Object[] {"schedule", with(job(), "schedule", "@daily" + nul), "schedule"});
    cases.add(new Object[] {"timezone", with(job(), "timezone", "UTC" + nul), "timezone"});
    cases.add(new Object[] {"shell.command", shellJob("command", nul), "shell.command"});
    cases.add(new Object[] {"env key", shellJob("env." + nul, "x"), "shell.env"});
    cases.add(new Object[] {"env value", shellJob("env.A", nul), "shell.env.A"});
    cases.add(
        new Object[] {"workingDir", shellJob("workingDir", "/tmp" + nul), "shell.workingDir"});
    cases.add(new Object[] {"http.method", httpJob("method", "GET" + nul), "http.method"});
    cases.add(new Object[] {"http.url", httpJob("url", "http://example.com/" + nul), "http.url"});
    cases.add(new Object[] {"header name", httpJob("headers." + nul, "x"), "http.headers"});
    cases.add(new Object[] {"header value", httpJob("headers.X-A", nul), "http.headers.X-A"});
    cases.add(new Object[] {"http.body", httpJob("body", nul), "http.body"});
    for (Object[] c : cases) {
      rows.add(post("NUL in " + c[0], "/jobs", c[1].toString(), 400, (String) c[2]));
    }
    // Jackson would write a lone surrogate as is, and UTF-8 has no form for it: escape it by hand.
    rows.add(
        post(
            "unpaired surrogate in shell.command",
            "/jobs",
            "{\"name\": \"s\", \"schedule\": \"@daily\", \"shell\": {\"command\": \"x\\ud800y\"}}",
            400,
            "shell.command"));
    rows.add(
        post(
            "unpaired surrogate in a label",
            "/jobs",
            "{\"name\": \"s\", \"schedule\": \"@daily\", \"noop\": {}, \"labels\": {\"a\": \"\\udc00\"}}",
            400,
            "labels.a"));
    rows.add(
        post(
            "NUL in a token name",
            "/tokens",
            "{\"name\": \"a\\u0000b\", \"role\": \"admin\"}",
            400,
            "name"));
    rows.add(
        post(
            "NUL in a preview's schedule",
            "/schedule/preview",
            "{\"schedule\": \"@daily\\u0000\"}",
            400,
            "schedule"));

    List<Object[]> big = new ArrayList<>();
    big.add(
        new Object[] {"description", with(job(), "description", "d".repeat(2001)), "description"});
    big.add(
        new Object[] {"label value", with(job(), "labels.team", "v".repeat(201)), "labels.team"});
    big.add(new Object[] {"label key", with(job(), "labels." + "k".repeat(101), "v"), "labels"});
    big.add(
        new Object[] {
          "schedule", with(job(), "schedule", "0 0 * * *" + " ".repeat(300)), "schedule"
        });
    big.add(
        new Object[] {
          "shell.command", shellJob("command", "c".repeat(32 * 1024 + 1)), "shell.command"
        });
    big.add(
        new Object[] {"env value", shellJob("env.A", "v".repeat(32 * 1024 + 1)), "shell.env.A"});
    big.add(new Object[] {"env name", shellJob("env." + "N".repeat(257), "v"), "shell.env"});
    big.add(
        new Object[] {
          "workingDir", shellJob("workingDir", "/" + "d".repeat(4096)), "shell.workingDir"
        });
    big.add(
        new Object[] {
          "http.url", httpJob("url", "http://example.com/" + "u".repeat(8192)), "http.url"
        });
    big.add(
        new Object[] {
          "header value", httpJob("headers.X-A", "h".repeat(8193)), "http.headers.X-A"
        });
    big.add(new Object[] {"http.body", httpJob("body", "b".repeat(64 * 1024 + 1)), "http.body"});
    ObjectNode manyEnv = shellJob("command", "env");
    for (int i = 0; i <= 100; i++)
      ((ObjectNode) manyEnv.get("shell")).with("env").put("V" + i, "x");
    big.add(new Object[] {"101 env variables", manyEnv, "shell.env"});
    ObjectNode manyHeaders = httpJob("method", "GET");
    for (int i = 0; i <= 100; i++) {
      ((ObjectNode) manyHeaders.get("http")).with("headers").put("X-" + i, "x");
    }
    big.add(new Object[] {"101 headers", manyHeaders, "http.headers"});
    ObjectNode manyLabels = job();
    for (int i = 0; i <= 64; i++) manyLabels.with("labels").put("l" + i, "x");
    big.add(new Object[] {"65 labels", manyLabels, "labels"});
    ObjectNode manyCodes = httpJob("method", "GET");
    ArrayNode codes = ((ObjectNode) manyCodes.get("http")).putArray("expectStatus");
    for (int i = 0; i <= 100; i++) codes.add(200);
    big.add(new Object[] {"101 expected codes", manyCodes, "http.expectStatus"});
    // Each part within its limit, together over what one cluster message and one exec can carry.
    ObjectNode wide = shellJob("command", "\u20ac".repeat(32 * 1024));
    ((ObjectNode) wide.get("shell")).with("env").put("A", "v".repeat(32 * 1024));
    big.add(new Object[] {"the job as a whole", wide, null});
    for (Object[] c : big) {
      rows.add(post("over-long " + c[0], "/jobs", c[1].toString(), 400, (String) c[2]));
    }

    List<Object[]> invalid = new ArrayList<>();
    invalid.add(new Object[] {"env name with '='", shellJob("env.A=B", "1"), "shell.env"});
    invalid.add(new Object[] {"empty env name", shellJob("env.", "1"), "shell.env"});
    invalid.add(new Object[] {"null env value", shellJob("env.A", null), "shell.env.A"});
    invalid.add(new Object[] {"blank workingDir", shellJob("workingDir", " "), "shell.workingDir"});
    invalid.add(
        new Object[] {"header name with a space", httpJob("headers.X A", "1"), "http.headers"});
    invalid.add(
        new Object[] {
          "header value with CR LF", httpJob("headers.X-A", "a\r\nX-B: c"), "http.headers.X-A"
        });
    invalid.add(
        new Object[] {"null header value", httpJob("headers.X-A", null), "http.headers.X-A"});
    invalid.add(
        new Object[] {
          "bad Content-Type header",
          httpJob("headers.Content-Type", "not a type"),
          "http.headers.Content-Type"
        });
    invalid.add(new Object[] {"null label value", with(job(), "labels.team", null), "labels.team"});
    invalid.add(
        new Object[] {
          "null expected code",
          with(httpJob("method", "GET"), "http.expectStatus[0]", null),
          "http.expectStatus"
        });
    invalid.add(new Object[] {"url without host", httpJob("url", "http:///path"), "http.url"});
    invalid.add(new Object[] {"ftp url", httpJob("url", "ftp://example.com/"), "http.url"});
    invalid.add(new Object[] {"method CONNECT", httpJob("method", "CONNECT"), "http.method"});
    invalid.add(
        new Object[] {
          "catch-up window of 400 days", with(job(), "catchUp.window", "P400D"), "catchUp.window"
        });
    invalid.add(
        new Object[] {
          "backoff of 10^9 hours", with(job(), "retry.backoff", "PT999999999H"), "retry.backoff"
        });
    invalid.add(
        new Object[] {
          "negative maxBackoff", with(job(), "retry.maxBackoff", "-PT1S"), "retry.maxBackoff"
        });
    invalid.add(
        new Object[] {
          "NaN-like multiplier", with(job(), "retry.multiplier", 1e308), "retry.multiplier"
        });
    invalid.add(new Object[] {"overlap of NUL", with(job(), "overlap", "\u0000"), "overlap"});
    invalid.add(
        new Object[] {
          "schedule that never fires", with(job(), "schedule", "0 0 30 2 *"), "schedule"
        });
    invalid.add(
        new Object[] {
          "schedule of a past year", with(job(), "schedule", "0 0 0 1 1 ? 2020"), "schedule"
        });
    invalid.add(
        new Object[] {
          "interval that overflows", with(job(), "schedule", "@every 9999999999999999h"), "schedule"
        });
    invalid.add(new Object[] {"unknown macro", with(job(), "schedule", "@sometimes"), "schedule"});
    invalid.add(new Object[] {"name with a slash", with(job(), "name", "a/b"), "name"});
    invalid.add(new Object[] {"name '..'", with(job(), "name", ".."), "name"});
    invalid.add(
        new Object[] {"name of 101 characters", with(job(), "name", "n".repeat(101)), "name"});
    for (Object[] c : invalid) {
      rows.add(post("POST jobs: " + c[0], "/jobs", c[1].toString(), 400, (String) c[2]));
    }
    for (String schedule : List.of("0 0 30 2 *", "0 0 0 1 1 ? 2020", "@every 9999999999999999h")) {
      rows.add(
          post(
              "preview: " + schedule,
              "/schedule/preview",
              "{\"schedule\": \"" + schedule + "\"}",
              400,
              "schedule"));
    }
  }

  private static void otherWriteRoutes(List<Row> rows) {
    rows.add(
        put("PUT job: name differs from the URL", "/jobs/victim", job().toString(), 400, "name"));
    rows.add(
        put(
            "PUT job: invalid name in the URL",
            "/jobs/Bad%20Name",
            "{\"schedule\": \"@daily\", \"noop\": {}}",
            400,
            "name"));
    rows.add(
        put(
            "PUT job: unknown job",
            "/jobs/nope",
            with(job(), "name", "nope").toString(),
            404,
            null));
    for (String action : List.of("pause", "resume", "trigger")) {
      rows.add(
          post(action + ": unknown job, body null", "/jobs/nope/" + action, "null", 404, null));
      rows.add(post(action + ": invalid name", "/jobs/Bad%20Name/" + action, null, 404, null));
      rows.add(post(action + ": name '-x'", "/jobs/-x/" + action, null, 404, null));
      rows.add(post(action + ": NUL in the name", "/jobs/a%00b/" + action, null, 400, "path"));
      rows.add(raw(action + ": GET", "GET", "/jobs/victim/" + action, 405, null));
    }
    rows.add(raw("DELETE job: unknown", "DELETE", "/jobs/nope", 404, null));
    rows.add(raw("DELETE job: invalid name", "DELETE", "/jobs/UPPER", 404, null));
    rows.add(raw("DELETE job: NUL in the name", "DELETE", "/jobs/%00", 400, "path"));
    rows.add(raw("DELETE jobs: no name", "DELETE", "/jobs", 405, null));
    rows.add(post("kill: unknown run", "/runs/nope/kill", "null", 404, null));
    rows.add(post("kill: NUL in the id", "/runs/a%00/kill", null, 400, "path"));
    rows.add(raw("kill: GET", "GET", "/runs/nope/kill", 405, null));
    rows.add(raw("DELETE token: unknown", "DELETE", "/tokens/nope", 404, null));
    rows.add(raw("DELETE token: NUL in the id", "DELETE", "/tokens/%00", 400, "path"));
    rows.add(
        post(
            "POST tokens: unknown role",
            "/tokens",
            "{\"name\": \"t\", \"role\": \"god\"}",
            400,
            "role"));
    rows.add(
        post(
            "POST tokens: name of 201 characters",
            "/tokens",
            "{\"name\": \"" + "t".repeat(201) + "\", \"role\": \"admin\"}",
            400,
            "name"));
    rows.add(post("apply: no owner", "/apply", "{\"jobs\": []}", 400, "managedBy"));
    rows.add(
        post(
            "apply: owner with a space",
            "/apply",
            "{\"jobs\": [], \"managedBy\": \"a b\"}",
            400,
            "managedBy"));
    rows.add(
        post(
            "apply: jobs not a list",
            "/apply",
            "{\"jobs\": {}, \"managedBy\": \"x\"}",
            400,
            "jobs"));
    rows.add(
        post(
            "apply: prune a number",
            "/apply",
            "{\"jobs\": [], \"managedBy\": \"x\", \"prune\": 1}",
            400,
            "prune"));
    rows.add(
        post(
            "apply: a job of the wrong type",
            "/apply",
            "{\"jobs\": [1], \"managedBy\": \"x\"}",
            400,
            "jobs[0]"));
    rows.add(raw("GET apply", "GET", "/apply", 405, null));
    rows.add(raw("DELETE preview", "DELETE", "/schedule/preview", 405, null));
    rows.add(raw("GET preview", "GET", "/schedule/preview", 405, null));
    rows.add(raw("PATCH job", "PATCH", "/jobs/victim", 405, null));
    rows.add(raw("PUT jobs", "PUT", "/jobs", 405, null));
    rows.add(raw("OPTIONS jobs", "OPTIONS", "/jobs", 405, null));
  }

  private static void hostileHeaders(List<Row> rows) {
    String body = job().toString();
    for (String type :
        List.of(
            "text/plain",
            "text/plain; charset=UTF-8",
            "application/xml",
            "multipart/form-data; boundary=x",
            "image/png",
            "garbage",
            "application/json/extra")) {
      rows.add(
          new Row(
              "POST jobs as " + type,
              request("POST", V1 + "/jobs", type, body),
              415,
              "Content-Type"));
    }
    for (String type : List.of("text/plain", "garbage")) {
      rows.add(
          new Row(
              "preview as " + type,
              request("POST", V1 + "/schedule/preview", type, "{\"schedule\": \"@daily\"}"),
              415,
              "Content-Type"));
      rows.add(
          new Row(
              "POST tokens as " + type,
              request("POST", V1 + "/tokens", type, "{\"name\": \"t\", \"role\": \"admin\"}"),
              415,
              "Content-Type"));
      rows.add(
          new Row(
              "PUT job as " + type,
              request("PUT", V1 + "/jobs/victim", type, VICTIM),
              415,
              "Content-Type"));
    }
    rows.add(
        new Row(
            "POST jobs without Content-Type, body null",
            request("POST", V1 + "/jobs", null, "null"),
            400,
            "body"));
    rows.add(
        rawBytes(
            "Content-Length past 63 bits",
            "POST "
                + V1
                + "/jobs HTTP/1.1"
                + CLOSE
                + "Content-Type: application/json\r\nContent-Length: 99999999999999999999999\r\n\r\n{}",
            400,
            null));
    rows.add(
        rawBytes(
            "negative Content-Length",
            "POST " + V1 + "/jobs HTTP/1.1" + CLOSE + "Content-Length: -1\r\n\r\n{}",
            400,
            null));
    rows.add(
        rawBytes(
            "Content-Length of a terabyte, 2 bytes sent",
            "POST "
                + V1
                + "/jobs HTTP/1.1"
                + CLOSE
                + "Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{}",
            413,
            "body"));
    rows.add(
        rawBytes(
            "Content-Length of a terabyte on a token",
            "POST "
                + V1
                + "/tokens HTTP/1.1"
                + CLOSE
                + "Content-Type: application/json\r\nContent-Length: 999999999999\r\n\r\n{}",
            413,
            "body"));
    rows.add(
        rawBytes(
            "two Content-Lengths",
            "POST "
                + V1
                + "/jobs HTTP/1.1"
                + CLOSE
                + "Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}",
            400,
            null));
    rows.add(
        rawBytes(
            "chunk of 2^40 bytes",
            "POST "
                + V1
                + "/jobs HTTP/1.1"
                + CLOSE
                + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFF\r\n{}",
            400,
            "body"));
    rows.add(
        rawBytes(
            "header value over 8 KiB",
            "GET " + V1 + "/jobs HTTP/1.1" + CLOSE + "X-A: " + "a".repeat(9000) + "\r\n\r\n",
            431,
            null));
    StringBuilder many = new StringBuilder("GET " + V1 + "/jobs HTTP/1.1" + CLOSE);
    for (int i = 0; i < 100; i++) many.append("X-").append(i).append(": a\r\n");
    rows.add(rawBytes("100 headers", many.append("\r\n").toString(), 400, null));
    rows.add(
        rawBytes("unknown method", "BREW " + V1 + "/jobs HTTP/1.1" + CLOSE + "\r\n", 400, null));
    rows.add(rawBytes("HTTP/3.7", "GET " + V1 + "/jobs HTTP/3.7" + CLOSE + "\r\n", 400, null));
    rows.add(
        rawBytes(
            "no Host on HTTP/1.1",
            "GET " + V1 + "/jobs HTTP/1.1\r\nConnection: close\r\n\r\n",
            400,
            null));
  }

  private static void hostilePaths(List<Row> rows) {
    rows.add(raw("URI of 5000 characters", "GET", "/jobs/" + "a".repeat(5000), 414, null));
    rows.add(
        post(
            "POST to a URI of 5000 characters",
            "/jobs?x=" + "a".repeat(5000),
            job().toString(),
            414,
            null));
    rows.add(raw("percent junk in a path", "GET", "/jobs/%ZZ", 400, null));
    rows.add(raw("a lone percent", "GET", "/jobs/100%", 400, null));
    rows.add(raw("NUL in a job name", "GET", "/jobs/%00", 400, "path"));
    rows.add(raw("NUL in a run id", "GET", "/runs/a%00b", 400, "path"));
    rows.add(raw("invalid UTF-8 in a path", "GET", "/jobs/%C3%28", 404, null));
    rows.add(raw("encoded dot segments", "GET", "/jobs/..%2F..%2Fetc/runs", 404, null));
    rows.add(raw("dot segment as a name", "GET", "/jobs/../jobs/../nope", 404, null));
    rows.add(raw("dot segments out of the API", "GET", "/../../../etc/passwd", 404, null));
    rows.add(raw("invalid name", "GET", "/jobs/Bad%20Name", 404, null));
    rows.add(raw("runs of an invalid name", "GET", "/jobs/Bad%20Name/runs", 404, null));
    rows.add(
        raw(
            "runs of a 101-character name",
            "GET",
            "/jobs/" + "n".repeat(101) + "/runs",
            404,
            null));
    rows.add(raw("unknown route", "GET", "/nope", 404, null));
    rows.add(raw("unknown job sub-route", "POST", "/jobs/victim/explode", 404, null));
    rows.add(
        rawBytes("unknown API version", "GET /api/v2/jobs HTTP/1.1" + CLOSE + "\r\n", 404, null));
    rows.add(rawBytes("bare /api", "GET /api HTTP/1.1" + CLOSE + "\r\n", 404, null));
    rows.add(rawBytes("unknown console file", "GET /nope.js HTTP/1.1" + CLOSE + "\r\n", 404, null));
    rows.add(
        rawBytes(
            "absolute-form to another host",
            "GET http://evil.example/api/v1/jobs/nope HTTP/1.1" + CLOSE + "\r\n",
            400,
            null));
  }

  private static void hostileQueries(List<Row> rows) {
    for (String list : List.of("/jobs", "/jobs/victim/runs", "/audit")) {
      for (String limit : List.of("abc", "0", "-1", "99999999999", "", "1.5", "0x10", "501")) {
        rows.add(
            raw("GET " + list + "?limit=" + limit, "GET", list + "?limit=" + limit, 400, "limit"));
      }
      rows.add(raw("GET " + list + " with NUL in a parameter", "GET", list + "?x=%00", 400, "x"));
      rows.add(raw("GET " + list + " with percent junk", "GET", list + "?limit=%ZZ", 400, null));
    }
    for (String cursor : List.of("garbage", "", "AAAA", "%FF%FE", "bm90IGEgY3Vyc29y", "=")) {
      rows.add(
          raw("runs?cursor=" + cursor, "GET", "/jobs/victim/runs?cursor=" + cursor, 400, "cursor"));
    }
    rows.add(raw("jobs?label=nokey", "GET", "/jobs?label=nokey", 400, "label"));
    rows.add(raw("jobs?label==v", "GET", "/jobs?label==v", 400, "label"));
    rows.add(raw("jobs?after=NUL", "GET", "/jobs?after=%00", 400, "after"));
    rows.add(raw("audit?before=x", "GET", "/audit?before=x", 400, "before"));
    rows.add(
        raw(
            "audit?before=99999999999999999999",
            "GET",
            "/audit?before=99999999999999999999",
            400,
            "before"));
    rows.add(raw("audit?job=NUL", "GET", "/audit?job=%00", 400, "job"));
    rows.add(raw("output?follow=maybe", "GET", "/runs/nope/output?follow=maybe", 400, "follow"));
  }

  // ---------------------------------------------------------------------------------------------
  // Building requests

  private static ObjectNode job() {
    ObjectNode job = JSON.createObjectNode().put("name", "hostile").put("schedule", "@daily");
    job.putObject("noop");
    return job;
  }

  private static ObjectNode shellJob(String path, Object value) {
    ObjectNode job = job();
    job.remove("noop");
    job.putObject("shell").put("command", "echo hi");
    return with(job, "shell." + path, value);
  }

  private static ObjectNode httpJob(String path, Object value) {
    ObjectNode job = job();
    job.remove("noop");
    job.putObject("http").put("url", "http://127.0.0.1:1/");
    return with(job, "http." + path, value);
  }

  /**
   * Sets {@code path} ({@code a.b} or {@code a.b[0]}; the last key may hold any character but '.')
   * to {@code value}, creating objects on the way.
   */
  private static ObjectNode with(ObjectNode job, String path, Object value) {
    String[] keys = path.split("\\.", -1);
    ObjectNode at = job;
    for (int i = 0; i < keys.length - 1; i++) {
      at = at.get(keys[i]) instanceof ObjectNode o ? o : at.putObject(keys[i]);
    }
    String last = keys[keys.length - 1];
    if (last.endsWith("[0]")) {
      at.putArray(last.substring(0, last.length() - 3)).add(JSON.valueToTree(value));
    } else {
      at.set(last, JSON.valueToTree(value));
    }
    return job;
  }

  private static Row post(String name, String path, String body, int status, String field) {
    return new Row(name, request("POST", V1 + path, JSON_TYPE, body), status, field);
  }

  private static Row put(String name, String path, String body, int status, String field) {
    return new Row(name, request("PUT", V1 + path, JSON_TYPE, body), status, field);
  }

  private static Row raw(String name, String method, String path, int status, String field) {
    return new Row(name, request(method, V1 + path, null, (byte[]) null), status, field);
  }

  private static byte[] get(String path) {
    return request("GET", V1 + path, null, (byte[]) null);
  }

  private static Row rawBytes(String name, String request, int status, String field) {
    return new Row(name, request.getBytes(StandardCharsets.UTF_8), status, field);
  }

  private static byte[] request(String method, String target, String contentType, String body) {
    return request(
        method, target, contentType, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] request(String method, String target, String contentType, byte[] body) {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    head.append("Host: localhost\r\nConnection: close\r\n");
    if (contentType != null) head.append("Content-Type: ").append(contentType).append("\r\n");
    if (body != null) head.append("Content-Length: ").append(body.length).append("\r\n");
    head.append("\r\n");
    return concat(
        head.toString().getBytes(StandardCharsets.UTF_8), body == null ? new byte[0] : body);
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) out.writeBytes(p);
    return out.toByteArray();
  }

  private static List<String> fieldNames(JsonNode node) {
    List<String> names = new ArrayList<>();
    node.fieldNames().forEachRemaining(names::add);
    return names;
  }

  // ---------------------------------------------------------------------------------------------
  // Sending

  record Reply(int status, String contentType, String body) {
    @Override
    public String toString() {
      return status
          + " "
          + contentType
          + " "
          + (body.length() > 300 ? body.substring(0, 300) : body);
    }
  }

  /**
   * Writes the bytes and reads the answer to the end (each request says {@code Connection: close}).
   * The writing runs beside the reading: the node may answer, and close, before a large body is all
   * sent.
   */
  private static Reply send(byte[] request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      OutputStream out = s.getOutputStream();
      CompletableFuture<Void> writing =
          CompletableFuture.runAsync(
              () -> {
                try {
                  out.write(request);
                  out.flush();
                } catch (IOException e) {
                  // the node stopped reading: it has answered already
                }
              });
      byte[] response = readAll(s.getInputStream());
      writing.get(20, TimeUnit.SECONDS);
      return parse(new String(response, StandardCharsets.UTF_8));
    }
  }

  private static byte[] readAll(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) > 0; ) out.write(buffer, 0, n);
    } catch (IOException e) {
      // A reset after the whole answer arrived (the node closed with our body unread) is fine.
      if (out.size() == 0) throw e;
    }
    return out.toByteArray();
  }

  private static Reply parse(String response) {
    int end = response.indexOf("\r\n\r\n");
    assertThat(end).as("an HTTP response: " + response).isPositive();
    String[] head = response.substring(0, end).split("\r\n");
    int status = Integer.parseInt(head[0].split(" ")[1]);
    String type = "";
    for (String h : head) {
      if (h.toLowerCase(Locale.ROOT).startsWith("content-type:")) type = h.substring(13).trim();
    }
    return new Reply(status, type, response.substring(end + 4));
  }
}
