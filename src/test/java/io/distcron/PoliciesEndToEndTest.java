package io.distcron;

import static io.distcron.RunLog.count;
import static io.distcron.RunLog.instant;
import static io.distcron.RunLog.reason;
import static io.distcron.RunLog.runs;
import static io.distcron.RunLog.status;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The execution policies end to end: real in-process nodes, jobs defined over the HTTP API, and
 * assertions on the run history the API shows (and, for kill, on the processes left on the
 * machine).
 */
class PoliciesEndToEndTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "policies"), Map.of());
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private static String everySecond(String name, String overlap, String command) {
    return """
           {"name": "%s", "schedule": "* * * * * ?", "overlap": "%s", "shell": {"command": "%s"}}
           """
        .formatted(name, overlap, command);
  }

  private static void create(String body) {
    RunLog.define(api, body);
  }

  private static void delete(String job) {
    assertThat(api.delete("/jobs/" + job).status()).isEqualTo(204);
  }

  private static String trigger(String job) {
    ApiClient.Response r = api.post("/jobs/" + job + "/trigger", "");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("runId").asText();
  }

  private static JsonNode run(String id) {
    ApiClient.Response r = api.get("/runs/" + id);
    assertThat(r.status()).as(r.body()).isEqualTo(200);
    return r.json();
  }

  /** Runs that went to a process and ended, oldest start first. */
  private static List<JsonNode> executed(List<JsonNode> runs) {
    return runs.stream()
        .filter(r -> instant(r, "startedAt") != null && instant(r, "finishedAt") != null)
        .sorted(Comparator.comparing(r -> instant(r, "startedAt")))
        .toList();
  }

  /** No two executed runs were alive at the same moment. */
  private static void assertNoOverlap(List<JsonNode> runs) {
    List<JsonNode> done = executed(runs);
    for (int i = 1; i < done.size(); i++) {
      Instant prevEnd = instant(done.get(i - 1), "finishedAt");
      Instant start = instant(done.get(i), "startedAt");
      assertThat(start)
          .as(
              "run %s started before run %s ended",
              done.get(i).get("id"), done.get(i - 1).get("id"))
          .isAfterOrEqualTo(prevEnd);
    }
  }

  // ---- overlap

  @Test
  void skipRecordsTicksDuringALongRunAsSkippedAndNeverRunsTwoAtOnce() {
    create(everySecond("ov-skip", "SKIP", "sleep 2.5"));
    try {
      AtomicInteger maxRunning = new AtomicInteger();
      Await.until(
          WAIT,
          "2 runs done and 2 ticks skipped",
          () -> {
            List<JsonNode> rs = runs(api, "ov-skip");
            maxRunning.accumulateAndGet((int) count(rs, "RUNNING"), Math::max);
            long skipped =
                rs.stream()
                    .filter(r -> status(r).equals("SKIPPED"))
                    .filter(r -> "previous run still active".equals(r.path("message").asText()))
                    .count();
            return count(rs, "SUCCEEDED") >= 2 && skipped >= 2;
          });
      List<JsonNode> rs = runs(api, "ov-skip");
      assertThat(maxRunning.get()).as("RUNNING at once").isLessThanOrEqualTo(1);
      assertNoOverlap(rs);
      assertThat(RunLog.everySecondOnce(rs)).isEmpty();
    } finally {
      delete("ov-skip");
    }
  }

  /**
   * Judged from what ran: each run appends its tick and the moment it really started to a file. The
   * ticks are the job's hashed slots of every 3 seconds, each once; each run started after its tick
   * by the jitter its record shows, and soon after that.
   */
  @Test
  void hashedJitteredRunsStartOnTheirSlotAfterTheirDelay(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path ledger = dir.resolve("ledger");
    String command = "echo $DISTCRON_SCHEDULED_AT $(date +%s%3N) >> " + ledger;
    create(
        """
        {"name": "spread-e2e", "schedule": "H/3 * * * * ?", "jitter": "PT2S",
         "shell": {"command": "%s"}}
        """
            .formatted(command));
    try {
      long slot =
          Instant.parse(api.get("/jobs/spread-e2e").json().get("nextFireTimes").get(0).asText())
                  .getEpochSecond()
              % 3;
      Await.until(WAIT, "4 runs in the ledger", () -> ledgerLines(ledger).size() >= 4);
      List<String> lines = ledgerLines(ledger);
      Set<Instant> ticks = new java.util.HashSet<>();
      for (String line : lines) {
        String[] parts = line.split(" ");
        Instant tick = Instant.parse(parts[0]);
        Instant started = Instant.ofEpochMilli(Long.parseLong(parts[1]));
        assertThat(ticks.add(tick)).as("tick %s ran once", tick).isTrue();
        assertThat(tick.getEpochSecond() % 3).as("slot of %s", tick).isEqualTo(slot);
        // The history follows the events a moment later.
        Await.until(WAIT, "the run of " + tick, () -> runOf("spread-e2e", tick).isPresent());
        JsonNode run = runOf("spread-e2e", tick).orElseThrow();
        Duration jitter = Duration.parse(run.get("jitter").asText());
        assertThat(jitter).isLessThan(Duration.ofSeconds(2));
        assertThat(started).isAfterOrEqualTo(tick.plus(jitter));
        assertThat(Duration.between(tick.plus(jitter), started)).isLessThan(Duration.ofSeconds(2));
      }
    } finally {
      delete("spread-e2e");
    }
  }

  private static java.util.Optional<JsonNode> runOf(String job, Instant tick) {
    return runs(api, job).stream().filter(r -> tick.equals(instant(r, "scheduledAt"))).findFirst();
  }

  private static List<String> ledgerLines(java.nio.file.Path ledger) {
    try {
      return java.nio.file.Files.exists(ledger)
          ? java.nio.file.Files.readAllLines(ledger)
          : List.of();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void allowStartsEveryTickEvenWhileARunIsGoing() {
    create(everySecond("ov-allow", "ALLOW", "sleep 2.5"));
    try {
      Await.until(
          WAIT, "2 runs RUNNING at once", () -> count(runs(api, "ov-allow"), "RUNNING") >= 2);
      List<JsonNode> rs = runs(api, "ov-allow");
      assertThat(count(rs, "SKIPPED")).isZero();
    } finally {
      delete("ov-allow");
    }
  }

  @Test
  void queueOneHoldsAtMostOneWaitingRunAndRunsThemBackToBack() {
    create(everySecond("ov-queue", "QUEUE_ONE", "sleep 2.5"));
    try {
      AtomicInteger maxWaiting = new AtomicInteger();
      Await.until(
          WAIT,
          "3 runs done",
          () -> {
            List<JsonNode> rs = runs(api, "ov-queue");
            long waiting =
                rs.stream()
                    .filter(r -> status(r).equals("PENDING"))
                    .filter(r -> r.get("node").isNull() && r.get("startedAt").isNull())
                    .count();
            maxWaiting.accumulateAndGet((int) waiting, Math::max);
            return count(rs, "SUCCEEDED") >= 3;
          });
      List<JsonNode> rs = runs(api, "ov-queue");
      assertThat(maxWaiting.get()).as("runs waiting at once").isEqualTo(1);
      // From the recorded start and end of each run: a snapshot could catch the previous run's
      // final write still in flight when the next one's RUNNING lands.
      assertNoOverlap(rs);
      // Each run after the first was a tick that came while the one before it ran, and it started
      // as soon as that one ended (rather than at a later tick).
      List<JsonNode> done = executed(rs);
      for (int i = 1; i < done.size(); i++) {
        JsonNode prev = done.get(i - 1);
        JsonNode next = done.get(i);
        assertThat(instant(next, "scheduledAt")).isBefore(instant(prev, "finishedAt"));
        Duration gap = Duration.between(instant(prev, "finishedAt"), instant(next, "startedAt"));
        assertThat(gap).as("gap between queued runs").isLessThan(Duration.ofMillis(1500));
      }
      assertThat(
              rs.stream()
                  .filter(r -> status(r).equals("SKIPPED"))
                  .map(r -> r.path("message").asText())
                  .distinct()
                  .toList())
          .containsExactly("a run is already queued");
      assertThat(RunLog.everySecondOnce(rs)).isEmpty();
    } finally {
      delete("ov-queue");
    }
  }

  @Test
  void replaceKillsTheActiveRunThenStartsTheNewOne() {
    create(everySecond("ov-replace", "REPLACE", "sleep 2.5"));
    try {
      // Every killed run is followed by one that started once it was gone.
      Await.until(
          WAIT,
          "2 KILLED runs, each replaced",
          () -> {
            List<JsonNode> rs = runs(api, "ov-replace");
            List<JsonNode> killed = rs.stream().filter(r -> status(r).equals("KILLED")).toList();
            return killed.size() >= 2
                && killed.stream()
                    .allMatch(
                        k ->
                            rs.stream()
                                .map(r -> instant(r, "startedAt"))
                                .anyMatch(t -> t != null && !t.isBefore(instant(k, "finishedAt"))));
          });
      List<JsonNode> rs = runs(api, "ov-replace");
      assertThat(count(rs, "SUCCEEDED")).as("a run never lives to the end").isZero();
      assertThat(
              rs.stream()
                  .filter(r -> status(r).equals("KILLED"))
                  .map(r -> r.get("message").asText()))
          .containsOnly("killed");
      assertNoOverlap(rs);
    } finally {
      delete("ov-replace");
    }
  }

  @Test
  void deletingAJobLeavesNoRunPendingOrRunningForever() {
    create(everySecond("ov-delete", "QUEUE_ONE", "sleep 2.5"));
    Await.until(
        WAIT,
        "a run going and one waiting",
        () -> {
          List<JsonNode> rs = runs(api, "ov-delete");
          return count(rs, "RUNNING") == 1
              && rs.stream().anyMatch(r -> status(r).equals("PENDING") && r.get("node").isNull());
        });
    delete("ov-delete");
    Await.until(
        WAIT,
        "every run of the deleted job ended",
        () -> runs(api, "ov-delete").stream().allMatch(PoliciesEndToEndTest::isTerminal));
    List<JsonNode> rs = runs(api, "ov-delete");
    assertThat(count(rs, "KILLED"))
        .as("the running one and the waiting one")
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void aRunStillGoingWhenItsNodeShutsDownEndsLostAndIsRetriedAfterTheRestart() throws Exception {
    Map<String, Object> database = TestNodes.dbConfig("h2", "inflight");
    // Runs get this long to finish when the node shuts down; then they are reported LOST.
    Map<String, Object> shortDrain = Map.of("distcron.executor.drain-grace", "1s");
    String marker = "20." + ThreadLocalRandom.current().nextInt(1000, 9999) + "3";
    String id;
    try {
      try (Node first = TestNodes.start(database, shortDrain)) {
        ApiClient a = new ApiClient(first.apiUrl());
        RunLog.define(
            a,
            """
            {"name": "in-flight", "schedule": "@yearly", "shell": {"command": "sleep %s"},
             "retry": {"maxAttempts": 2, "backoff": "PT1S"}}
            """
                .formatted(marker));
        id = a.post("/jobs/in-flight/trigger", "").json().get("runId").asText();
        Await.until(
            WAIT,
            "the run RUNNING",
            () ->
                a.get("/runs/" + id).status() == 200
                    && status(a.get("/runs/" + id).json()).equals("RUNNING"));
      }
      Await.until(
          Duration.ofSeconds(10),
          "the abandoned run's process gone",
          () -> RunLog.processesWith("sleep " + marker).isEmpty());

      try (Node second = TestNodes.start(database, shortDrain)) {
        ApiClient a = new ApiClient(second.apiUrl());
        // Its end was persisted by the first node; the read side shows it once it catches up.
        Await.until(WAIT, "the run LOST", () -> status(a.get("/runs/" + id).json()).equals("LOST"));
        JsonNode lost = a.get("/runs/" + id).json();
        assertThat(lost.get("message").asText()).contains("shut down");
        // The job comes back by itself (remember-entities) and starts the retry it had queued.
        Await.until(
            WAIT,
            "the retry started on the new node",
            () ->
                runs(a, "in-flight").stream()
                    .anyMatch(r -> "RETRY".equals(reason(r)) && status(r).equals("RUNNING")));
        List<JsonNode> retries =
            runs(a, "in-flight").stream().filter(r -> "RETRY".equals(reason(r))).toList();
        assertThat(retries).hasSize(1);
        assertThat(retries.get(0).get("attempt").asInt()).isEqualTo(2);
        assertThat(retries.get(0).get("scheduledAt").asText())
            .isEqualTo(lost.get("scheduledAt").asText());
      }
    } finally {
      for (long pid : RunLog.processesWith("sleep " + marker)) {
        ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
      }
    }
  }

  // ---- catch-up

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "postgres"})
  void catchUpDecidesEveryTickMissedWhileTheNodeWasDown(String db) throws Exception {
    Map<String, Object> database = TestNodes.dbConfig(db, "catchup_" + db);
    // name -> catchUp
    Map<String, String> jobs =
        Map.of(
            "cu-all", "{\"policy\": \"ALL\", \"window\": \"PT1H\", \"maxRuns\": 100}",
            "cu-latest", "{\"policy\": \"LATEST\", \"window\": \"PT1H\", \"maxRuns\": 100}",
            "cu-none", "{\"policy\": \"NONE\", \"window\": \"PT1H\", \"maxRuns\": 100}",
            "cu-max", "{\"policy\": \"ALL\", \"window\": \"PT1H\", \"maxRuns\": 2}",
            "cu-window", "{\"policy\": \"ALL\", \"window\": \"PT3S\", \"maxRuns\": 100}");
    Instant downSince;
    try (Node first = TestNodes.start(database, Map.of())) {
      ApiClient a = new ApiClient(first.apiUrl());
      jobs.forEach(
          (name, catchUp) ->
              RunLog.define(
                  a,
                  """
                  {"name": "%s", "schedule": "* * * * * ?", "noop": {}, "catchUp": %s}
                  """
                      .formatted(name, catchUp)));
      Await.until(
          WAIT,
          "3 ticks of each job",
          () -> jobs.keySet().stream().allMatch(j -> count(runs(a, j), "SUCCEEDED") >= 3));
    }
    downSince = Instant.now();
    Instant target = downSince.plusSeconds(4);
    Await.until(Duration.ofSeconds(10), "4 s of downtime", () -> Instant.now().isAfter(target));

    try (Node second = TestNodes.start(database, Map.of())) {
      ApiClient a = new ApiClient(second.apiUrl());
      // Only the run store is read: the jobs must come back by themselves (remember-entities).
      Await.until(
          WAIT,
          "2 scheduled ticks of each job after the restart",
          () ->
              jobs.keySet().stream()
                  .allMatch(
                      j ->
                          runs(a, j).stream()
                                  .filter(r -> "SCHEDULE".equals(reason(r)))
                                  .filter(r -> status(r).equals("SUCCEEDED"))
                                  .filter(r -> instant(r, "scheduledAt").isAfter(target))
                                  .count()
                              >= 2));

      for (String job : jobs.keySet()) {
        List<JsonNode> rs = runs(a, job);
        assertThat(RunLog.everySecondOnce(rs)).as(job + ": one run per second").isEmpty();
        List<JsonNode> missed =
            rs.stream()
                .filter(r -> "CATCHUP".equals(reason(r)) || status(r).equals("SKIPPED"))
                .toList();
        assertThat(missed.size()).as(job + ": ticks missed while down").isGreaterThanOrEqualTo(4);
        long caughtUp = missed.stream().filter(r -> "CATCHUP".equals(reason(r))).count();
        List<JsonNode> skipped = missed.stream().filter(r -> status(r).equals("SKIPPED")).toList();
        List<Instant> caughtUpTicks =
            missed.stream()
                .filter(r -> "CATCHUP".equals(reason(r)))
                .map(r -> instant(r, "scheduledAt"))
                .toList();
        List<Instant> skippedTicks = skipped.stream().map(r -> instant(r, "scheduledAt")).toList();
        Instant oldestCaughtUp = caughtUpTicks.stream().min(Instant::compareTo).orElse(Instant.MAX);
        switch (job) {
          case "cu-all" -> {
            assertThat(skipped).as(job).isEmpty();
            assertThat(caughtUp).isEqualTo(missed.size());
          }
          case "cu-latest" -> {
            assertThat(caughtUp).as(job).isEqualTo(1);
            Instant newestMissed =
                missed.stream().map(r -> instant(r, "scheduledAt")).max(Instant::compareTo).get();
            assertThat(
                    missed.stream()
                        .filter(r -> "CATCHUP".equals(reason(r)))
                        .map(r -> instant(r, "scheduledAt"))
                        .toList())
                .containsExactly(newestMissed);
            assertThat(skipped)
                .allSatisfy(
                    r ->
                        assertThat(r.get("message").asText())
                            .isEqualTo("catch-up: only the latest missed tick runs"));
          }
          case "cu-none" -> {
            assertThat(caughtUp).as(job).isZero();
            assertThat(skipped)
                .allSatisfy(
                    r -> assertThat(r.get("message").asText()).isEqualTo("catch-up: policy NONE"));
          }
          case "cu-max" -> {
            // The newest maxRuns fire; the older ones are skipped, saying why.
            assertThat(caughtUpTicks).as(job).hasSize(2);
            assertThat(skippedTicks).allSatisfy(t -> assertThat(t).isBefore(oldestCaughtUp));
            assertThat(skipped)
                .allSatisfy(
                    r ->
                        assertThat(r.get("message").asText())
                            .isEqualTo("catch-up: more than maxRuns (2) ticks were missed"));
          }
          case "cu-window" -> {
            // Ticks within 3 s of the recovery fire: 3 or 4 whole seconds; older ones are skipped.
            assertThat(caughtUpTicks.size()).as(job).isBetween(3, 4);
            assertThat(skipped).as(job).isNotEmpty();
            assertThat(skippedTicks).allSatisfy(t -> assertThat(t).isBefore(oldestCaughtUp));
            assertThat(skipped)
                .allSatisfy(
                    r ->
                        assertThat(r.get("message").asText())
                            .isEqualTo("catch-up: missed by more than the window (PT3S)"));
          }
          default -> throw new AssertionError(job);
        }
        assertThat(missed)
            .as(job + ": caught-up runs ran")
            .filteredOn(r -> "CATCHUP".equals(reason(r)))
            .allSatisfy(r -> assertThat(status(r)).isEqualTo("SUCCEEDED"));
      }
    }
  }

  // ---- retries

  @Test
  void aFailedRunIsRetriedWithTheSameTickGrowingBackoffAndReasonRetry() {
    create(
        """
        {"name": "retry-me", "schedule": "@yearly", "shell": {"command": "exit 3"},
         "retry": {"maxAttempts": 3, "backoff": "PT1S", "multiplier": 2.0}}
        """);
    try {
      trigger("retry-me");
      Await.until(WAIT, "3 FAILED attempts", () -> count(runs(api, "retry-me"), "FAILED") >= 3);
      List<JsonNode> rs =
          runs(api, "retry-me").stream()
              .sorted(Comparator.comparing(r -> r.get("attempt").asInt()))
              .toList();
      assertThat(rs).hasSize(3);
      assertThat(rs.stream().map(r -> r.get("attempt").asInt())).containsExactly(1, 2, 3);
      assertThat(rs.stream().map(RunLog::reason)).containsExactly("MANUAL", "RETRY", "RETRY");
      assertThat(rs.stream().map(RunLog::status)).containsOnly("FAILED");
      assertThat(rs.stream().map(r -> r.get("exitCode").asInt())).containsOnly(3);
      assertThat(rs.stream().map(r -> r.get("scheduledAt").asText()).distinct()).hasSize(1);
      Duration first =
          Duration.between(instant(rs.get(0), "startedAt"), instant(rs.get(1), "startedAt"));
      Duration second =
          Duration.between(instant(rs.get(1), "startedAt"), instant(rs.get(2), "startedAt"));
      assertThat(first).isBetween(Duration.ofMillis(950), Duration.ofSeconds(6));
      assertThat(second).isBetween(Duration.ofMillis(1950), Duration.ofSeconds(9));
    } finally {
      delete("retry-me");
    }
  }

  // ---- kill

  @Test
  void killStopsTheWholeProcessTreeAndAnswers409Then404() {
    String marker = "300." + ThreadLocalRandom.current().nextInt(1000, 9999) + "7";
    create(
        """
        {"name": "kill-me", "schedule": "@yearly",
         "shell": {"command": "sh -c 'sleep %1$s & sleep %1$s; wait'"}}
        """
            .formatted(marker));
    try {
      String id = trigger("kill-me");
      Await.until(
          WAIT,
          "the run RUNNING with its children",
          () ->
              api.get("/runs/" + id).status() == 200
                  && status(run(id)).equals("RUNNING")
                  && RunLog.processesWith("sleep " + marker).size() >= 3);

      ApiClient.Response kill = api.post("/runs/" + id + "/kill", "");
      assertThat(kill.status()).as(kill.body()).isEqualTo(202);
      assertThat(kill.json().get("runId").asText()).isEqualTo(id);
      // Idempotent while the kill is under way.
      int again = api.post("/runs/" + id + "/kill", "").status();
      assertThat(again).isIn(202, 409);

      Await.until(WAIT, "the run KILLED", () -> status(run(id)).equals("KILLED"));
      assertThat(RunLog.processesWith("sleep " + marker)).as("processes left").isEmpty();
      assertThat(api.post("/runs/" + id + "/kill", "").status()).isEqualTo(409);
      ApiClient.Response unknown = api.post("/runs/no-such-run/kill", "");
      assertThat(unknown.status()).isEqualTo(404);
      assertThat(unknown.json().get("error").asText()).contains("no-such-run");
    } finally {
      delete("kill-me");
    }
  }

  // ---- HTTP action

  @Test
  void anHttpJobRecordsTheResponseAndFailsOn500TimesOutAndReportsARefusedPort() throws Exception {
    HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setExecutor(Executors.newCachedThreadPool());
    List<String> received = new CopyOnWriteArrayList<>();
    server.createContext(
        "/ok",
        ex -> {
          received.add(
              ex.getRequestMethod() + " " + new String(ex.getRequestBody().readAllBytes()));
          answer(ex, 200, "fine");
        });
    server.createContext("/fail", ex -> answer(ex, 500, "broken"));
    CountDownLatch release = new CountDownLatch(1);
    server.createContext(
        "/slow",
        ex -> {
          try {
            release.await(20, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          answer(ex, 200, "late");
        });
    server.start();
    int port = server.getAddress().getPort();
    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      closedPort = s.getLocalPort();
    }
    String job =
"""
{"name": "%s", "schedule": "@yearly",
 "http": {"url": "http://127.0.0.1:%d/%s", "method": "POST", "body": "x", "timeoutSeconds": 2}}
""";
    List<String> jobs = List.of("http-ok", "http-fail", "http-slow", "http-refused");
    try {
      create(job.formatted("http-ok", port, "ok"));
      create(job.formatted("http-fail", port, "fail"));
      create(job.formatted("http-slow", port, "slow"));
      create(job.formatted("http-refused", closedPort, "ok"));
      Map<String, String> ids = new java.util.HashMap<>();
      jobs.forEach(j -> ids.put(j, trigger(j)));
      Await.until(
          WAIT,
          "every HTTP run ended",
          () -> ids.values().stream().allMatch(id -> isTerminal(run(id))));

      JsonNode ok = run(ids.get("http-ok"));
      assertThat(status(ok)).as(ok.toString()).isEqualTo("SUCCEEDED");
      assertThat(ok.get("exitCode").asInt()).isEqualTo(200);
      assertThat(api.get("/runs/" + ids.get("http-ok") + "/output").body()).isEqualTo("fine");
      assertThat(received).containsExactly("POST x");

      JsonNode fail = run(ids.get("http-fail"));
      assertThat(status(fail)).as(fail.toString()).isEqualTo("FAILED");
      assertThat(fail.get("exitCode").asInt()).isEqualTo(500);
      assertThat(fail.get("message").asText()).contains("500");

      JsonNode slow = run(ids.get("http-slow"));
      assertThat(status(slow)).as(slow.toString()).isEqualTo("TIMED_OUT");
      assertThat(Duration.ofMillis(slow.get("durationMs").asLong()))
          .isBetween(Duration.ofMillis(1900), Duration.ofSeconds(10));

      JsonNode refused = run(ids.get("http-refused"));
      assertThat(status(refused)).as(refused.toString()).isEqualTo("FAILED");
      assertThat(refused.get("exitCode").isNull()).isTrue();
      assertThat(refused.get("message").asText()).contains("refused");
    } finally {
      release.countDown();
      server.stop(0);
      jobs.forEach(j -> api.delete("/jobs/" + j));
    }
  }

  private static void answer(HttpExchange ex, int status, String body) throws java.io.IOException {
    ex.getRequestBody().readAllBytes();
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(status, bytes.length);
    ex.getResponseBody().write(bytes);
    ex.close();
  }

  private static boolean isTerminal(JsonNode run) {
    return !List.of("PENDING", "RUNNING").contains(status(run));
  }

  // ---- live output

  @Test
  void followStreamsOutputWhileTheRunGoesAndEndsWithIt() throws Exception {
    create(
        """
        {"name": "follow-me", "schedule": "@yearly",
         "shell": {"command": "for i in 1 2 3; do echo line$i; sleep 1; done"}}
        """);
    try {
      String id = trigger("follow-me");
      Await.until(
          WAIT,
          "the run RUNNING",
          () -> api.get("/runs/" + id).status() == 200 && status(run(id)).equals("RUNNING"));

      HttpClient http = HttpClient.newHttpClient();
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(node.apiUrl() + "/runs/" + id + "/output?follow=true"))
              .timeout(Duration.ofSeconds(20))
              .build();
      HttpResponse<Stream<String>> response =
          http.sendAsync(request, HttpResponse.BodyHandlers.ofLines()).get(20, TimeUnit.SECONDS);
      assertThat(response.statusCode()).isEqualTo(200);
      Iterator<String> lines = response.body().iterator();
      String first = CompletableFuture.supplyAsync(lines::next).get(20, TimeUnit.SECONDS);
      assertThat(first).isEqualTo("line1");
      assertThat(status(run(id))).as("status when line1 was read").isEqualTo("RUNNING");

      List<String> rest =
          CompletableFuture.supplyAsync(
                  () -> {
                    List<String> all = new ArrayList<>();
                    lines.forEachRemaining(all::add);
                    return all;
                  })
              .get(20, TimeUnit.SECONDS);
      assertThat(rest).containsExactly("line2", "line3");
      assertThat(status(run(id))).isEqualTo("SUCCEEDED");
    } finally {
      delete("follow-me");
    }
  }

  // ---- retention

  @Test
  void retentionKeepsTheNewestRunsOfAJobAndDeletesTheOthersWithTheirOutput() throws Exception {
    Map<String, Object> database = TestNodes.dbConfig("h2", "retention");
    try (Node small =
        TestNodes.start(
            database,
            Map.of(
                "distcron.retention.max-runs-per-job", 3, "distcron.retention.interval", "1s"))) {
      ApiClient a = new ApiClient(small.apiUrl());
      RunLog.define(
          a,
          """
          {"name": "keep-few", "schedule": "@yearly", "shell": {"command": "echo out"}}
          """);
      List<String> ids = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        ApiClient.Response t = a.post("/jobs/keep-few/trigger", "");
        assertThat(t.status()).isEqualTo(202);
        String id = t.json().get("runId").asText();
        ids.add(id);
        Await.until(
            WAIT,
            "run " + i + " SUCCEEDED",
            () -> {
              ApiClient.Response r = a.get("/runs/" + id);
              return r.status() == 200 && status(r.json()).equals("SUCCEEDED");
            });
        if (i == 0) {
          assertThat(a.get("/runs/" + id + "/output").body()).isEqualTo("out\n");
          assertThat(outputChunks(database, id)).as("live output chunks stored").isPositive();
        }
      }
      List<String> newest = ids.subList(3, 6);
      Await.until(
          WAIT,
          "only the newest 3 runs left",
          () ->
              runs(a, "keep-few").stream()
                  .map(r -> r.get("id").asText())
                  .collect(Collectors.toSet())
                  .equals(Set.copyOf(newest)));
      for (String old : ids.subList(0, 3)) {
        assertThat(a.get("/runs/" + old).status()).isEqualTo(404);
        assertThat(a.get("/runs/" + old + "/output").status()).isEqualTo(404);
        assertThat(outputChunks(database, old)).as("output chunks of a deleted run").isZero();
      }
      for (String kept : newest) {
        assertThat(a.get("/runs/" + kept + "/output").body()).isEqualTo("out\n");
      }
    }
  }

  /** Rows of a run's live output, read straight from the (in-process H2) database. */
  private static int outputChunks(Map<String, Object> database, String runId) throws Exception {
    try (Connection c =
            DriverManager.getConnection(
                (String) database.get("distcron.db.url"),
                (String) database.get("distcron.db.user"),
                (String) database.get("distcron.db.password"));
        PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM run_output WHERE run_id = ?")) {
      ps.setString(1, runId);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }
}
