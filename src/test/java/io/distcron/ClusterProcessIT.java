package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
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
  private static final Path LOGS = Path.of("target", "cluster-it");
  private static final int JOBS = 60;
  private static final String JOB_PREFIX = "tick-";

  /**
   * The issue's bound: a killed node's jobs fire again within this (measured: about 9 s, 7 of them
   * spent by the failure detector, the split brain resolver and the removal margin); {@code
   * -Ddistcron.it.maxFailoverGap=PT20S} allows for a machine too loaded to meet it.
   */
  private static final Duration MAX_FAILOVER_GAP =
      Duration.parse(System.getProperty("distcron.it.maxFailoverGap", "PT15S"));

  private final long startNanos = System.nanoTime();
  private static final Duration POLL = JarCluster.POLL;
  private JarCluster cluster;
  private List<JarCluster.Node> nodes;
  private String dbUrl;
  private List<String> jobs;
  private Instant jobsCreated;

  @BeforeAll
  void startCluster() throws Exception {
    Files.createDirectories(LOGS);
    dbUrl = TestDatabases.postgresUrl(TestDatabases.uniqueName("cluster_it"));
    cluster = new JarCluster("ClusterProcessIT", 3, LOGS, dbUrl);
    nodes = cluster.nodes();
    cluster.start();
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
        ApiClient api = nodes.get(i % nodes.size()).api();
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
    if (cluster != null) cluster.close();
  }

  /** A part that failed half-way must not leave the next one with a node down. */
  @BeforeEach
  void allNodesUp() {
    cluster.allUp();
  }

  @Test
  @Order(1)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void sigkillOfANodeMissesNoTickAndFiresNoneTwice() {
    Instant from = nextSecond(jobsCreated).plusSeconds(2);
    JarCluster.awaitTime(from.plusSeconds(5));
    // Node 1: the oldest, so the shard coordinator and the run reaper move too; and when it comes
    // back it is the first seed node, which must join the running cluster rather than form a new
    // one.
    JarCluster.Node victim = nodes.get(0);
    victim.kill();
    Instant killedAt = Instant.now();
    step("(a) node " + victim.n + " SIGKILLed");

    Set<String> victimsJobs = jobsLastOn(victim.address(), killedAt.minusSeconds(1));
    Await.until(
        Duration.ofSeconds(60),
        "the killed node's jobs to fire again",
        JarCluster.every(
            POLL,
            () -> {
              Map<String, Instant> lastFired = lastFiredByJob();
              return victimsJobs.stream()
                  .allMatch(j -> lastFired.getOrDefault(j, Instant.EPOCH).isAfter(killedAt));
            }));
    step("(a) the killed node's " + victimsJobs.size() + " jobs fire again");
    JarCluster.awaitTime(killedAt.plusSeconds(25));
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
      victim.awaitReady();
      step("(a) node " + victim.n + " back");
    }
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void rollingRestartMissesNoTickAndFiresNoneTwice() throws Exception {
    Instant from = nextSecond(Instant.now());
    Map<Integer, Integer> exitCodes = new TreeMap<>();
    for (JarCluster.Node node : nodes) {
      exitCodes.put(node.n, node.terminate());
      step("(b) node " + node.n + " stopped, exit code " + exitCodes.get(node.n));
      node.start();
      node.awaitReady();
      step("(b) node " + node.n + " back");
    }
    JarCluster.awaitTime(Instant.now().plusSeconds(8));
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
        JarCluster.every(
            POLL,
            () -> {
              run[0] = api.get("/runs/" + runId).json();
              return run[0].path("status").asText().equals("RUNNING");
            }));
    String address = run[0].get("node").asText();
    JarCluster.Node victim =
        nodes.stream()
            .filter(n -> n.address().equals(address))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no node " + address));
    ApiClient survivor = nodes.stream().filter(n -> n != victim).findFirst().orElseThrow().api();
    List<ProcessHandle> runProcesses = victim.process.descendants().toList();
    victim.kill();
    Instant killedAt = Instant.now();
    step("(c) node " + victim.n + " running the shell run SIGKILLed");
    // The run's watchdog sees its node's pipe close and kills the whole tree.
    Await.until(
        Duration.ofSeconds(2),
        "the run's processes gone with their node",
        () -> runProcesses.stream().noneMatch(ProcessHandle::isAlive));
    assertThat(runProcesses).as("processes of the run").isNotEmpty();

    Await.until(
        Duration.ofSeconds(60),
        "run " + runId + " LOST",
        JarCluster.every(
            POLL,
            () -> survivor.get("/runs/" + runId).json().path("status").asText().equals("LOST")));
    Duration lost = Duration.between(killedAt, Instant.now());
    JsonNode[] retry = new JsonNode[1];
    Await.until(
        Duration.ofSeconds(30),
        "attempt 2 RUNNING on another node",
        JarCluster.every(
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
          JarCluster.every(
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

  private static Instant nextSecond(Instant t) {
    return t.truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
  }
}
