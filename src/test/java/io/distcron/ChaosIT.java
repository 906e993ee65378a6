package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.sql.Statement;
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
import java.util.Random;
import java.util.Set;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Exactly once, judged from outside: three nodes of the built jar on PostgreSQL run real shell
 * jobs, each of which appends to one ledger file when it starts, every fraction of a second while
 * it runs, and when it ends (job, tick, run id, attempt, time). Then the faults production brings:
 * a node frozen past the hand-off timeout (SIGSTOP, SIGCONT), one frozen until the cluster downs
 * it, one SIGKILLed while long runs go (their jobs retry LOST runs), one restarted with SIGTERM.
 * The verdict comes from the ledger, checked against the run records:
 *
 * <ul>
 *   <li>no (job, tick, attempt) started twice;
 *   <li>no two executions of a job (all are {@code SKIP}) alive at the same moment;
 *   <li>every tick of the window executed, or recorded SKIPPED, LOST or FAILED with its reason;
 *   <li>no run left PENDING or RUNNING past its time.
 * </ul>
 *
 * {@code -Ddistcron.chaos.minutes=M} (bench/chaos.sh) replaces the fixed faults by random ones for
 * M minutes. The four counts are printed as one JSON line starting {@code CHAOS }; node logs and
 * the ledger are in {@code target/chaos-it/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ChaosIT {
  private static final Path DIR = Path.of("target", "chaos-it");
  private static final Path LEDGER = DIR.resolve("ledger.txt").toAbsolutePath();
  private static final int MINUTES = Integer.getInteger("distcron.chaos.minutes", 0);

  /** A run of a short job: 1.2 s, so about every other per-second tick is SKIPPED. */
  private static final int SHORT_JOBS = 4;

  /** A run of a long job: 10 s, every 15 s: long enough to be caught by a fault. */
  private static final int LONG_JOBS = 3;

  private static final Duration LONG_EVERY = Duration.ofSeconds(15);

  /** A run still PENDING or RUNNING this long after its tick has no excuse. */
  private static final Duration STUCK_AFTER = Duration.ofSeconds(45);

  private final long startNanos = System.nanoTime();
  private final ObjectMapper json = new ObjectMapper();
  private final Random random = new Random();
  private final HttpClient http = HttpClient.newHttpClient();
  private JarCluster cluster;
  private Instant from;

  @BeforeAll
  void start() throws IOException {
    Files.createDirectories(DIR);
    Files.deleteIfExists(LEDGER);
    Files.createFile(LEDGER);
    Path script = DIR.resolve("job.sh").toAbsolutePath();
    Files.writeString(
        script,
        """
        #!/bin/sh
        # $1 steps of $2 seconds; a line at the start, after each step and at the end.
        r="$DISTCRON_JOB $DISTCRON_SCHEDULED_AT $DISTCRON_RUN_ID $DISTCRON_ATTEMPT"
        echo "start $r $(date +%%s%%3N)" >> %1$s
        i=0
        while [ "$i" -lt "$1" ]; do
          sleep "$2"
          echo "alive $r $(date +%%s%%3N)" >> %1$s
          i=$((i+1))
        done
        echo "end $r $(date +%%s%%3N)" >> %1$s
        """
            .formatted(LEDGER));
    cluster =
        new JarCluster(
            "ChaosIT", 3, DIR, TestDatabases.postgresUrl(TestDatabases.uniqueName("chaos_it")));
    cluster.start();
    step("3 nodes ready");
    ApiClient api = cluster.node(1).api();
    for (int i = 1; i <= SHORT_JOBS; i++) {
      create(api, "chaos-short-" + i, "* * * * * ?", script + " 4 0.3", 30, 2);
    }
    for (int i = 1; i <= LONG_JOBS; i++) {
      create(api, "chaos-long-" + i, "0/15 * * * * ?", script + " 20 0.5", 60, 3);
    }
    from = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(2);
    step("jobs created");
  }

  private static void create(
      ApiClient api, String name, String schedule, String command, int timeout, int attempts) {
    String spec =
        """
        {"name": "%s", "schedule": "%s", "overlap": "SKIP", "timeoutSeconds": %d,
         "shell": {"command": "sh %s"}, "retry": {"maxAttempts": %d, "backoff": "PT1S"}}
        """
            .formatted(name, schedule, timeout, command, attempts);
    ApiClient.Response r = api.post("/jobs", spec);
    for (int attempt = 1; attempt < 10 && r.status() == 503; attempt++) r = api.post("/jobs", spec);
    assertThat(r.status()).as("create %s: %s", name, r.body()).isIn(201, 409);
  }

  @AfterAll
  void stop() {
    if (cluster != null) cluster.close();
  }

  @Test
  void noRunTwiceNoOverlapEveryTickAccountedNoneStuck() {
    assertTimeoutPreemptively(Duration.ofMinutes(10 + MINUTES), this::underFaults);
  }

  private void underFaults() throws Exception {
    JarCluster.awaitTime(from.plusSeconds(15));
    if (MINUTES > 0) {
      Instant end = Instant.now().plus(Duration.ofMinutes(MINUTES));
      while (Instant.now().isBefore(end)) randomFault();
    } else {
      freezePastTheHandOffTimeout(cluster.node(2));
      freezeUntilDowned(cluster.node(3));
      killDuringLongRuns();
      restartWithSigterm(cluster.node(1));
    }
    Instant to = Instant.now().minusSeconds(5);
    step("faults over; settling");
    JarCluster.awaitTime(Instant.now().plus(STUCK_AFTER).plusSeconds(5));

    Verdict v = verdict(ledger(), runs(), from, to);
    String line =
        ("{\"duplicates\": %d, \"overlaps\": %d, \"unaccounted\": %d, \"stuck\": %d,"
                + " \"executions\": %d, \"ticks\": %d, \"skipped\": %d, \"lost\": %d,"
                + " \"unrecorded\": %d, \"phantoms\": %d, \"minutes\": %d}")
            .formatted(
                v.duplicates().size(),
                v.overlaps().size(),
                v.unaccounted().size(),
                v.stuck().size(),
                v.executions(),
                v.ticks(),
                v.skipped(),
                v.lost(),
                v.unrecorded().size(),
                v.phantoms().size(),
                MINUTES);
    System.out.println("CHAOS " + line);
    Files.writeString(
        DIR.resolve("verdict.json"),
        line + System.lineSeparator(),
        StandardOpenOption.CREATE,
        StandardOpenOption.TRUNCATE_EXISTING);
    if (!v.unrecorded().isEmpty()) explainUnrecorded(v.unrecorded());
    SoftAssertions soft = new SoftAssertions();
    soft.assertThat(v.executions()).as("executions in the ledger").isGreaterThan(20);
    soft.assertThat(v.duplicates().size())
        .as("(job, tick, attempt) started twice, e.g. %s", some(v.duplicates()))
        .isZero();
    soft.assertThat(v.overlaps().size())
        .as("two executions of a SKIP job at once, e.g. %s", some(v.overlaps()))
        .isZero();
    soft.assertThat(v.unaccounted().size())
        .as("ticks neither run nor recorded with a reason, e.g. %s", some(v.unaccounted()))
        .isZero();
    soft.assertThat(v.stuck().size())
        .as("runs PENDING or RUNNING past their time, e.g. %s", some(v.stuck()))
        .isZero();
    soft.assertThat(v.unrecorded().size())
        .as("executions without a run record, e.g. %s", some(v.unrecorded()))
        .isZero();
    soft.assertThat(v.phantoms().size())
        .as("runs recorded SUCCEEDED that never started, e.g. %s", some(v.phantoms()))
        .isZero();
    soft.assertAll();
  }

  // ---- faults

  /** Past the 3 s after which a job first asks about a hand-off, short of being downed. */
  private void freezePastTheHandOffTimeout(JarCluster.Node node) {
    node.freeze();
    step("node " + node.n + " frozen");
    pause(Duration.ofSeconds(4));
    node.thaw();
    step("node " + node.n + " thawed after 4 s");
    pause(Duration.ofSeconds(8));
  }

  /** Until the others have removed it; thawed, it must learn it and go, with its runs dead. */
  private void freezeUntilDowned(JarCluster.Node node) {
    node.freeze();
    step("node " + node.n + " frozen until downed");
    JarCluster.Node other = cluster.nodes().stream().filter(x -> x != node).findFirst().get();
    Await.until(
        Duration.ofSeconds(60),
        "node " + node.n + " removed from the cluster",
        JarCluster.every(JarCluster.POLL, () -> !members(other).contains(node.address())));
    step("node " + node.n + " removed");
    pause(Duration.ofSeconds(5));
    node.thaw();
    boolean exited = node.waitFor(Duration.ofSeconds(60));
    step(
        "node "
            + node.n
            + " thawed; "
            + (exited ? "exited " + node.process.exitValue() : "still up"));
    assertThat(exited).as("a downed node leaves when it learns it").isTrue();
    node.start();
    node.awaitReady();
    step("node " + node.n + " back");
  }

  /** SIGKILL to a node in the middle of a long run; its jobs retry the LOST runs elsewhere. */
  private void killDuringLongRuns() {
    String[] on = new String[1];
    ApiClient api = cluster.node(1).api();
    Await.until(
        Duration.ofSeconds(40),
        "a long run RUNNING",
        JarCluster.every(
            JarCluster.POLL,
            () -> {
              for (int i = 1; i <= LONG_JOBS; i++) {
                for (JsonNode r :
                    api.get("/jobs/chaos-long-" + i + "/runs?limit=3").json().get("items")) {
                  if (r.path("status").asText().equals("RUNNING")) {
                    on[0] = r.path("node").asText();
                    return true;
                  }
                }
              }
              return false;
            }));
    JarCluster.Node victim =
        cluster.nodes().stream().filter(n -> n.address().equals(on[0])).findFirst().orElseThrow();
    pause(Duration.ofSeconds(2));
    victim.kill();
    step("node " + victim.n + " SIGKILLed during a long run");
    pause(Duration.ofSeconds(15));
    victim.start();
    victim.awaitReady();
    step("node " + victim.n + " back");
  }

  private void restartWithSigterm(JarCluster.Node node) throws InterruptedException {
    int code = node.terminate();
    step("node " + node.n + " stopped with SIGTERM, exit code " + code);
    node.start();
    node.awaitReady();
    step("node " + node.n + " back");
  }

  private void randomFault() throws InterruptedException {
    JarCluster.Node node = cluster.nodes().get(random.nextInt(cluster.nodes().size()));
    switch (random.nextInt(4)) {
      case 0 -> freezePastTheHandOffTimeout(node);
      case 1 -> freezeUntilDowned(node);
      case 2 -> {
        node.kill();
        step("node " + node.n + " SIGKILLed");
        pause(Duration.ofSeconds(5 + random.nextInt(15)));
        node.start();
        node.awaitReady();
      }
      default -> restartWithSigterm(node);
    }
    pause(Duration.ofSeconds(5 + random.nextInt(15)));
  }

  private Set<String> members(JarCluster.Node node) {
    Set<String> out = new HashSet<>();
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create(
                          "http://" + JarCluster.HOST + ":" + node.management + "/cluster/members"))
                  .timeout(Duration.ofSeconds(3))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      for (JsonNode m : json.readTree(response.body()).path("members")) {
        String a = m.path("node").asText();
        out.add(a.substring(a.indexOf('@') + 1));
      }
    } catch (IOException e) {
      out.add("unknown");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return out;
  }

  // ---- the verdict

  /** One execution as the ledger saw it. */
  record Execution(
      String job, Instant tick, String runId, int attempt, long startMillis, long lastMillis) {}

  record Run(String id, String job, Instant tick, String status, String reason, Instant since) {}

  record Verdict(
      int executions,
      long ticks,
      long skipped,
      long lost,
      List<String> duplicates,
      List<String> overlaps,
      List<String> unaccounted,
      List<String> stuck,
      List<String> unrecorded,
      List<String> phantoms) {}

  static Verdict verdict(List<Execution> executions, List<Run> runs, Instant from, Instant to) {
    List<String> duplicates = new ArrayList<>();
    Map<String, List<Execution>> byAttempt = new HashMap<>();
    for (Execution e : executions) {
      byAttempt
          .computeIfAbsent(e.job() + "@" + e.tick() + "#" + e.attempt(), k -> new ArrayList<>())
          .add(e);
    }
    byAttempt.forEach(
        (k, list) -> {
          if (list.size() > 1) duplicates.add(k + " x" + list.size());
        });

    List<String> overlaps = new ArrayList<>();
    Map<String, List<Execution>> byJob = new HashMap<>();
    executions.forEach(e -> byJob.computeIfAbsent(e.job(), j -> new ArrayList<>()).add(e));
    byJob.forEach(
        (job, list) -> {
          list.sort(Comparator.comparingLong(Execution::startMillis));
          for (int i = 0; i < list.size(); i++) {
            for (int j = i + 1; j < list.size(); j++) {
              if (list.get(j).startMillis() < list.get(i).lastMillis()) {
                overlaps.add(list.get(i).runId() + " / " + list.get(j).runId() + " of " + job);
              }
            }
          }
        });

    Set<String> executedRuns = new HashSet<>();
    Set<String> executedTicks = new HashSet<>();
    executions.forEach(
        e -> {
          executedRuns.add(e.runId());
          executedTicks.add(e.job() + "@" + e.tick());
        });
    Map<String, List<Run>> runsByTick = new HashMap<>();
    Set<String> recorded = new HashSet<>();
    for (Run r : runs) {
      runsByTick.computeIfAbsent(r.job() + "@" + r.tick(), k -> new ArrayList<>()).add(r);
      recorded.add(r.id());
    }
    long ticks = 0;
    long skipped = 0;
    long lost = 0;
    List<String> unaccounted = new ArrayList<>();
    for (String job : byJobNames()) {
      for (Instant t = from; !t.isAfter(to); t = t.plusSeconds(1)) {
        if (job.startsWith("chaos-long") && t.getEpochSecond() % LONG_EVERY.toSeconds() != 0) {
          continue;
        }
        ticks++;
        String key = job + "@" + t;
        List<Run> recs = runsByTick.getOrDefault(key, List.of());
        if (recs.stream().anyMatch(r -> r.status().equals("SKIPPED"))) {
          skipped++;
        } else if (executedTicks.contains(key)) {
          continue;
        } else if (recs.stream()
            .anyMatch(r -> r.status().equals("LOST") || r.status().equals("FAILED"))) {
          lost++;
        } else {
          unaccounted.add(key + " " + recs);
        }
      }
    }
    // The jobs go on while the verdict reads the ledger, then the runs, and a run's record follows
    // its start by the read side's lag: records are judged for the ticks up to the window's end,
    // long settled by now, not for the run that started a moment ago.
    List<String> unrecorded = new ArrayList<>();
    executions.forEach(
        e -> {
          if (!e.tick().isAfter(to) && !recorded.contains(e.runId())) {
            unrecorded.add(e.runId() + " of " + e.job());
          }
        });
    List<String> phantoms = new ArrayList<>();
    List<String> stuck = new ArrayList<>();
    Instant stuckBefore = Instant.now().minus(STUCK_AFTER);
    for (Run r : runs) {
      if (r.status().equals("SUCCEEDED")
          && !r.tick().isAfter(to)
          && !executedRuns.contains(r.id())) {
        phantoms.add(r.id() + " of " + r.job());
      }
      boolean open = r.status().equals("PENDING") || r.status().equals("RUNNING");
      if (open && r.since().isBefore(stuckBefore)) stuck.add(r.toString());
    }
    return new Verdict(
        executions.size(),
        ticks,
        skipped,
        lost,
        duplicates,
        overlaps,
        unaccounted,
        stuck,
        unrecorded,
        phantoms);
  }

  private static List<String> byJobNames() {
    List<String> names = new ArrayList<>();
    for (int i = 1; i <= SHORT_JOBS; i++) names.add("chaos-short-" + i);
    for (int i = 1; i <= LONG_JOBS; i++) names.add("chaos-long-" + i);
    return names;
  }

  /** The first few, for a failure message. */
  private static List<String> some(List<String> all) {
    return all.subList(0, Math.min(10, all.size()));
  }

  /**
   * The executions in the ledger: one per start line (a run id started twice is two), each lasting
   * until the last line its run wrote after it.
   */
  private static List<Execution> ledger() throws IOException {
    List<Execution> out = new ArrayList<>();
    Map<String, Integer> latest = new HashMap<>();
    for (String line : Files.readAllLines(LEDGER)) {
      String[] f = line.trim().split(" ");
      if (f.length != 6) continue;
      long at = Long.parseLong(f[5]);
      if (f[0].equals("start")) {
        latest.put(f[3], out.size());
        out.add(new Execution(f[1], Instant.parse(f[2]), f[3], Integer.parseInt(f[4]), at, at));
      } else if (latest.containsKey(f[3])) {
        int i = latest.get(f[3]);
        Execution e = out.get(i);
        out.set(i, new Execution(e.job(), e.tick(), e.runId(), e.attempt(), e.startMillis(), at));
      }
    }
    return out;
  }

  /**
   * For a failure's report: what the journal still holds of each run without a record (its id is
   * plain UTF-8 in an event's CBOR), and how far the read side had read each tag.
   */
  private void explainUnrecorded(List<String> unrecorded) throws SQLException {
    try (Connection c =
            DriverManager.getConnection(cluster.dbUrl(), TestDatabases.POSTGRES_USER, "");
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT projection_key, current_offset FROM pekko_projection_offset_store")) {
        while (rs.next())
          System.out.println("CHAOS offset " + rs.getString(1) + " " + rs.getString(2));
      }
      for (String u : unrecorded) {
        String id = u.substring(0, u.indexOf(' '));
        try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT j.persistence_id, j.sequence_number, j.ordering, j.event_ser_manifest,"
                        + " j.writer, j.write_timestamp, t.tag FROM event_journal j"
                        + " LEFT JOIN event_tag t ON t.event_id = j.ordering"
                        + " WHERE position(convert_to(?, 'UTF8') in j.event_payload) > 0"
                        + " ORDER BY j.ordering");
            ResultSet rs = query(ps, id)) {
          boolean any = false;
          while (rs.next()) {
            any = true;
            System.out.printf(
                "CHAOS unrecorded %s: %s seq %d ordering %d %s writer %s at %d tag %s%n",
                id,
                rs.getString(1),
                rs.getLong(2),
                rs.getLong(3),
                rs.getString(4),
                rs.getString(5),
                rs.getLong(6),
                rs.getString(7));
          }
          if (!any) System.out.println("CHAOS unrecorded " + id + ": no event left in the journal");
        }
      }
    }
  }

  private static ResultSet query(PreparedStatement ps, String param) throws SQLException {
    ps.setString(1, param);
    return ps.executeQuery();
  }

  private List<Run> runs() throws SQLException {
    List<Run> runs = new ArrayList<>();
    try (Connection c =
            DriverManager.getConnection(cluster.dbUrl(), TestDatabases.POSTGRES_USER, "");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, job, scheduled_at, status, reason, COALESCE(fired_at, scheduled_at)"
                    + " FROM runs WHERE job LIKE 'chaos-%'")) {
      while (rs.next()) {
        runs.add(
            new Run(
                rs.getString(1),
                rs.getString(2),
                rs.getObject(3, OffsetDateTime.class).toInstant(),
                rs.getString(4),
                rs.getString(5),
                rs.getObject(6, OffsetDateTime.class).toInstant()));
      }
    }
    return runs;
  }

  private static void pause(Duration d) {
    JarCluster.awaitTime(Instant.now().plus(d));
  }

  private void step(String what) {
    System.out.printf(
        "ChaosIT +%ds: %s%n", (System.nanoTime() - startNanos) / 1_000_000_000L, what);
  }

  static {
    try {
      Files.createDirectories(DIR);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
