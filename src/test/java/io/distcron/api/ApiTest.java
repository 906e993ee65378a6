package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every endpoint's happy path and every 4xx, against a really bound node. */
class ApiTest {
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "api"), Map.of());
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String job(String name, String schedule) {
    return """
        {"name": "%s", "description": "d", "labels": {"team": "ops"}, "schedule": "%s",
         "timezone": "Europe/Berlin", "shell": {"command": "echo hi", "env": {"A": "1"}}, "timeoutSeconds": 30}
        """
        .formatted(name, schedule);
  }

  @Test
  void createGetReplaceDelete() {
    ApiClient.Response created = api.post("/jobs", job("crud", "0 5 * * *"));
    assertThat(created.status()).isEqualTo(201);
    JsonNode body = created.json();
    assertThat(body.get("name").asText()).isEqualTo("crud");
    assertThat(body.get("status").asText()).isEqualTo("ACTIVE");
    assertThat(body.get("timezone").asText()).isEqualTo("Europe/Berlin");
    assertThat(body.get("shell").get("command").asText()).isEqualTo("echo hi");
    assertThat(body.get("nextFireTimes")).hasSize(5);
    var firstFire =
        java.time.Instant.parse(body.get("nextFireTimes").get(0).asText())
            .atZone(java.time.ZoneId.of("Europe/Berlin"));
    assertThat(firstFire.getHour()).isEqualTo(5);
    assertThat(firstFire.getMinute()).isZero();

    assertThat(api.post("/jobs", job("crud", "0 5 * * *")).status()).isEqualTo(409);

    ApiClient.Response got = api.get("/jobs/crud");
    assertThat(got.status()).isEqualTo(200);
    assertThat(got.json().get("labels").get("team").asText()).isEqualTo("ops");

    ApiClient.Response replaced = api.put("/jobs/crud", job("crud", "0 6 * * *"));
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.json().get("schedule").asText()).isEqualTo("0 6 * * *");
    assertThat(api.put("/jobs/nope", job("nope", "0 6 * * *")).status()).isEqualTo(404);

    assertThat(api.delete("/jobs/crud").status()).isEqualTo(204);
    assertThat(api.get("/jobs/crud").status()).isEqualTo(404);
    assertThat(api.delete("/jobs/crud").status()).isEqualTo(404);

    // A name is free again at once, and the new job is a live one.
    assertThat(api.post("/jobs", job("crud", "0 7 * * *")).status()).isEqualTo(201);
    assertThat(api.delete("/jobs/crud").status()).isEqualTo(204);
    assertThat(api.post("/jobs", job("crud", "0 8 * * *")).status()).isEqualTo(201);
    assertThat(api.get("/jobs/crud").json().get("schedule").asText()).isEqualTo("0 8 * * *");
  }

  @Test
  void listFiltersByLabelAndPages() {
    for (String n : new String[] {"list-a", "list-b", "list-c"}) {
      assertThat(api.post("/jobs", job(n, "@daily")).status()).isEqualTo(201);
    }
    String other =
        "{\"name\": \"list-d\", \"labels\": {\"team\": \"dev\"}, \"schedule\": \"@daily\", \"noop\": {}}";
    assertThat(api.post("/jobs", other).status()).isEqualTo(201);

    JsonNode ops = api.get("/jobs?label=team=ops&limit=500").json();
    assertThat(names(ops)).contains("list-a", "list-b", "list-c").doesNotContain("list-d");

    JsonNode first = api.get("/jobs?limit=1&label=team=ops").json();
    assertThat(first.get("items")).hasSize(1);
    String next = first.get("next").asText();
    JsonNode second = api.get("/jobs?limit=1&label=team=ops&after=" + next).json();
    assertThat(second.get("items").get(0).get("name").asText()).isGreaterThan(next);

    assertThat(api.get("/jobs?label=nokey").status()).isEqualTo(400);
    assertThat(api.get("/jobs?limit=0").status()).isEqualTo(400);
  }

  private static java.util.List<String> names(JsonNode page) {
    java.util.List<String> names = new java.util.ArrayList<>();
    page.get("items").forEach(j -> names.add(j.get("name").asText()));
    return names;
  }

  @Test
  void pauseResumeTriggerAndRuns() {
    assertThat(api.post("/jobs", job("steer", "0 0 1 1 *")).status()).isEqualTo(201);
    ApiClient.Response paused = api.post("/jobs/steer/pause", "");
    assertThat(paused.status()).isEqualTo(200);
    assertThat(paused.json().get("status").asText()).isEqualTo("PAUSED");
    assertThat(paused.json().get("nextFireTimes")).isEmpty();
    ApiClient.Response resumed = api.post("/jobs/steer/resume", "");
    assertThat(resumed.json().get("status").asText()).isEqualTo("ACTIVE");

    ApiClient.Response triggered = api.post("/jobs/steer/trigger", "");
    assertThat(triggered.status()).isEqualTo(202);
    String runId = triggered.json().get("runId").asText();

    Await.until(
        Duration.ofSeconds(10),
        "the manual run to succeed",
        () -> "SUCCEEDED".equals(api.get("/runs/" + runId).json().path("status").asText()));
    JsonNode run = api.get("/runs/" + runId).json();
    assertThat(run.get("reason").asText()).isEqualTo("MANUAL");
    assertThat(run.get("job").asText()).isEqualTo("steer");
    assertThat(run.get("outputTail").asText()).isEqualTo("hi\n");
    assertThat(api.get("/runs/" + runId + "/output").body()).isEqualTo("hi\n");

    JsonNode runs = api.get("/jobs/steer/runs?limit=10").json();
    assertThat(runs.get("items").get(0).get("id").asText()).isEqualTo(runId);
    assertThat(api.get("/jobs/steer").json().get("lastRun").get("id").asText()).isEqualTo(runId);

    assertThat(api.post("/jobs/nope/pause", "").status()).isEqualTo(404);
    assertThat(api.post("/jobs/nope/resume", "").status()).isEqualTo(404);
    assertThat(api.post("/jobs/nope/trigger", "").status()).isEqualTo(404);
    assertThat(api.get("/runs/no-such-run").status()).isEqualTo(404);
    assertThat(api.get("/runs/no-such-run/output").status()).isEqualTo(404);
  }

  @Test
  void aJobsOwnGetSumsUpItsLastDayOfRuns() {
    assertThat(
            api.post("/jobs", "{\"name\": \"stats\", \"schedule\": \"@every 1s\", \"noop\": {}}")
                .status())
        .isEqualTo(201);
    Await.until(
        Duration.ofSeconds(20),
        "three ticks run",
        () -> api.get("/jobs/stats").json().path("stats").path("succeeded").asLong() >= 3);
    assertThat(api.post("/jobs/stats/pause", "").json().has("stats")).isFalse();

    JsonNode stats = api.get("/jobs/stats").json().get("stats");
    assertThat(stats.get("window").asText()).isEqualTo("PT24H");
    long runs = stats.get("runs").asLong();
    assertThat(stats.get("succeeded").asLong() + stats.get("unfinished").asLong()).isEqualTo(runs);
    assertThat(stats.get("failed").asLong()).isZero();
    // A noop run is done when it fires: lateness is the firing's, small on an idle node.
    assertThat(stats.get("latenessP50Ms").asLong()).isBetween(0L, 2_000L);
    assertThat(stats.get("latenessMaxMs").asLong())
        .isGreaterThanOrEqualTo(stats.get("latenessP99Ms").asLong())
        .isGreaterThanOrEqualTo(stats.get("latenessP50Ms").asLong());
    assertThat(stats.get("meanDurationMs").asLong()).isZero();
    JsonNode listed = api.get("/jobs?limit=500").json().get("items");
    assertThat(listed).allSatisfy(j -> assertThat(j.has("stats")).isFalse());
    // As read, with its stats, the job can be written back.
    assertThat(api.put("/jobs/stats", api.get("/jobs/stats").body()).status()).isEqualTo(200);
  }

  @Test
  void previewShowsNextFireTimes() {
    ApiClient.Response preview =
        api.post(
            "/schedule/preview",
            "{\"schedule\": \"*/15 * * * *\", \"timezone\": \"UTC\", \"count\": 3}");
    assertThat(preview.status()).isEqualTo(200);
    assertThat(preview.json().get("next")).hasSize(3);
    assertThat(preview.json().get("description").asText()).isNotBlank();

    assertError(api.post("/schedule/preview", "{\"schedule\": \"61 * * * *\"}"), "schedule");
    assertError(
        api.post("/schedule/preview", "{\"schedule\": \"@daily\", \"timezone\": \"Mars/Base\"}"),
        "timezone");
    assertError(api.post("/schedule/preview", "{\"schedule\": \"@daily\", \"count\": 0}"), "count");
  }

  @Test
  void hashedJitteredAndBoundedJobs() {
    String spread =
        """
        {"name": "spread-7", "schedule": "H H(1-4) * * *", "jitter": "PT10M", "noop": {},
         "startAt": "2020-01-01T00:00:00Z", "endAt": "2099-01-01T00:00:00+01:00"}
        """;
    ApiClient.Response created = api.post("/jobs", spread);
    assertThat(created.status()).isEqualTo(201);
    JsonNode job = created.json();
    assertThat(job.get("schedule").asText()).isEqualTo("H H(1-4) * * *");
    assertThat(job.get("jitter").asText()).isEqualTo("PT10M");
    assertThat(job.get("startAt").asText()).isEqualTo("2020-01-01T00:00:00Z");
    assertThat(job.get("endAt").asText()).isEqualTo("2098-12-31T23:00:00Z");
    var first = java.time.Instant.parse(job.get("nextFireTimes").get(0).asText());
    assertThat(first.atZone(java.time.ZoneOffset.UTC).getHour()).isBetween(1, 4);

    // The preview resolves H for the name it is given, to the job's own times.
    JsonNode preview =
        api.post(
                "/schedule/preview",
                "{\"schedule\": \"H H(1-4) * * *\", \"name\": \"spread-7\", \"count\": 5}")
            .json();
    assertThat(preview.get("next")).isEqualTo(job.get("nextFireTimes"));
    assertError(api.post("/schedule/preview", "{\"schedule\": \"H * * * *\"}"), "schedule");

    String ended =
        """
        {"name": "ended", "schedule": "@hourly", "noop": {}, "endAt": "2021-01-01T00:00:00Z"}
        """;
    ApiClient.Response over = api.post("/jobs", ended);
    assertThat(over.status()).isEqualTo(201);
    assertThat(over.json().get("status").asText()).isEqualTo("ENDED");
    assertThat(over.json().get("nextFireTimes")).isEmpty();

    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"j\", \"schedule\": \"*/5 * * * *\", \"noop\": {}, \"jitter\": \"PT5M\"}"),
        "jitter");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"j\", \"schedule\": \"@daily\", \"noop\": {}, \"jitter\": \"5m\"}"),
        "jitter");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"j\", \"schedule\": \"@daily\", \"noop\": {}, \"startAt\": \"soon\"}"),
        "startAt");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"j\", \"schedule\": \"@daily\", \"noop\": {}, \"startAt\":"
                + " \"2030-01-01T00:00:00Z\", \"endAt\": \"2029-01-01T00:00:00Z\"}"),
        "endAt");
    assertError(api.post("/jobs", job("j", "H(50-70) * * * *")), "schedule");
  }

  @Test
  void aShellJobRunsAsItsUser() {
    String job =
        """
        {"name": "as-nobody", "schedule": "@yearly", "shell": {"command": "id -un", "user": "nobody"}}
        """;
    ApiClient.Response created = api.post("/jobs", job);
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().get("shell").get("user").asText()).isEqualTo("nobody");
    String runId = api.post("/jobs/as-nobody/trigger", "").json().get("runId").asText();
    Await.until(
        Duration.ofSeconds(10),
        "the run as nobody to succeed",
        () -> "SUCCEEDED".equals(api.get("/runs/" + runId).json().path("status").asText()));
    assertThat(api.get("/runs/" + runId).json().get("outputTail").asText()).isEqualTo("nobody\n");

    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"j\", \"schedule\": \"@daily\", \"shell\": {\"command\": \"x\","
                + " \"user\": \"-r\"}}"),
        "shell.user");
  }

  @Test
  void badJobsAreRefusedNamingTheField() {
    assertError(api.post("/jobs", job("bad", "not a cron")), "schedule");
    assertError(api.post("/jobs", job("bad", "61 * * * *")), "schedule");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"bad\", \"schedule\": \"@daily\", \"timezone\": \"Nowhere/Land\", \"noop\": {}}"),
        "timezone");
    assertError(
        api.post(
            "/jobs", "{\"name\": \"bad\", \"schedule\": \"@daily\", \"noop\": {}, \"colour\": 1}"),
        "colour");
    assertError(api.post("/jobs", "{\"name\": \"bad\", \"schedule\": \"@daily\"}"), "action");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"bad\", \"schedule\": \"@daily\", \"noop\": {}, \"shell\": {\"command\": \"x\"}}"),
        "action");
    assertError(
        api.post("/jobs", "{\"name\": \"bad\", \"schedule\": \"@daily\", \"shell\": {}}"),
        "shell.command");
    assertError(
        api.post("/jobs", "{\"name\": \"Bad Name\", \"schedule\": \"@daily\", \"noop\": {}}"),
        "name");
    assertError(api.post("/jobs", "{\"schedule\": \"@daily\", \"noop\": {}}"), "name");
    assertError(api.post("/jobs", "{\"name\": \"bad\", \"noop\": {}}"), "schedule");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"bad\", \"schedule\": \"@daily\", \"noop\": {}, \"timeoutSeconds\": 0}"),
        "timeoutSeconds");
    assertError(
        api.post(
            "/jobs",
            "{\"name\": \"bad\", \"schedule\": \"@daily\", \"noop\": {}, \"timeoutSeconds\": \"x\"}"),
        "timeoutSeconds");
    assertError(api.post("/jobs", "{\"name\": "), "body");
    assertError(api.post("/jobs", "[1, 2]"), "body");
    assertError(api.put("/jobs/other", job("bad", "@daily")), "name");
    String huge =
        "{\"name\": \"big\", \"schedule\": \"@daily\", \"noop\": {}, \"description\": \""
            + "x".repeat(1_100_000)
            + "\"}";
    ApiClient.Response tooLarge = api.post("/jobs", huge);
    assertThat(tooLarge.status()).isEqualTo(413);
    assertThat(tooLarge.json().get("field").asText()).isEqualTo("body");
    assertThat(api.get("/jobs/bad").status()).isEqualTo(404);
  }

  @Test
  void unknownPathsAndMethodsAnswerInJson() {
    ApiClient.Response missing = api.get("/nothing-here");
    assertThat(missing.status()).isEqualTo(404);
    assertThat(missing.json().get("error").asText()).isNotBlank();
    ApiClient.Response method = api.delete("/schedule/preview");
    assertThat(method.status()).isEqualTo(405);
    assertThat(method.json().get("error").asText()).isNotBlank();
  }

  private static void assertError(ApiClient.Response r, String field) {
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    JsonNode error = r.json();
    assertThat(error.get("field").asText()).as(r.body()).isEqualTo(field);
    assertThat(error.get("error").asText())
        .isNotBlank()
        .doesNotContain("Exception")
        .doesNotContain("\tat ");
  }
}
