package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The built jar as three OS processes on one PostgreSQL schema, 60 jobs firing every second with
 * the {@code noop} action. Counts ticks in the run store: over each test window every nominal tick
 * of every job has exactly one run with reason SCHEDULE or CATCHUP — none missed, none twice —
 * through (a) a SIGKILL of one node and (b) a rolling restart of all three; (c) a shell run on a
 * SIGKILLed node ends LOST and its retry runs on another node. Each part prints its figures; node
 * logs are in {@code target/cluster-it/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterProcessIT {
  private static final Path JAR = Path.of("target", "distcron.jar");
  private static final Path LOGS = Path.of("target", "cluster-it");
  private static final String HOST = "127.0.0.1";
  private static final int NODES = 3;
  private static final int JOBS = 60;
  private static final String JOB_PREFIX = "tick-";

  /**
   * The issue's bound: a killed node's jobs fire again within this (measured: about 9 s, 7 of them
   * spent by the failure detector, the split brain resolver and the removal margin); {@code
   * -Ddistcron.it.maxFailoverGap=PT20S} allows for a machine too loaded to meet it.
   */
  private static final Duration MAX_FAILOVER_GAP =
      Duration.parse(System.getProperty("distcron.it.maxFailoverGap", "PT15S"));

  /** Three JVMs starting at once on a small machine are slow to get going. */
  private static final Duration START_TIMEOUT = Duration.ofSeconds(150);

  private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Options for the nodes' JVMs after {@code -Xmx256m}, split on blanks. By default C1 only and the
   * serial collector: three JVMs starting at once on a 2-core machine otherwise spend their first
   * minute compiling, and the whole test took 7 minutes there instead of 4. {@code
   * -Ddistcron.it.jvmArgs=} (empty) runs them as {@code java -Xmx256m -jar} alone.
   */
  private static final String JVM_ARGS =
      System.getProperty("distcron.it.jvmArgs", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");

  /**
   * How often a wait asks the database or an API: often enough, without loading the nodes under
   * test.
   */
  private static final Duration POLL = Duration.ofMillis(500);

  private final long startNanos = System.nanoTime();
  private final List<NodeProcess> nodes = new ArrayList<>();

  /** Processes run by the nodes (shell runs), gathered before a SIGKILL would orphan them. */
  private final List<ProcessHandle> orphans = new ArrayList<>();

  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private String dbUrl;
  private List<String> jobs;
  private Instant jobsCreated;

  @BeforeAll
  void startCluster() throws Exception {
    assertThat(JAR).as("the built jar (mvn package)").exists();
    Files.createDirectories(LOGS);
    dbUrl = TestDatabases.postgresUrl(TestDatabases.uniqueName("cluster_it"));
    int[] ports = TestNodes.freePorts(3 * NODES);
    for (int i = 0; i < NODES; i++) {
      nodes.add(new NodeProcess(i + 1, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]));
    }
    nodes.forEach(NodeProcess::start);
    for (NodeProcess node : nodes) awaitReady(node);
    step("3 nodes ready");

    jobs = IntStream.rangeClosed(1, JOBS).mapToObj(i -> JOB_PREFIX + "%02d".formatted(i)).toList();
    // A few at a time, through every node: each first request to a job starts its shard and entity.
    ExecutorService creators = Executors.newFixedThreadPool(6);
    try {
      List<Future<ApiClient.Response>> created = new ArrayList<>();
      for (int i = 0; i < JOBS; i++) {
        String spec =
            """
            {"name": "%s", "schedule": "* * * * * ?", "noop": {}}
            """
                .formatted(jobs.get(i));
        ApiClient api = nodes.get(i % NODES).api();
        created.add(creators.submit(() -> create(api, spec)));
      }
      for (int i = 0; i < JOBS; i++) {
        ApiClient.Response r = created.get(i).get();
        assertThat(r.status()).as("create %s: %s", jobs.get(i), r.body()).isEqualTo(201);
      }
      for (String job : jobs)
        assertThat(nodes.get(0).api().get("/jobs/" + job).status()).isEqualTo(200);
    } finally {
      creators.shutdownNow();
    }
    jobsCreated = Instant.now();
    step(JOBS + " jobs created");
  }

  /**
   * POST, again after a 503 or a 429 as a client would (with a short backoff): the first request to
   * a job starts its shard, which a loaded machine may not do within the API's ask timeout, and
   * each node limits the rate of changes. After a 503 the job may have been created after all, so a
   * later 409 counts as created.
   */
  private static ApiClient.Response create(ApiClient api, String spec) {
    ApiClient.Response r = api.post("/jobs", spec);
    boolean unsure = false;
    for (int attempt = 1; attempt < 10 && (r.status() == 503 || r.status() == 429); attempt++) {
      unsure |= r.status() == 503;
      LockSupport.parkNanos(Duration.ofMillis(300).toNanos());
      r = api.post("/jobs", spec);
      if (r.status() == 409 && unsure) return new ApiClient.Response(201, r.body());
    }
    return r;
  }

  @AfterAll
  void stopCluster() {
    for (NodeProcess node : nodes) node.destroy();
    orphans.forEach(ProcessHandle::destroyForcibly);
  }

  /** A part that failed half-way must not leave the next one with a node down. */
  @BeforeEach
  void allNodesUp() {
    for (NodeProcess node : nodes) {
      if (!node.alive()) node.start();
    }
    for (NodeProcess node : nodes) awaitReady(node);
  }

  @Test
  @Order(1)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void sigkillOfANodeMissesNoTickAndFiresNoneTwice() {
    Instant from = nextSecond(jobsCreated).plusSeconds(2);
    awaitTime(from.plusSeconds(5));
    // Node 1: the oldest, so the shard coordinator and the run reaper move too; and when it comes
    // back
    // it is the first seed node, which must join the running cluster rather than form a new one.
    NodeProcess victim = nodes.get(0);
    victim.kill();
    Instant killedAt = Instant.now();
    step("(a) node " + victim.n + " SIGKILLed");

    Set<String> victimsJobs = jobsLastOn(victim.address(), killedAt.minusSeconds(1));
    Await.until(
        Duration.ofSeconds(60),
        "the killed node's jobs to fire again",
        every(
            POLL,
            () -> {
              Map<String, Instant> lastFired = lastFiredByJob();
              return victimsJobs.stream()
                  .allMatch(j -> lastFired.getOrDefault(j, Instant.EPOCH).isAfter(killedAt));
            }));
    step("(a) the killed node's " + victimsJobs.size() + " jobs fire again");
    awaitTime(killedAt.plusSeconds(25));
    Instant to = Instant.now().minusSeconds(3);

    Tally tally = settledTally(from, to);
    List<Run> victimsRuns =
        fired(runs()).stream().filter(r -> victimsJobs.contains(r.job())).toList();
    Duration gap = largestGap(victimsRuns, killedAt.minusSeconds(5), to);
    report(
        "(a) SIGKILL node " + victim.n,
        tally,
        "failover gap " + secs(gap) + " over the killed node's " + victimsJobs.size() + " jobs");
    try {
      SoftAssertions soft = new SoftAssertions();
      soft.assertThat(victimsJobs).as("jobs on the killed node").isNotEmpty();
      soft.assertThat(tally.missed()).as("missed ticks: %s", tally.missedExamples()).isZero();
      soft.assertThat(tally.duplicates())
          .as("doubled ticks: %s", tally.duplicateExamples())
          .isZero();
      soft.assertThat(tally.skipped()).as("skipped ticks").isZero();
      soft.assertThat(gap).as("failover gap").isLessThanOrEqualTo(MAX_FAILOVER_GAP);
      soft.assertAll();
    } finally {
      victim.start();
      awaitReady(victim);
      step("(a) node " + victim.n + " back");
    }
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void rollingRestartMissesNoTickAndFiresNoneTwice() throws Exception {
    Instant from = nextSecond(Instant.now());
    Map<Integer, Integer> exitCodes = new TreeMap<>();
    for (NodeProcess node : nodes) {
      exitCodes.put(node.n, node.terminate());
      step("(b) node " + node.n + " stopped, exit code " + exitCodes.get(node.n));
      node.start();
      awaitReady(node);
      step("(b) node " + node.n + " back");
    }
    awaitTime(Instant.now().plusSeconds(8));
    Instant to = Instant.now().minusSeconds(3);

    Tally tally = settledTally(from, to);
    Duration gap = largestGap(runs(), from, to);
    report("(b) rolling restart", tally, "largest gap between a job's runs " + secs(gap));
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(exitCodes).as("exit codes after SIGTERM").containsOnlyKeys(1, 2, 3);
    soft.assertThat(exitCodes.values()).as("exit codes after SIGTERM").containsOnly(0);
    soft.assertThat(tally.missed()).as("missed ticks: %s", tally.missedExamples()).isZero();
    soft.assertThat(tally.duplicates()).as("doubled ticks: %s", tally.duplicateExamples()).isZero();
    soft.assertThat(tally.skipped()).as("skipped ticks").isZero();
    soft.assertAll();
  }

  @Test
  @Order(3)
  @Timeout(value = 3, unit = TimeUnit.MINUTES)
  void aRunOnAKilledNodeEndsLostAndItsRetryRunsElsewhere() {
    String job = "long-sleep";
    // Enabled (a disabled job's retries wait), but its ticks are an hour apart: the run is
    // triggered.
    String spec =
        """
        {"name": "%s", "schedule": "@hourly", "shell": {"command": "sleep 60"},
         "retry": {"maxAttempts": 2, "backoff": "PT1S"}}
        """
            .formatted(job);
    ApiClient api = nodes.get(0).api();
    assertThat(api.post("/jobs", spec).status()).isEqualTo(201);
    ApiClient.Response triggered = api.post("/jobs/" + job + "/trigger", "");
    assertThat(triggered.status()).isEqualTo(202);
    String runId = triggered.json().get("runId").asText();

    JsonNode[] run = new JsonNode[1];
    Await.until(
        Duration.ofSeconds(30),
        "run " + runId + " RUNNING",
        every(
            POLL,
            () -> {
              run[0] = api.get("/runs/" + runId).json();
              return run[0].path("status").asText().equals("RUNNING");
            }));
    String address = run[0].get("node").asText();
    NodeProcess victim =
        nodes.stream()
            .filter(n -> n.address().equals(address))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no node " + address));
    ApiClient survivor = nodes.stream().filter(n -> n != victim).findFirst().orElseThrow().api();
    victim.kill();
    Instant killedAt = Instant.now();
    step("(c) node " + victim.n + " running the shell run SIGKILLed");

    Await.until(
        Duration.ofSeconds(60),
        "run " + runId + " LOST",
        every(
            POLL,
            () -> survivor.get("/runs/" + runId).json().path("status").asText().equals("LOST")));
    Duration lost = Duration.between(killedAt, Instant.now());
    JsonNode[] retry = new JsonNode[1];
    Await.until(
        Duration.ofSeconds(30),
        "attempt 2 RUNNING on another node",
        every(
            POLL,
            () -> {
              for (JsonNode r :
                  survivor.get("/jobs/" + job + "/runs?limit=20").json().get("items")) {
                if (r.get("attempt").asInt() == 2 && r.get("status").asText().equals("RUNNING")) {
                  retry[0] = r;
                  return true;
                }
              }
              return false;
            }));
    Duration retried = Duration.between(killedAt, Instant.now());
    print(
        "(c) shell run on SIGKILLed node %s: LOST after %s, attempt 2 RUNNING on %s after %s"
            .formatted(address, secs(lost), retry[0].get("node").asText(), secs(retried)));
    assertThat(retry[0].get("reason").asText()).isEqualTo("RETRY");
    assertThat(retry[0].get("scheduledAt").asText()).isEqualTo(run[0].get("scheduledAt").asText());
    assertThat(retry[0].get("node").asText()).isNotEqualTo(address);
    survivor.post("/runs/" + retry[0].get("id").asText() + "/kill", "");
  }

  // ---- counting ticks

  record Run(
      String id,
      String job,
      Instant scheduledAt,
      Instant firedAt,
      Instant startedAt,
      String node,
      int attempt,
      String reason,
      String status) {}

  /**
   * Per (job, nominal second) in the window: runs with reason SCHEDULE or CATCHUP. A SKIPPED run
   * decides its tick too, so it is no miss, but it is counted on its own: none should appear here.
   */
  record Tally(
      long ticks,
      int missed,
      int duplicates,
      int skipped,
      List<String> missedExamples,
      List<String> duplicateExamples,
      List<Long> latenessMillis,
      List<Long> scheduledLatenessMillis) {}

  private Tally tally(List<Run> all, Instant from, Instant to) {
    Map<String, Map<Long, Integer>> perTick = new HashMap<>();
    int skipped = 0;
    List<Long> lateness = new ArrayList<>();
    List<Long> scheduledLateness = new ArrayList<>();
    for (Run r : all) {
      boolean tick = r.reason().equals("SCHEDULE") || r.reason().equals("CATCHUP");
      if (!tick || r.scheduledAt().isBefore(from) || r.scheduledAt().isAfter(to)) continue;
      perTick
          .computeIfAbsent(r.job(), j -> new HashMap<>())
          .merge(r.scheduledAt().getEpochSecond(), 1, Integer::sum);
      if (r.status().equals("SKIPPED")) {
        skipped++;
      } else if (r.firedAt() != null) {
        Instant began = r.startedAt() != null ? r.startedAt() : r.firedAt();
        long late = Duration.between(r.scheduledAt(), began).toMillis();
        lateness.add(late);
        if (r.reason().equals("SCHEDULE")) scheduledLateness.add(late);
      }
    }
    long ticks = 0;
    int missed = 0;
    int duplicates = 0;
    List<String> missedExamples = new ArrayList<>();
    List<String> duplicateExamples = new ArrayList<>();
    for (String job : jobs) {
      Map<Long, Integer> counts = perTick.getOrDefault(job, Map.of());
      for (long s = from.getEpochSecond(); s <= to.getEpochSecond(); s++) {
        if (Instant.ofEpochSecond(s).isBefore(from)) continue;
        ticks++;
        int n = counts.getOrDefault(s, 0);
        if (n == 0) {
          missed++;
          if (missedExamples.size() < 10) missedExamples.add(job + "@" + Instant.ofEpochSecond(s));
        } else if (n > 1) {
          duplicates += n - 1;
          if (duplicateExamples.size() < 10)
            duplicateExamples.add(job + "@" + Instant.ofEpochSecond(s) + " x" + n);
        }
      }
    }
    return new Tally(
        ticks,
        missed,
        duplicates,
        skipped,
        missedExamples,
        duplicateExamples,
        lateness,
        scheduledLateness);
  }

  /** Run records are written asynchronously: give the last of them a moment to land. */
  private Tally settledTally(Instant from, Instant to) {
    Tally[] last = new Tally[1];
    try {
      Await.until(
          Duration.ofSeconds(10),
          "every tick recorded",
          every(
              Duration.ofSeconds(1),
              () -> {
                last[0] = tally(runs(), from, to);
                return last[0].missed() == 0;
              }));
    } catch (AssertionError stillMissing) {
      // reported with the figures
    }
    return last[0];
  }

  /** The longest time between two consecutive runs of one job, fired inside the window. */
  private static Duration largestGap(List<Run> all, Instant from, Instant to) {
    Duration worst = Duration.ZERO;
    Map<String, List<Instant>> byJob =
        fired(all).stream()
            .filter(r -> !r.firedAt().isBefore(from) && !r.firedAt().isAfter(to))
            .collect(
                Collectors.groupingBy(
                    Run::job, Collectors.mapping(Run::firedAt, Collectors.toList())));
    for (List<Instant> times : byJob.values()) {
      times.sort(Comparator.naturalOrder());
      for (int i = 1; i < times.size(); i++) {
        Duration gap = Duration.between(times.get(i - 1), times.get(i));
        if (gap.compareTo(worst) > 0) worst = gap;
      }
    }
    return worst;
  }

  private static List<Run> fired(List<Run> all) {
    return all.stream()
        .filter(r -> r.firedAt() != null && !r.status().equals("SKIPPED"))
        .filter(r -> r.reason().equals("SCHEDULE") || r.reason().equals("CATCHUP"))
        .toList();
  }

  /**
   * Jobs whose last run fired before {@code before} ran on {@code node}: the entities it hosted.
   */
  private Set<String> jobsLastOn(String node, Instant before) {
    Map<String, Run> last = new HashMap<>();
    for (Run r : fired(runs())) {
      if (!r.firedAt().isBefore(before)) continue;
      last.merge(r.job(), r, (a, b) -> a.firedAt().isAfter(b.firedAt()) ? a : b);
    }
    Set<String> on = new HashSet<>();
    last.forEach(
        (job, r) -> {
          if (node.equals(r.node())) on.add(job);
        });
    return on;
  }

  private Map<String, Instant> lastFiredByJob() {
    Map<String, Instant> last = new HashMap<>();
    queryRuns(
        "SELECT job, MAX(fired_at) FROM runs WHERE job LIKE ? AND status <> 'SKIPPED'"
            + " AND reason IN ('SCHEDULE', 'CATCHUP') GROUP BY job",
        rs -> {
          Instant t = instant(rs, 2);
          if (t != null) last.put(rs.getString(1), t);
        });
    return last;
  }

  private List<Run> runs() {
    List<Run> runs = new ArrayList<>();
    queryRuns(
        "SELECT id, job, scheduled_at, fired_at, started_at, node, attempt, reason, status FROM"
            + " runs WHERE job LIKE ?",
        rs ->
            runs.add(
                new Run(
                    rs.getString(1),
                    rs.getString(2),
                    instant(rs, 3),
                    instant(rs, 4),
                    instant(rs, 5),
                    rs.getString(6),
                    rs.getInt(7),
                    String.valueOf(rs.getString(8)),
                    rs.getString(9))));
    return runs;
  }

  private interface Row {
    void read(ResultSet rs) throws SQLException;
  }

  /** {@code sql} with the tick jobs' name pattern as its one parameter; {@code row} per result. */
  private void queryRuns(String sql, Row row) {
    try (Connection c = DriverManager.getConnection(dbUrl, TestDatabases.POSTGRES_USER, "");
        PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, JOB_PREFIX + "%");
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) row.read(rs);
      }
    } catch (SQLException e) {
      throw new IllegalStateException("cannot read runs", e);
    }
  }

  private static Instant instant(ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  // ---- figures

  private void report(String part, Tally t, String gap) {
    print(
        ("%s: %d jobs x %d s = %d ticks; missed %d, duplicates %d, skipped %d; %s; lateness (fired"
                + " - scheduled) all runs %s, SCHEDULE runs only %s")
            .formatted(
                part,
                JOBS,
                t.ticks() / JOBS,
                t.ticks(),
                t.missed(),
                t.duplicates(),
                t.skipped(),
                gap,
                percentiles(t.latenessMillis()),
                percentiles(t.scheduledLatenessMillis())));
    if (t.missed() > 0) print(part + ": missed e.g. " + t.missedExamples());
    if (t.duplicates() > 0) print(part + ": doubled e.g. " + t.duplicateExamples());
  }

  private static String percentiles(List<Long> millis) {
    if (millis.isEmpty()) return "(none)";
    List<Long> sorted = millis.stream().sorted().toList();
    return "p50 %d ms, p99 %d ms, max %d ms"
        .formatted(
            sorted.get((int) Math.floor(0.50 * (sorted.size() - 1))),
            sorted.get((int) Math.floor(0.99 * (sorted.size() - 1))),
            sorted.get(sorted.size() - 1));
  }

  private void print(String line) {
    String out = "ClusterProcessIT " + line;
    System.out.println(out);
    try {
      Files.writeString(
          LOGS.resolve("figures.txt"),
          Instant.now() + " " + out + System.lineSeparator(),
          StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      // the console has it
    }
  }

  private void step(String what) {
    System.out.printf(
        "ClusterProcessIT +%ds: %s%n", (System.nanoTime() - startNanos) / 1_000_000_000L, what);
  }

  private static String secs(Duration d) {
    return d.toMillis() / 1000.0 + " s";
  }

  // ---- nodes

  private void awaitReady(NodeProcess node) {
    Await.until(
        START_TIMEOUT,
        "node " + node.n + " ready (log " + node.log + ")",
        every(
            POLL,
            () -> {
              if (!node.alive()) {
                throw new AssertionError(
                    "node "
                        + node.n
                        + " exited with "
                        + node.process.exitValue()
                        + "; see "
                        + node.log);
              }
              return status("http://" + HOST + ":" + node.management + "/ready") == 200;
            }));
  }

  private int status(String url) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * {@code condition}, asked at most once per {@code period}: a wait polls every few milliseconds.
   */
  private static BooleanSupplier every(Duration period, BooleanSupplier condition) {
    long[] next = {System.nanoTime()};
    return () -> {
      long now = System.nanoTime();
      if (now - next[0] < 0) return false;
      next[0] = now + period.toNanos();
      return condition.getAsBoolean();
    };
  }

  private static void awaitTime(Instant t) {
    Await.until(
        Duration.between(Instant.now(), t).plusSeconds(5),
        "time " + t,
        () -> !Instant.now().isBefore(t));
  }

  private static Instant nextSecond(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
  }

  private String seedNodes() {
    return nodes.stream().map(NodeProcess::address).collect(Collectors.joining(","));
  }

  /**
   * One node: the jar in a process of its own, with fixed ports so that it can come back as itself.
   */
  private final class NodeProcess {
    final int n;
    final int httpPort;
    final int cluster;
    final int management;
    final Path log;
    Process process;

    NodeProcess(int n, int httpPort, int cluster, int management) {
      this.n = n;
      this.httpPort = httpPort;
      this.cluster = cluster;
      this.management = management;
      this.log = LOGS.resolve("node-" + n + ".log");
    }

    String address() {
      return HOST + ":" + cluster;
    }

    ApiClient api() {
      return new ApiClient("http://" + HOST + ":" + httpPort + "/api/v1");
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    void start() {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
      Arrays.stream(JVM_ARGS.trim().split("\\s+")).filter(a -> !a.isEmpty()).forEach(command::add);
      command.addAll(List.of("-jar", JAR.toAbsolutePath().toString()));
      ProcessBuilder pb = new ProcessBuilder(command);
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("DISTCRON_"));
      env.put("DISTCRON_DB_URL", dbUrl);
      env.put("DISTCRON_DB_USER", TestDatabases.POSTGRES_USER);
      env.put("DISTCRON_DB_PASSWORD", "");
      env.put("DISTCRON_HTTP_PORT", Integer.toString(httpPort));
      env.put("DISTCRON_CLUSTER_HOST", HOST);
      env.put("DISTCRON_CLUSTER_PORT", Integer.toString(cluster));
      env.put("DISTCRON_MANAGEMENT_PORT", Integer.toString(management));
      env.put("DISTCRON_SEED_NODES", seedNodes());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      try {
        Files.writeString(
            log,
            "==== ClusterProcessIT starts node "
                + n
                + " at "
                + Instant.now()
                + System.lineSeparator(),
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        process = pb.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start node " + n, e);
      }
    }

    /** SIGKILL, with the processes of its runs: the machine is gone. */
    void kill() {
      List<ProcessHandle> children = process.descendants().toList();
      process.destroyForcibly();
      children.forEach(ProcessHandle::destroyForcibly);
      orphans.addAll(children);
      waitFor();
    }

    /** SIGTERM: the orderly way out. Returns the exit code. */
    int terminate() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("node " + n + " still running " + STOP_TIMEOUT + " after SIGTERM");
      }
      return process.exitValue();
    }

    void destroy() {
      if (process == null) return;
      orphans.addAll(process.descendants().toList());
      process.destroyForcibly();
      waitFor();
    }

    private void waitFor() {
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
