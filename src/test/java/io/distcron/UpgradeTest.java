package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distcron.TestDatabases.OnBoth;
import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import java.util.stream.StreamSupport;
import java.util.zip.GZIPInputStream;

/**
 * A database written by an earlier version of distcron starts under this one with its jobs, their
 * schedules, pause states and run history, and its schedules keep ticking.
 *
 * <p>The databases under {@code src/test/resources/upgrade/} were written by that version's jar,
 * run by {@code make-fixture.sh} there: jobs of every kind and policy, edited, paused, disabled,
 * deleted and re-created; a per-second job with snapshots and a compacted journal; failed, retried,
 * timed-out, killed and manual runs. Next to each, {@code expected.json} holds what that version's
 * API showed just before it was stopped with SIGTERM.
 */
class UpgradeTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fields of a job that are its definition (the rest is derived or changes as it runs). */
  private static final List<String> SPEC_FIELDS =
      List.of(
          "name",
          "description",
          "labels",
          "schedule",
          "timezone",
          "shell",
          "http",
          "noop",
          "timeoutSeconds",
          "enabled",
          "overlap",
          "catchUp",
          "retry");

  private static final List<String> RUN_FIELDS =
      List.of("id", "job", "node", "attempt", "reason", "status", "exitCode", "message");
  private static final List<String> RUN_TIMES =
      List.of("scheduledAt", "firedAt", "startedAt", "finishedAt");
  private static final Set<String> UNFINISHED = Set.of("PENDING", "RUNNING");

  private static final String PER_SECOND_JOB = "tick-noop";
  private static final String SHELL_JOB = "shell-echo";
  private static final String PAUSED_JOB = "paused-job";
  private static final String DISABLED_JOB = "disabled-job";

  @OnBoth
  void aDatabaseOfTheEarlierVersionStartsWithItsJobsAndRuns(String db) throws Exception {
    JsonNode expected = resourceJson("/upgrade/" + db + "/expected.json");
    Map<String, Object> config = new HashMap<>(db.equals("h2") ? h2Fixture() : postgresFixture());
    // The fixture's runs are older than the retention's 30 days once it is a month old.
    config.put("distcron.retention.max-age", "36500d");
    config.put("distcron.retention.max-runs-per-job", 1_000_000);

    try (Node node = TestNodes.start(config, Map.of())) {
      long started = System.nanoTime();
      ApiClient api = new ApiClient(node.apiUrl());

      Map<String, JsonNode> jobs = byName(expected.get("jobs"));
      assertJobs(api, jobs);
      for (JsonNode absent : expected.get("absent")) {
        assertThat(api.get("/jobs/" + absent.asText()).status()).as(absent.asText()).isEqualTo(404);
      }
      expected
          .get("labelQueries")
          .fields()
          .forEachRemaining(
              q ->
                  assertThat(names(api.get("/jobs?limit=500&label=" + encode(q.getKey())).json()))
                      .as("jobs labelled " + q.getKey())
                      .containsExactlyInAnyOrderElementsOf(texts(q.getValue())));

      Map<String, List<JsonNode>> oldRuns = new LinkedHashMap<>();
      expected
          .get("runs")
          .fields()
          .forEachRemaining(e -> oldRuns.put(e.getKey(), list(e.getValue())));
      oldRuns.forEach((job, runs) -> assertRunsKept(api, job, runs));
      for (JsonNode output : expected.get("outputs")) {
        ApiClient.Response text = api.get("/runs/" + output.get("id").asText() + "/output");
        assertThat(text.status()).isEqualTo(200);
        assertThat(text.body()).isEqualTo(output.get("output").asText());
      }

      // Within 10 s (20 s for the job every 10 s) of the node's start, not of this line.
      Duration since = Duration.ofNanos(System.nanoTime() - started);
      awaitNewRun(
          api, PER_SECOND_JOB, oldRuns.get(PER_SECOND_JOB), Duration.ofSeconds(10).minus(since));
      since = Duration.ofNanos(System.nanoTime() - started);
      awaitNewRun(api, SHELL_JOB, oldRuns.get(SHELL_JOB), Duration.ofSeconds(20).minus(since));
      for (String still : List.of(PAUSED_JOB, DISABLED_JOB)) {
        assertThat(ids(allRuns(api, still)))
            .as("runs of " + still + ", which must not run")
            .containsExactlyInAnyOrderElementsOf(ids(oldRuns.get(still)));
      }
    }
  }

  /** Every job with its definition and pause state, one by one and in the list, and no other. */
  private static void assertJobs(ApiClient api, Map<String, JsonNode> jobs) {
    JsonNode list = api.get("/jobs?limit=500").json();
    assertThat(names(list)).containsExactlyInAnyOrderElementsOf(jobs.keySet());
    for (JsonNode listed : list.get("items")) {
      JsonNode old = jobs.get(listed.get("name").asText());
      assertThat(spec(listed)).as("listed " + old.get("name")).isEqualTo(spec(old));
      assertThat(listed.get("status")).as("listed " + old.get("name")).isEqualTo(old.get("status"));
    }
    for (JsonNode old : jobs.values()) {
      String name = old.get("name").asText();
      ApiClient.Response get = api.get("/jobs/" + name);
      assertThat(get.status()).as(name).isEqualTo(200);
      assertThat(spec(get.json())).as(name).isEqualTo(spec(old));
      assertThat(get.json().get("status")).as(name).isEqualTo(old.get("status"));
    }
    assertThat(jobs.get(PAUSED_JOB).get("status").asText()).isEqualTo("PAUSED");
    assertThat(jobs.get(DISABLED_JOB).get("enabled").asBoolean()).isFalse();
    for (String idle : List.of(PAUSED_JOB, DISABLED_JOB)) {
      assertThat(api.get("/jobs/" + idle).json().get("nextFireTimes")).as(idle).isEmpty();
    }
  }

  /**
   * The runs that had finished before the stop are listed as they were; those still going then are
   * listed too, in whatever state they have reached. None twice.
   */
  private static void assertRunsKept(ApiClient api, String job, List<JsonNode> old) {
    List<JsonNode> now = allRuns(api, job);
    assertThat(ids(now)).as("run ids of " + job).doesNotHaveDuplicates().containsAll(ids(old));
    Map<String, JsonNode> byId = new HashMap<>();
    now.forEach(r -> byId.put(r.get("id").asText(), r));
    for (JsonNode run : old) {
      if (UNFINISHED.contains(run.get("status").asText())) continue;
      assertThat(runFacts(byId.get(run.get("id").asText())))
          .as("run " + run.get("id") + " of " + job)
          .isEqualTo(runFacts(run));
    }
  }

  /** A run of {@code job} the fixture did not have, SUCCEEDED on its schedule or as a catch-up. */
  private static void awaitNewRun(ApiClient api, String job, List<JsonNode> old, Duration timeout) {
    Set<String> oldIds = Set.copyOf(ids(old));
    Predicate<JsonNode> fresh =
        r ->
            !oldIds.contains(r.get("id").asText())
                && Set.of("SCHEDULE", "CATCHUP").contains(r.get("reason").asText())
                && r.get("status").asText().equals("SUCCEEDED");
    Await.until(
        timeout,
        "a new SUCCEEDED run of " + job,
        () ->
            list(api.get("/jobs/" + job + "/runs?limit=20").json().get("items")).stream()
                .anyMatch(fresh));
  }

  // ---- fixtures

  /** The H2 file, unpacked into a data directory of its own. */
  private static Map<String, Object> h2Fixture() throws IOException {
    String url = TestDatabases.h2Url(TestDatabases.uniqueName("upgrade"));
    // jdbc:h2:file:<path without .mv.db>;options
    Path base = Path.of(url.substring("jdbc:h2:file:".length(), url.indexOf(';')));
    try (InputStream in = gunzip("/upgrade/h2/distcron.mv.db.gz")) {
      Files.copy(in, Path.of(base + ".mv.db"));
    }
    return Map.of("distcron.db.url", url, "distcron.db.user", "sa", "distcron.db.password", "");
  }

  /** The dump, loaded into a schema of its own (its name replaces the dump's placeholder). */
  private static Map<String, Object> postgresFixture() throws IOException, SQLException {
    String schema = TestDatabases.uniqueName("upgrade");
    String url = TestDatabases.postgresUrl(schema);
    String sql;
    try (InputStream in = gunzip("/upgrade/postgres/fixture.sql.gz")) {
      sql = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("__SCHEMA__", schema);
    }
    try (Connection c = DriverManager.getConnection(url, TestDatabases.POSTGRES_USER, "");
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
    return Map.of(
        "distcron.db.url",
        url,
        "distcron.db.user",
        TestDatabases.POSTGRES_USER,
        "distcron.db.password",
        "");
  }

  private static InputStream gunzip(String resource) throws IOException {
    InputStream in = UpgradeTest.class.getResourceAsStream(resource);
    if (in == null) throw new IllegalStateException("no test resource " + resource);
    return new GZIPInputStream(in);
  }

  private static JsonNode resourceJson(String resource) throws IOException {
    try (InputStream in = UpgradeTest.class.getResourceAsStream(resource)) {
      if (in == null) throw new IllegalStateException("no test resource " + resource);
      return JSON.readTree(in);
    }
  }

  // ---- reading the API

  /** Every run of a job, following the cursor. */
  private static List<JsonNode> allRuns(ApiClient api, String job) {
    List<JsonNode> runs = new ArrayList<>();
    String cursor = null;
    do {
      ApiClient.Response page =
          api.get(
              "/jobs/"
                  + job
                  + "/runs?limit=500"
                  + (cursor == null ? "" : "&cursor=" + encode(cursor)));
      assertThat(page.status()).as("runs of " + job).isEqualTo(200);
      runs.addAll(list(page.json().get("items")));
      JsonNode next = page.json().get("next");
      cursor = next == null || next.isNull() ? null : next.asText();
    } while (cursor != null);
    return runs;
  }

  /** The definition's fields, {@link #normalized}. */
  private static JsonNode spec(JsonNode job) {
    ObjectNode spec = JSON.createObjectNode();
    for (String field : SPEC_FIELDS) {
      JsonNode value = normalized(job.get(field));
      if (value != null) spec.set(field, value);
    }
    return spec;
  }

  /** What a finished run's record says: times compared as instants, whatever their format. */
  private static Map<String, Object> runFacts(JsonNode run) {
    if (run == null) return null;
    Map<String, Object> facts = new LinkedHashMap<>();
    for (String field : RUN_FIELDS) facts.put(field, normalized(run.get(field)));
    for (String field : RUN_TIMES) {
      JsonNode t = run.get(field);
      facts.put(field, t == null || t.isNull() ? null : Instant.parse(t.asText()));
    }
    return facts;
  }

  /**
   * Null fields left out and numbers by value: {@code 2.0} is {@code 2} (jq, which wrote the
   * fixture's JSON, writes it so).
   */
  private static JsonNode normalized(JsonNode node) {
    if (node == null || node.isNull()) return null;
    if (node.isNumber()) return DecimalNode.valueOf(node.decimalValue().stripTrailingZeros());
    if (node.isArray()) {
      ArrayNode copy = JSON.createArrayNode();
      node.forEach(e -> copy.add(normalized(e)));
      return copy;
    }
    if (!node.isObject()) return node;
    ObjectNode copy = JSON.createObjectNode();
    node.fields()
        .forEachRemaining(
            f -> {
              JsonNode value = normalized(f.getValue());
              if (value != null) copy.set(f.getKey(), value);
            });
    return copy;
  }

  private static Map<String, JsonNode> byName(JsonNode jobs) {
    Map<String, JsonNode> byName = new LinkedHashMap<>();
    jobs.forEach(j -> byName.put(j.get("name").asText(), j));
    return byName;
  }

  private static List<String> names(JsonNode page) {
    return list(page.get("items")).stream().map(j -> j.get("name").asText()).toList();
  }

  private static List<String> ids(List<JsonNode> runs) {
    return runs.stream().map(r -> r.get("id").asText()).toList();
  }

  private static List<String> texts(JsonNode array) {
    return list(array).stream().map(JsonNode::asText).toList();
  }

  private static List<JsonNode> list(JsonNode array) {
    return StreamSupport.stream(array.spliterator(), false).toList();
  }

  private static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
