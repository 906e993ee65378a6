package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A whole node in-process: a job over HTTP runs every second, and survives a restart of the node.
 */
class SingleNodeTest {

  @ParameterizedTest
  @ValueSource(strings = {"h2", "postgres"})
  void jobRunsEverySecondAndKeepsFiringAcrossARestart(String db) throws Exception {
    Map<String, Object> database = TestNodes.dbConfig(db, "single_node_" + db);
    String job =
        """
        {"name": "hello", "schedule": "* * * * * ?", "shell": {"command": "echo hello"}}
        """;
    try (Node node = TestNodes.start(database, Map.of())) {
      ApiClient api = new ApiClient(node.apiUrl());
      assertThat(api.post("/jobs", job).status()).isEqualTo(201);

      Await.until(Duration.ofSeconds(6), "3 SUCCEEDED runs", () -> succeeded(api).size() >= 3);
      for (JsonNode run : succeeded(api)) {
        ApiClient.Response out = api.get("/runs/" + run.get("id").asText() + "/output");
        assertThat(out.status()).isEqualTo(200);
        assertThat(out.body()).isEqualTo("hello\n");
        assertThat(run.get("exitCode").asInt()).isZero();
      }
    }

    try (Node node = TestNodes.start(database, Map.of())) {
      ApiClient api = new ApiClient(node.apiUrl());
      ApiClient.Response get = api.get("/jobs/hello");
      assertThat(get.status()).isEqualTo(200);
      assertThat(get.json().get("schedule").asText()).isEqualTo("* * * * * ?");
      int before = runs(api).size();
      Await.until(
          Duration.ofSeconds(10),
          "new runs after restart",
          () -> succeeded(api).size() >= before + 2);

      List<String> scheduled = new ArrayList<>();
      runs(api).forEach(r -> scheduled.add(r.get("scheduledAt").asText()));
      assertThat(scheduled).doesNotHaveDuplicates();
    }
  }

  private static List<JsonNode> runs(ApiClient api) {
    List<JsonNode> all = new ArrayList<>();
    api.get("/jobs/hello/runs?limit=500").json().get("items").forEach(all::add);
    return all;
  }

  private static List<JsonNode> succeeded(ApiClient api) {
    return runs(api).stream().filter(r -> r.get("status").asText().equals("SUCCEEDED")).toList();
  }
}
