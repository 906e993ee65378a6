package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job's {@code target} over the API, on a node labelled {@code zone=eu1,host=api-node}: refused
 * naming the field when bad, shown back by GET, taken back as GET shows it, and obeyed by runs.
 */
class TargetApiTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "targetapi"),
            Map.of("distcron.node.labels", "zone=eu1,host=api-node"));
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String job(String name, String target) {
    return """
        {"name": "%s", "schedule": "@hourly", "shell": {"command": "echo hi"}, "target": %s}
        """
        .formatted(name, target);
  }

  @Test
  void theNodeShowsItsLabels() {
    JsonNode self = null;
    for (JsonNode n : api.get("/nodes").json().get("items")) {
      if (n.get("self").asBoolean()) self = n;
    }
    assertThat(self).isNotNull();
    assertThat(JSON.convertValue(self.get("labels"), Map.class))
        .isEqualTo(Map.of("zone", "eu1", "host", "api-node"));
  }

  @Test
  void getShowsTheTargetAndTakesItBack() throws Exception {
    ApiClient.Response created =
        api.post(
            "/jobs", job("targeted", "{\"nodeSelector\": {\"zone\": \"eu1\", \"disk\": \"ssd\"}}"));
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    JsonNode shown = api.get("/jobs/targeted").json();
    assertThat(shown.get("target"))
        .isEqualTo(
            JSON.readTree(
                "{\"nodeSelector\": {\"disk\": \"ssd\", \"zone\": \"eu1\"}, \"mode\": \"ANY\"}"));

    // A job as GET shows it goes back unchanged, one at a time and in bulk.
    assertThat(api.put("/jobs/targeted", shown.toString()).status()).isEqualTo(200);
    assertThat(api.get("/jobs/targeted").json().get("target")).isEqualTo(shown.get("target"));
    ObjectNode apply = JSON.createObjectNode().put("managedBy", "test:target");
    apply.putArray("jobs").add(shown);
    assertThat(api.post("/apply", apply.toString()).json().at("/jobs/0/outcome").asText())
        .isEqualTo("updated");
    JsonNode listed = null;
    for (JsonNode j : api.get("/jobs?limit=500").json().get("items")) {
      if (j.get("name").asText().equals("targeted")) listed = j;
    }
    assertThat(listed.get("target")).isEqualTo(shown.get("target"));
    apply.putArray("jobs").add(listed);
    assertThat(api.post("/apply", apply.toString()).json().at("/jobs/0/outcome").asText())
        .isEqualTo("unchanged");
  }

  @Test
  void noTargetOrAnEmptySelectorMeansAnyNode() {
    assertThat(api.post("/jobs", job("anywhere", "null")).status()).isEqualTo(201);
    assertThat(api.get("/jobs/anywhere").json().has("target")).isFalse();
    assertThat(api.post("/jobs", job("empty-selector", "{\"nodeSelector\": {}}")).status())
        .isEqualTo(201);
    assertThat(api.get("/jobs/empty-selector").json().has("target")).isFalse();
  }

  @Test
  void badTargetsAreRefusedNamingTheField() {
    assertError(
            job("bad", "{\"nodeSelector\": {\"zone\": \"eu1\"}, \"mode\": \"ALL\"}"), "target.mode")
        .isEqualTo("target.mode ALL is not supported yet");
    assertError(job("bad", "{\"mode\": \"SOME\"}"), "target.mode").contains("ANY");
    assertError(job("bad", "{\"nodeSelector\": {\"bad key\": \"x\"}}"), "target.nodeSelector")
        .contains("bad key");
    assertError(job("bad", "{\"nodeSelector\": {\"zone\": \"eu 1\"}}"), "target.nodeSelector.zone");
    assertError(job("bad", "{\"nodeSelector\": {\"zone\": \"\"}}"), "target.nodeSelector.zone");
    assertError(job("bad", "{\"nodeSelector\": {\"zone\": 1}}"), "target.nodeSelector.zone");
    assertError(
        job("bad", "{\"nodeSelector\": {\"zone\": \"" + "x".repeat(254) + "\"}}"),
        "target.nodeSelector.zone");
    // As long as a node label may be (a host's full name).
    String fqdn = "web1." + "a".repeat(243) + ".com";
    assertThat(
            api.post("/jobs", job("long-host", "{\"nodeSelector\": {\"host\": \"" + fqdn + "\"}}"))
                .status())
        .isEqualTo(201);
    String many =
        IntStream.rangeClosed(1, 65)
            .mapToObj(i -> "\"k" + i + "\": \"v\"")
            .collect(Collectors.joining(", ", "{\"nodeSelector\": {", "}}"));
    assertError(job("bad", many), "target.nodeSelector").contains("at most 64");
    assertError(job("bad", "{\"nodeSelector\": {\"zone\": \"eu1\"}, \"rack\": 1}"), "target.rack");
    assertError(job("bad", "\"eu1\""), "target");
    assertError(
        "{\"name\": \"bad\", \"schedule\": \"@hourly\", \"noop\": {}, \"target\": {\"nodeSelector\": {\"zone\": \"eu1\"}}}",
        "target");
    assertThat(api.get("/jobs/bad").status()).isEqualTo(404);
  }

  @Test
  void runsGoOnlyWhereTheTargetMatches() {
    assertThat(
            api.post("/jobs", job("here", "{\"nodeSelector\": {\"host\": \"api-node\"}}")).status())
        .isEqualTo(201);
    assertThat(
            api.post("/jobs", job("nowhere", "{\"nodeSelector\": {\"zone\": \"us1\"}}")).status())
        .isEqualTo(201);
    api.post("/jobs/here/trigger", "");
    api.post("/jobs/nowhere/trigger", "");
    JsonNode here = lastRun("here", "SUCCEEDED");
    assertThat(here.get("node").asText()).isNotBlank();
    JsonNode nowhere = lastRun("nowhere", "FAILED");
    assertThat(nowhere.get("message").asText()).isEqualTo("no executor matches target {zone=us1}");
    assertThat(nowhere.get("node").isNull()).isTrue();
  }

  private static JsonNode lastRun(String job, String status) {
    JsonNode[] run = new JsonNode[1];
    Await.until(
        Duration.ofSeconds(20),
        job + " " + status,
        () -> {
          JsonNode items = api.get("/jobs/" + job + "/runs").json().get("items");
          run[0] = items.isEmpty() ? null : items.get(0);
          return run[0] != null && run[0].get("status").asText().equals(status);
        });
    return run[0];
  }

  private static org.assertj.core.api.AbstractStringAssert<?> assertError(
      String body, String field) {
    ApiClient.Response r = api.post("/jobs", body);
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    assertThat(r.json().get("field").asText()).as(r.body()).isEqualTo(field);
    return assertThat(r.json().get("error").asText()).as(r.body());
  }
}
