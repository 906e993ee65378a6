package io.distcron;

import static io.distcron.Await.every;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Node labels and job targets on three labelled nodes in one JVM (one PostgreSQL schema): every
 * node knows every executor's labels; a job targeted at a zone runs only on that zone's nodes, a
 * job pinned to a host only there; a job pinned to a host that is not in the cluster fails naming
 * its selector, is retried per its policy, and runs once the host joins.
 */
class PlacementClusterTest {
  private static final String HOST = "127.0.0.1";
  private static final List<String> LABELS =
      List.of("zone=eu1,host=web1", "zone=eu1,host=web2", "zone=us1,host=web3", "host=web4");

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
  void runsGoOnlyToTheExecutorsTheirTargetSelects() throws Exception {
    Map<String, Object> db = TestNodes.dbConfig("postgres", "placement");
    int[] ports = TestNodes.freePorts(4);
    List<String> seeds = List.of("pekko://distcron@" + HOST + ":" + ports[0]);
    Node first = start(db, seeds, ports[0], LABELS.get(0));
    ExecutorService starters = Executors.newFixedThreadPool(2);
    CompletableFuture<Node> second =
        CompletableFuture.supplyAsync(() -> start(db, seeds, ports[1], LABELS.get(1)), starters);
    CompletableFuture<Node> third =
        CompletableFuture.supplyAsync(() -> start(db, seeds, ports[2], LABELS.get(2)), starters);
    second.join();
    third.join();
    starters.shutdown();
    String[] address = new String[4];
    for (int i = 0; i < 4; i++) address[i] = HOST + ":" + ports[i];
    ApiClient api = new ApiClient(first.apiUrl());
    Await.until(
        Duration.ofSeconds(40),
        "3 members Up, each with its labels",
        every(() -> labelsByNode(api).size() == 3));
    assertThat(labelsByNode(api))
        .containsEntry(address[0], Map.of("zone", "eu1", "host", "web1"))
        .containsEntry(address[1], Map.of("zone", "eu1", "host", "web2"))
        .containsEntry(address[2], Map.of("zone", "us1", "host", "web3"));

    create(api, "in-eu1", "* * * * * ?", "{\"nodeSelector\": {\"zone\": \"eu1\"}}", null);
    create(api, "on-web3", "* * * * * ?", "{\"nodeSelector\": {\"host\": \"web3\"}}", null);
    String retry = "{\"maxAttempts\": 30, \"backoff\": \"PT1S\", \"multiplier\": 1.0}";
    create(api, "on-web4", "@hourly", "{\"nodeSelector\": {\"host\": \"web4\"}}", retry);
    assertThat(api.post("/jobs/on-web4/trigger", "").status()).isEqualTo(202);

    Await.until(
        Duration.ofSeconds(30),
        "6 runs of each targeted job SUCCEEDED",
        every(() -> succeeded(api, "in-eu1").size() >= 6 && succeeded(api, "on-web3").size() >= 6));
    // Every run that went anywhere (started, running, or refused by a full node) went to a match.
    assertThat(runs(api, "in-eu1"))
        .filteredOn(r -> !r.get("node").isNull())
        .extracting(r -> r.get("node").asText())
        .isNotEmpty()
        .allSatisfy(n -> assertThat(n).isIn(address[0], address[1]));
    assertThat(runs(api, "on-web3"))
        .filteredOn(r -> !r.get("node").isNull())
        .extracting(r -> r.get("node").asText())
        .isNotEmpty()
        .allSatisfy(n -> assertThat(n).isEqualTo(address[2]));

    // The pinned host is not in the cluster: each attempt fails naming the selector, and is
    // retried.
    Await.until(
        Duration.ofSeconds(20),
        "2 failed attempts of on-web4",
        every(() -> failed(api, "on-web4").size() >= 2));
    List<JsonNode> failed = failed(api, "on-web4");
    assertThat(failed)
        .allSatisfy(
            r -> {
              assertThat(r.get("message").asText())
                  .isEqualTo("no executor matches target {host=web4}");
              assertThat(r.get("node").isNull()).isTrue();
            });
    assertThat(failed).extracting(r -> r.get("attempt").asInt()).contains(1, 2);
    assertThat(failed).extracting(r -> r.get("reason").asText()).contains("MANUAL", "RETRY");

    // The host joins (a pinned host back from maintenance): the next retry runs there.
    start(db, seeds, ports[3], LABELS.get(3));
    Await.until(
        Duration.ofSeconds(40),
        "on-web4 SUCCEEDED on web4",
        every(() -> !succeeded(api, "on-web4").isEmpty()));
    JsonNode ran = succeeded(api, "on-web4").get(0);
    assertThat(ran.get("node").asText()).isEqualTo(address[3]);
    assertThat(ran.get("reason").asText()).isEqualTo("RETRY");
    List<JsonNode> all = runs(api, "on-web4");
    assertThat(all)
        .as("every attempt of the one tick, one record each")
        .extracting(r -> r.get("attempt").asInt())
        .doesNotHaveDuplicates()
        .hasSize(ran.get("attempt").asInt());
  }

  private static void create(
      ApiClient api, String name, String schedule, String target, String retry) {
    String spec =
        """
        {"name": "%s", "schedule": "%s", "shell": {"command": "echo $DISTCRON_JOB"},
         "target": %s, "retry": %s}
        """
            .formatted(name, schedule, target, retry);
    ApiClient.Response r = api.post("/jobs", spec);
    assertThat(r.status()).as(r.body()).isEqualTo(201);
  }

  private Node start(Map<String, Object> db, List<String> seeds, int port, String labels) {
    Map<String, Object> extra = new HashMap<>();
    extra.put("pekko.cluster.seed-nodes", seeds);
    extra.put("pekko.remote.artery.canonical.port", port);
    extra.put("distcron.node.labels", labels);
    extra.put("distcron.executor.drain-grace", "2s");
    try {
      Node node = TestNodes.start(db, extra);
      synchronized (nodes) {
        nodes.add(node);
      }
      return node;
    } catch (Exception e) {
      throw new IllegalStateException("node on port " + port + " did not start", e);
    }
  }

  /** The Up members whose labels this node knows. */
  private static Map<String, Map<String, String>> labelsByNode(ApiClient api) {
    Map<String, Map<String, String>> labels = new HashMap<>();
    for (JsonNode n : api.get("/nodes").json().get("items")) {
      if (!n.get("status").asText().equals("Up") || !n.get("labels").isObject()) continue;
      Map<String, String> l = new HashMap<>();
      n.get("labels").properties().forEach(e -> l.put(e.getKey(), e.getValue().asText()));
      labels.put(n.get("address").asText(), l);
    }
    return labels;
  }

  private static List<JsonNode> runs(ApiClient api, String job) {
    List<JsonNode> all = new ArrayList<>();
    api.get("/jobs/" + job + "/runs?limit=500").json().get("items").forEach(all::add);
    return all;
  }

  private static List<JsonNode> succeeded(ApiClient api, String job) {
    return runs(api, job).stream()
        .filter(r -> r.get("status").asText().equals("SUCCEEDED"))
        .toList();
  }

  private static List<JsonNode> failed(ApiClient api, String job) {
    return runs(api, job).stream().filter(r -> r.get("status").asText().equals("FAILED")).toList();
  }
}
