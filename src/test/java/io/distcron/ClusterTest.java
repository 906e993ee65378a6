package io.distcron;

import static io.distcron.Await.every;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Three nodes in one JVM on one PostgreSQL schema: jobs created through one node are spread over
 * the cluster and served by every node; a node at capacity gets no further runs; and when a node
 * leaves, the jobs it hosted move to the others and keep firing.
 */
class ClusterTest {
  private static final int JOBS = 12;
  private static final String HOST = "127.0.0.1";

  private final List<Node> nodes = new ArrayList<>();
  private final long startNanos = System.nanoTime();

  @AfterEach
  void stopNodes() {
    // One by one, newest first: each leaves while the others can still take its shards.
    for (int i = nodes.size() - 1; i >= 0; i--) closeQuietly(nodes.get(i));
  }

  @Test
  void jobsSpreadOverTheClusterAvoidAFullNodeAndSurviveANodeLeaving() throws Exception {
    Map<String, Object> db = TestNodes.dbConfig("postgres", "cluster");
    int[] ports = TestNodes.freePorts(3);
    List<String> seeds = List.of("pekko://distcron@" + HOST + ":" + ports[0]);
    // Node 3 takes one run at a time: it is the one the placement part fills up.
    Node first = start(db, seeds, ports[0], 16);
    ExecutorService starters = Executors.newFixedThreadPool(2);
    CompletableFuture<Node> second =
        CompletableFuture.supplyAsync(() -> start(db, seeds, ports[1], 16), starters);
    CompletableFuture<Node> third =
        CompletableFuture.supplyAsync(() -> start(db, seeds, ports[2], 1), starters);
    Node node2 = second.join();
    Node node3 = third.join();
    starters.shutdown();
    String[] address = {HOST + ":" + ports[0], HOST + ":" + ports[1], HOST + ":" + ports[2]};
    ApiClient api1 = new ApiClient(first.apiUrl());
    ApiClient api2 = new ApiClient(node2.apiUrl());
    ApiClient api3 = new ApiClient(node3.apiUrl());
    for (ApiClient api : List.of(api1, api2, api3)) {
      Await.until(Duration.ofSeconds(40), "3 members Up", every(() -> upMembers(api).size() == 3));
    }
    assertThat(upMembers(api1)).containsExactlyInAnyOrder(address);
    step("3 members Up");

    List<String> jobs = IntStream.rangeClosed(1, JOBS).mapToObj(i -> "echo-" + i).toList();
    ExecutorService creators = Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<ApiClient.Response>> created = new ArrayList<>();
      for (String job : jobs) {
        String spec =
            """
            {"name": "%s", "schedule": "* * * * * ?", "shell": {"command": "echo $DISTCRON_JOB"}}
            """
                .formatted(job);
        created.add(CompletableFuture.supplyAsync(() -> api1.post("/jobs", spec), creators));
      }
      created.forEach(c -> assertThat(c.join().status()).isEqualTo(201));
    } finally {
      creators.shutdownNow();
    }

    // Runs land on more than one node, and every job fires.
    Await.until(
        Duration.ofSeconds(20),
        "every job SUCCEEDED, runs on 2+ nodes",
        every(
            () ->
                jobs.stream().allMatch(j -> !succeeded(api1, j, Instant.EPOCH).isEmpty())
                    && jobs.stream()
                            .flatMap(j -> runs(api1, j).stream())
                            .map(r -> r.path("node").asText(""))
                            .filter(n -> !n.isEmpty())
                            .distinct()
                            .count()
                        > 1));
    step("jobs created and firing on 2+ nodes");
    JsonNode echoRun = succeeded(api1, "echo-1", Instant.EPOCH).get(0);
    assertThat(api1.get("/runs/" + echoRun.get("id").asText() + "/output").body())
        .isEqualTo("echo-1\n");

    // Any node's API serves any job, wherever its entity lives.
    for (String job : jobs) {
      ApiClient.Response r = api3.get("/jobs/" + job);
      assertThat(r.status()).as("GET /jobs/%s on node 3", job).isEqualTo(200);
      assertThat(r.json().get("name").asText()).isEqualTo(job);
    }
    assertThat(api2.get("/jobs?limit=100").json().get("items")).hasSize(JOBS);

    // Placement: fill node 3 (capacity 1) with a long run; runs fired after that go elsewhere.
    String occupy =
        """
        {"name": "occupy", "schedule": "@hourly", "enabled": false, "overlap": "ALLOW",
         "shell": {"command": "sleep 30"}}
        """;
    assertThat(api1.post("/jobs", occupy).status()).isEqualTo(201);
    Instant occupiedSince = occupy(api1, address[2]);
    step("node 3 at capacity");
    Instant after = occupiedSince.plusSeconds(1);
    Await.until(
        Duration.ofSeconds(15),
        "every job ran again after node 3 was full",
        every(() -> jobs.stream().allMatch(j -> !startedAfter(api1, j, after).isEmpty())));
    List<JsonNode> placed = new ArrayList<>();
    jobs.forEach(j -> placed.addAll(startedAfter(api1, j, after)));
    assertThat(placed)
        .as("runs started while node 3 was at capacity")
        .allSatisfy(r -> assertThat(r.get("node").asText()).isNotEqualTo(address[2]));
    assertThat(nodeView(api1, address[2]).path("capacity").asInt()).isEqualTo(1);
    for (JsonNode r : runs(api1, "occupy")) {
      if (r.get("status").asText().equals("RUNNING"))
        api1.post("/runs/" + r.get("id").asText() + "/kill", "");
    }

    step("runs placed on nodes 1 and 2 only");

    // Node 2 leaves: the jobs it hosted restart on nodes 1 and 3, and every job keeps firing.
    nodes.remove(node2);
    node2.close();
    Instant stopped = Instant.now();
    step("node 2 stopped");
    Await.until(Duration.ofSeconds(15), "node 2 gone", every(() -> upMembers(api1).size() == 2));
    Await.until(
        Duration.ofSeconds(20),
        "every job SUCCEEDED again after node 2 left",
        every(() -> jobs.stream().allMatch(j -> !succeeded(api3, j, stopped).isEmpty())));
    for (String job : jobs) {
      assertThat(succeeded(api1, job, stopped))
          .allSatisfy(r -> assertThat(r.get("node").asText()).isIn(address[0], address[2]));
      List<String> ticks = new ArrayList<>();
      runs(api1, job).forEach(r -> ticks.add(r.get("scheduledAt").asText()));
      assertThat(ticks).as("ticks of %s", job).doesNotHaveDuplicates();
    }
    step("every job fired again on nodes 1 and 3");
  }

  private void step(String what) {
    System.out.printf(
        "ClusterTest +%ds: %s%n", (System.nanoTime() - startNanos) / 1_000_000_000L, what);
  }

  /**
   * Triggers the occupying job until one of its runs is RUNNING on {@code node}; returns its start.
   */
  private static Instant occupy(ApiClient api, String node) {
    Instant[] since = new Instant[1];
    Await.until(
        Duration.ofSeconds(30),
        "a long run RUNNING on " + node,
        every(
            () -> {
              Optional<JsonNode> there =
                  runs(api, "occupy").stream()
                      .filter(r -> r.get("status").asText().equals("RUNNING"))
                      .filter(r -> r.get("node").asText().equals(node))
                      .findFirst();
              if (there.isPresent()) {
                since[0] = Instant.parse(there.get().get("startedAt").asText());
                return true;
              }
              // A run that landed elsewhere would hold its node for 30 s: kill it and try again.
              // Each trigger goes to the least-loaded node, which node 3 is whenever it is idle.
              boolean pending = false;
              for (JsonNode r : runs(api, "occupy")) {
                String status = r.get("status").asText();
                if (status.equals("PENDING")) pending = true;
                if (status.equals("RUNNING"))
                  api.post("/runs/" + r.get("id").asText() + "/kill", "");
              }
              if (!pending) api.post("/jobs/occupy/trigger", "");
              return false;
            }));
    return since[0];
  }

  private Node start(Map<String, Object> db, List<String> seeds, int port, int capacity) {
    Map<String, Object> extra = new HashMap<>();
    extra.put("pekko.cluster.seed-nodes", seeds);
    extra.put("pekko.remote.artery.canonical.port", port);
    extra.put("distcron.executor.capacity", capacity);
    // Leaving must not wait 30 s for a sleeping run.
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

  private static Set<String> upMembers(ApiClient api) {
    Set<String> up = new HashSet<>();
    api.get("/nodes")
        .json()
        .get("items")
        .forEach(
            n -> {
              if (n.get("status").asText().equals("Up")) up.add(n.get("address").asText());
            });
    return up;
  }

  private static JsonNode nodeView(ApiClient api, String address) {
    for (JsonNode n : api.get("/nodes").json().get("items")) {
      if (n.get("address").asText().equals(address)) return n;
    }
    throw new AssertionError("no member " + address);
  }

  private static List<JsonNode> runs(ApiClient api, String job) {
    List<JsonNode> all = new ArrayList<>();
    api.get("/jobs/" + job + "/runs?limit=100").json().get("items").forEach(all::add);
    return all;
  }

  private static List<JsonNode> succeeded(ApiClient api, String job, Instant scheduledAfter) {
    return runs(api, job).stream()
        .filter(r -> r.get("status").asText().equals("SUCCEEDED"))
        .filter(r -> Instant.parse(r.get("scheduledAt").asText()).isAfter(scheduledAfter))
        .toList();
  }

  private static List<JsonNode> startedAfter(ApiClient api, String job, Instant scheduledAfter) {
    return runs(api, job).stream()
        .filter(r -> !r.path("startedAt").isNull() && !r.path("node").isNull())
        .filter(r -> Instant.parse(r.get("scheduledAt").asText()).isAfter(scheduledAfter))
        .toList();
  }

  private static void closeQuietly(Node node) {
    try {
      node.close();
    } catch (Exception e) {
      // the test's outcome is decided already
    }
  }
}
