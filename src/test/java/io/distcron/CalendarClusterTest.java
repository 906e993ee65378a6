package io.distcron;

import static io.distcron.Await.every;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A calendar changed through one node's API takes effect for a job that lives on another node, from
 * the next tick, well within the periodic reload: the change travels through Distributed Data.
 */
class CalendarClusterTest {
  private static final String HOST = "127.0.0.1";

  private final List<Node> nodes = new ArrayList<>();

  @AfterEach
  void stopNodes() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      try {
        nodes.get(i).close();
      } catch (Exception e) {
        // the test's outcome is decided already
      }
    }
  }

  @Test
  void aCalendarChangedOnOneNodeCountsForAJobOnAnother() throws Exception {
    Map<String, Object> db = TestNodes.dbConfig("postgres", "calendars");
    int[] ports = TestNodes.freePorts(2);
    List<String> seeds = List.of("pekko://distcron@" + HOST + ":" + ports[0]);
    start(db, seeds, ports[0]);
    start(db, seeds, ports[1]);
    Map<String, ApiClient> apis = new HashMap<>();
    for (int i = 0; i < 2; i++)
      apis.put(HOST + ":" + ports[i], new ApiClient(nodes.get(i).apiUrl()));
    ApiClient first = apis.get(HOST + ":" + ports[0]);
    Await.until(
        Duration.ofSeconds(40),
        "2 members Up",
        every(
            () ->
                first.get("/nodes").json().findValuesAsText("status").stream()
                        .filter("Up"::equals)
                        .count()
                    == 2));

    assertThat(
            first.post("/calendars", "{\"name\": \"pause\", \"dates\": [\"2000-01-01\"]}").status())
        .isEqualTo(201);
    ApiClient.Response created =
        first.post(
            "/jobs",
            "{\"name\": \"paced\", \"schedule\": \"* * * * * ?\", \"noop\": {},"
                + " \"excludeCalendars\": [\"pause\"]}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);

    // A noop run is done where its job lives: its node is the job's.
    Await.until(
        Duration.ofSeconds(30), "the job runs", every(() -> !runs(first, "SUCCEEDED").isEmpty()));
    String home = runs(first, "SUCCEEDED").get(0).get("node").asText();
    String other = apis.keySet().stream().filter(a -> !a.equals(home)).findFirst().orElseThrow();
    ApiClient elsewhere = apis.get(other);

    ApiClient.Response changed = elsewhere.put("/calendars/pause", "{\"cron\": \"* * * * * ?\"}");
    assertThat(changed.status()).as(changed.body()).isEqualTo(200);
    Instant answered = Instant.now();
    Await.until(
        Duration.ofSeconds(20),
        "a tick skipped for the calendar",
        every(() -> !runs(first, "SKIPPED").isEmpty()));
    JsonNode skipped = earliest(runs(first, "SKIPPED"));
    assertThat(skipped.get("message").asText()).isEqualTo("calendar pause");
    assertThat(Instant.parse(skipped.get("scheduledAt").asText()))
        .as("the first excluded tick, against the periodic reload of 10 s")
        .isBefore(answered.plusSeconds(5));
    Instant firstSkipped = Instant.parse(skipped.get("scheduledAt").asText());
    // From then on every tick is skipped: none after it ran.
    Await.until(
        Duration.ofSeconds(10), "3 ticks skipped", every(() -> runs(first, "SKIPPED").size() >= 3));
    assertThat(runs(first, "SUCCEEDED"))
        .extracting(r -> Instant.parse(r.get("scheduledAt").asText()))
        .allSatisfy(t -> assertThat(t).isBefore(firstSkipped));

    // Changed back through the other node's API: the job runs again.
    assertThat(elsewhere.put("/calendars/pause", "{}").status()).isEqualTo(200);
    Await.until(
        Duration.ofSeconds(20),
        "a run after the calendar was emptied",
        every(
            () ->
                runs(first, "SUCCEEDED").stream()
                    .anyMatch(
                        r -> Instant.parse(r.get("scheduledAt").asText()).isAfter(firstSkipped))));
  }

  private static List<JsonNode> runs(ApiClient api, String status) {
    List<JsonNode> out = new ArrayList<>();
    for (JsonNode r : api.get("/jobs/paced/runs?limit=500").json().get("items")) {
      if (r.get("status").asText().equals(status)) out.add(r);
    }
    return out;
  }

  private static JsonNode earliest(List<JsonNode> runs) {
    return runs.stream()
        .min((a, b) -> a.get("scheduledAt").asText().compareTo(b.get("scheduledAt").asText()))
        .orElseThrow();
  }

  private void start(Map<String, Object> db, List<String> seeds, int port) throws Exception {
    Map<String, Object> extra = new HashMap<>();
    extra.put("pekko.cluster.seed-nodes", seeds);
    extra.put("pekko.remote.artery.canonical.port", port);
    extra.put("distcron.executor.drain-grace", "2s");
    nodes.add(TestNodes.start(db, extra));
  }
}
