package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Backfills through the API of a really bound node, down to what its shell runs really did. */
class BackfillApiTest {
  private static final Instant NOV_1 = Instant.parse("2026-11-01T00:00:00Z");

  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "backfill"), Map.of());
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static void create(String name, String command) {
    String job =
        """
        {"name": "%s", "schedule": "@hourly", "shell": {"command": "%s"}, "timeoutSeconds": 60}
        """
            .formatted(name, command.replace("\\", "\\\\").replace("\"", "\\\""));
    assertThat(api.post("/jobs", job).status()).isEqualTo(201);
  }

  private static ApiClient.Response backfill(String name, String body) {
    return api.post("/jobs/" + name + "/backfill", body);
  }

  private static String range(Instant from, Instant to, String overlap) {
    return """
        {"from": "%s", "to": "%s", "overlap": "%s"}
        """
        .formatted(from, to, overlap);
  }

  private static void assertBadRequest(ApiClient.Response response, String field) {
    assertThat(response.status()).as(response.body()).isEqualTo(400);
    assertThat(response.json().get("field").asText()).isEqualTo(field);
  }

  @Test
  void aBadRequestIsRefusedNamingItsField() {
    create("bf-bad", "true");
    String to = "2026-11-02T00:00:00Z";
    assertBadRequest(
        backfill("bf-bad", "{\"from\": \"yesterday\", \"to\": \"" + to + "\"}"), "from");
    assertBadRequest(backfill("bf-bad", "{\"from\": \"" + to + "\"}"), "to");
    assertBadRequest(backfill("bf-bad", range(NOV_1, NOV_1, "QUEUE")), "to");
    assertBadRequest(backfill("bf-bad", range(NOV_1.plusSeconds(60), NOV_1, "QUEUE")), "to");
    assertBadRequest(
        backfill("bf-bad", range(NOV_1, NOV_1.plusSeconds(3600), "SOMETIMES")), "overlap");
    // @hourly: 10,001 hours hold 10,001 ticks, one too many.
    ApiClient.Response tooMany =
        backfill("bf-bad", range(NOV_1.minus(Duration.ofHours(10_001)), NOV_1, "QUEUE"));
    assertBadRequest(tooMany, "to");
    assertThat(tooMany.json().get("error").asText()).contains("10000");
    assertThat(backfill("bf-nope", range(NOV_1, NOV_1.plusSeconds(3600), "QUEUE")).status())
        .isEqualTo(404);
    assertThat(api.delete("/jobs/bf-nope/backfill").status()).isEqualTo(404);
    assertThat(api.delete("/jobs/bf-bad/backfill").status()).isEqualTo(404);
  }

  @Test
  void aSecondBackfillWhileOneIsGoingConflictsAndACancelSkipsWhatIsLeft() {
    create("bf-busy", "sleep 30");
    ApiClient.Response first =
        backfill("bf-busy", range(NOV_1, NOV_1.plus(Duration.ofHours(5)), "QUEUE"));
    assertThat(first.status()).isEqualTo(202);
    assertThat(first.json().get("ticks").asInt()).isEqualTo(5);
    assertThat(first.json().get("leftOut").asInt()).isZero();
    assertThat(first.json().get("overlap").asText()).isEqualTo("QUEUE");

    ApiClient.Response second =
        backfill("bf-busy", range(NOV_1, NOV_1.plus(Duration.ofHours(2)), "QUEUE"));
    assertThat(second.status()).isEqualTo(409);

    JsonNode job = api.get("/jobs/bf-busy").json();
    assertThat(job.get("backfill").get("ticks").asInt()).isEqualTo(5);
    assertThat(job.get("backfill").get("going").asBoolean()).isTrue();

    // The first tick is running (or about to): the other four are cancelled.
    Await.until(
        Duration.ofSeconds(20),
        "the first backfill run",
        () -> api.get("/jobs/bf-busy").json().get("backfill").get("decided").asInt() == 1);
    ApiClient.Response cancelled = api.delete("/jobs/bf-busy/backfill");
    assertThat(cancelled.status()).isEqualTo(200);
    assertThat(cancelled.json().get("cancelled").asInt()).isEqualTo(4);
    Await.until(
        Duration.ofSeconds(20),
        "the cancelled ticks' records",
        () -> skippedBackfillRuns("bf-busy") == 4);
  }

  private static long skippedBackfillRuns(String job) {
    List<JsonNode> runs = new ArrayList<>();
    api.get("/jobs/" + job + "/runs?limit=100").json().get("items").forEach(runs::add);
    return runs.stream()
        .filter(r -> r.get("reason").asText().equals("BACKFILL"))
        .filter(r -> r.get("status").asText().equals("SKIPPED"))
        .count();
  }

  /**
   * End to end: every backfilled tick's shell writes its scheduled time and run id to a ledger;
   * each tick is there exactly once, and a second, overlapping backfill adds only what the first
   * did not take.
   */
  @Test
  void eachBackfilledTickRunsExactlyOnce(@TempDir Path dir) throws Exception {
    Path ledger = dir.resolve("ledger");
    create("bf-ledger", "echo \"$DISTCRON_SCHEDULED_AT $DISTCRON_RUN_ID\" >> " + ledger);
    Instant six = NOV_1.plus(Duration.ofHours(6));
    ApiClient.Response first = backfill("bf-ledger", range(NOV_1, six, "QUEUE"));
    assertThat(first.status()).isEqualTo(202);
    assertThat(first.json().get("ticks").asInt()).isEqualTo(6);
    awaitLines(ledger, 6);
    awaitDone("bf-ledger");

    // Overlapping: hours 4 and 5 are the first backfill's, 6 and 7 are new.
    Instant four = NOV_1.plus(Duration.ofHours(4));
    ApiClient.Response second =
        backfill("bf-ledger", range(four, NOV_1.plus(Duration.ofHours(8)), "ALLOW"));
    assertThat(second.status()).isEqualTo(202);
    assertThat(second.json().get("ticks").asInt()).isEqualTo(2);
    assertThat(second.json().get("leftOut").asInt()).isEqualTo(2);
    awaitLines(ledger, 8);
    awaitDone("bf-ledger");

    List<String> lines = Files.readAllLines(ledger);
    List<String> ticks = lines.stream().map(l -> l.split(" ")[0]).toList();
    assertThat(ticks)
        .containsExactlyInAnyOrderElementsOf(
            IntStream.range(0, 8)
                .mapToObj(h -> NOV_1.plus(Duration.ofHours(h)).toString())
                .toList());
    assertThat(lines.stream().map(l -> l.split(" ")[1])).doesNotHaveDuplicates();
    // The queued ones ran in order.
    assertThat(ticks.subList(0, 6)).isSorted();
  }

  private static void awaitDone(String job) {
    Await.until(
        Duration.ofSeconds(20),
        "the backfill done",
        () -> !api.get("/jobs/" + job).json().get("backfill").get("going").asBoolean());
  }

  private static void awaitLines(Path ledger, int n) {
    Await.until(
        Duration.ofSeconds(30),
        n + " ledger lines",
        () -> {
          try {
            return Files.exists(ledger) && Files.readAllLines(ledger).size() >= n;
          } catch (java.io.IOException e) {
            return false;
          }
        });
  }
}
