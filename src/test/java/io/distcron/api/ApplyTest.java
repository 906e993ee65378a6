package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code POST /api/v1/apply} against a really bound node: outcomes, prune, dry run, refusals. */
class ApplyTest {
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "apply"), Map.of());
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String job(String name, String schedule) {
    return """
        {"name": "%s", "labels": {"team": "ops"}, "schedule": "%s",
         "shell": {"command": "echo %s"}, "retry": {"maxAttempts": 2, "backoff": "PT5S"}}
        """
        .formatted(name, schedule, name);
  }

  private static String apply(String owner, boolean prune, boolean dryRun, String... jobs) {
    return """
        {"jobs": [%s], "managedBy": "%s", "prune": %s, "dryRun": %s}
        """
        .formatted(String.join(", ", jobs), owner, prune, dryRun);
  }

  private static Map<String, String> outcomes(JsonNode body) {
    Map<String, String> byName = new java.util.TreeMap<>();
    body.get("jobs").forEach(j -> byName.put(j.get("name").asText(), j.get("outcome").asText()));
    return byName;
  }

  private static List<String> listed(String label) {
    List<String> names = new ArrayList<>();
    api.get("/jobs?limit=500&label=" + label)
        .json()
        .get("items")
        .forEach(j -> names.add(j.get("name").asText()));
    return names;
  }

  @Test
  void createsUpdatesLeavesAloneAndPrunesTheOwnersJobs() {
    String three =
        apply(
            "git:ops",
            false,
            false,
            job("ga", "@daily"),
            job("gb", "@hourly"),
            job("gc", "@daily"));
    ApiClient.Response first = api.post("/apply", three);
    assertThat(first.status()).as(first.body()).isEqualTo(200);
    assertThat(outcomes(first.json()))
        .containsExactlyEntriesOf(
            new java.util.TreeMap<>(Map.of("ga", "created", "gb", "created", "gc", "created")));
    assertThat(first.json().get("summary").get("created").asInt()).isEqualTo(3);
    // Listed at once, as a single create is, and marked with its owner.
    assertThat(listed("team=ops")).contains("ga", "gb", "gc");
    assertThat(api.get("/jobs/ga").json().get("managedBy").asText()).isEqualTo("git:ops");

    ApiClient.Response again = api.post("/apply", three);
    assertThat(outcomes(again.json()))
        .containsOnlyKeys("ga", "gb", "gc")
        .containsValues("unchanged");
    assertThat(again.json().get("summary").get("unchanged").asInt()).isEqualTo(3);

    // A dry run says what would happen and does nothing.
    ApiClient.Response dry =
        api.post("/apply", apply("git:ops", true, true, job("ga", "@weekly"), job("gd", "@daily")));
    assertThat(dry.status()).as(dry.body()).isEqualTo(200);
    assertThat(outcomes(dry.json()))
        .containsEntry("ga", "updated")
        .containsEntry("gd", "created")
        .containsEntry("gb", "deleted")
        .containsEntry("gc", "deleted");
    assertThat(api.get("/jobs/ga").json().get("schedule").asText()).isEqualTo("@daily");
    assertThat(api.get("/jobs/gd").status()).isEqualTo(404);
    assertThat(api.get("/jobs/gb").status()).isEqualTo(200);

    ApiClient.Response pruned =
        api.post(
            "/apply", apply("git:ops", true, false, job("ga", "@weekly"), job("gd", "@daily")));
    assertThat(outcomes(pruned.json()))
        .containsExactlyEntriesOf(
            new java.util.TreeMap<>(
                Map.of("ga", "updated", "gd", "created", "gb", "deleted", "gc", "deleted")));
    assertThat(api.get("/jobs/ga").json().get("schedule").asText()).isEqualTo("@weekly");
    assertThat(api.get("/jobs/gb").status()).isEqualTo(404);
    assertThat(listed("team=ops")).contains("ga", "gd").doesNotContain("gb", "gc");
  }

  @Test
  void oneInvalidJobAndNothingIsApplied() {
    ApiClient.Response r =
        api.post(
            "/apply",
            apply(
                "git:bad",
                false,
                false,
                job("bad-ok", "@daily"),
                job("bad-schedule", "61 * * * *"),
                job("bad-ok", "@hourly")));
    assertThat(r.status()).as(r.body()).isEqualTo(400);
    JsonNode body = r.json();
    assertThat(body.get("error").asText()).contains("2 of 3 jobs are invalid").contains("nothing");
    assertThat(body.get("field").asText()).isEqualTo("jobs[1].schedule");
    List<String> fields = new ArrayList<>();
    body.get("jobs").forEach(j -> fields.add(j.get("field").asText()));
    assertThat(fields).containsExactly("jobs[1].schedule", "jobs[2].name");
    assertThat(api.get("/jobs/bad-ok").status()).isEqualTo(404);
  }

  @Test
  void anotherOwnersJobIsRefusedAndAnUnownedOneAdopted() {
    assertThat(api.post("/apply", apply("git:one", false, false, job("own-a", "@daily"))).status())
        .isEqualTo(200);
    ApiClient.Response taken =
        api.post(
            "/apply",
            apply("git:two", false, false, job("own-a", "@hourly"), job("own-new", "@daily")));
    assertThat(taken.status()).as(taken.body()).isEqualTo(409);
    assertThat(taken.json().get("jobs").get(0).get("error").asText()).contains("git:one");
    assertThat(api.get("/jobs/own-new").status()).isEqualTo(404);
    assertThat(api.get("/jobs/own-a").json().get("schedule").asText()).isEqualTo("@daily");

    // One owner's prune leaves the other's jobs alone.
    assertThat(api.post("/apply", apply("git:two", true, false)).status()).isEqualTo(200);
    assertThat(api.get("/jobs/own-a").status()).isEqualTo(200);

    // A job defined by hand has no owner: an apply adopts it. Replacing it by hand keeps the owner.
    assertThat(api.post("/jobs", job("by-hand", "@daily")).status()).isEqualTo(201);
    ApiClient.Response adopted =
        api.post("/apply", apply("git:two", false, false, job("by-hand", "@daily")));
    assertThat(outcomes(adopted.json())).containsEntry("by-hand", "updated");
    assertThat(api.put("/jobs/by-hand", job("by-hand", "@weekly")).json().get("managedBy").asText())
        .isEqualTo("git:two");
  }

  @Test
  void refusesWhatIsNotAnApply() {
    assertThat(api.post("/apply", "{\"jobs\": []}").json().get("field").asText())
        .isEqualTo("managedBy");
    assertThat(api.post("/apply", "{\"managedBy\": \"x\"}").json().get("field").asText())
        .isEqualTo("jobs");
    ApiClient.Response spaces = api.post("/apply", "{\"jobs\": [], \"managedBy\": \"a b\"}");
    assertThat(spaces.status()).isEqualTo(400);
    assertThat(spaces.json().get("field").asText()).isEqualTo("managedBy");
    String many =
        IntStream.range(0, ApplyRoutes.MAX_JOBS + 1)
            .mapToObj(i -> "{\"name\": \"m" + i + "\", \"schedule\": \"@daily\", \"noop\": {}}")
            .collect(Collectors.joining(", "));
    ApiClient.Response tooMany =
        api.post("/apply", "{\"jobs\": [" + many + "], \"managedBy\": \"many\"}");
    assertThat(tooMany.status()).isEqualTo(400);
    assertThat(tooMany.json().get("field").asText()).isEqualTo("jobs");
    assertThat(api.get("/jobs/m0").status()).isEqualTo(404);
  }
}
