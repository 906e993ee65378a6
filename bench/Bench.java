import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * The benchmark's helper, driven by bench/run.sh (compiled against target/distcron.jar, which brings the
 * PostgreSQL and H2 JDBC drivers). Subcommands:
 *
 * <ul>
 *   <li>{@code register}: creates jobs over the HTTP API with several concurrent clients;
 *   <li>{@code mark}: the journal's high-water mark (max ordering) and row counts;
 *   <li>{@code wait-fired}: waits until every job of a prefix has fired since an instant (cold start);
 *   <li>{@code analyze}: reads the runs table for the window and prints the table and the JSON line;
 *   <li>{@code jfr}: summarises JFR recordings (hot methods, busy threads).
 * </ul>
 */
public final class Bench {

  public static void main(String[] args) throws Exception {
    if (args.length == 0) throw new IllegalArgumentException("usage: Bench register|mark|wait-fired|analyze|jfr ...");
    Map<String, String> o = options(args);
    switch (args[0]) {
      case "register" -> register(o);
      case "mark" -> mark(o);
      case "wait-fired" -> waitFired(o);
      case "analyze" -> analyze(o);
      case "jfr" -> jfr(o);
      default -> throw new IllegalArgumentException("unknown subcommand " + args[0]);
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> o = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--")) throw new IllegalArgumentException("unexpected " + args[i]);
      String key = args[i].substring(2);
      String value = i + 1 < args.length && !args[i + 1].startsWith("--") ? args[++i] : "true";
      o.put(key, value);
    }
    return o;
  }

  private static String req(Map<String, String> o, String key) {
    String v = o.get(key);
    if (v == null) throw new IllegalArgumentException("--" + key + " is required");
    return v;
  }

  private static void err(String fmt, Object... args) {
    System.err.println(String.format(Locale.ROOT, fmt, args));
  }

  // ---------------------------------------------------------------- register

  static String jobName(String prefix, int i) {
    return prefix + String.format(Locale.ROOT, "%06d", i);
  }

  private static void register(Map<String, String> o) throws Exception {
    List<String> urls = Arrays.asList(req(o, "urls").split(","));
    String prefix = req(o, "prefix");
    int from = Integer.parseInt(o.getOrDefault("from", "0"));
    int count = Integer.parseInt(req(o, "count"));
    String schedule = req(o, "schedule");
    String action = o.getOrDefault("action", "noop");
    int concurrency = Integer.parseInt(o.getOrDefault("concurrency", "8"));
    // > 0: POST /apply with this many jobs per request (one owner per request), else POST /jobs.
    int batch = Integer.parseInt(o.getOrDefault("apply-batch", "0"));
    String actionJson =
        switch (action) {
          case "noop" -> "\"noop\":{}";
          case "shell" -> "\"shell\":{\"command\":\"true\"}";
          default -> throw new IllegalArgumentException("--action noop|shell");
        };
    HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10))
            .build();
    AtomicInteger next = new AtomicInteger(from);
    AtomicInteger done = new AtomicInteger();
    AtomicLong retries = new AtomicLong();
    List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
    long start = System.nanoTime();
    ExecutorService pool = Executors.newFixedThreadPool(concurrency);
    for (int t = 0; t < concurrency; t++) {
      pool.submit(
          () -> {
            int i;
            int step = Math.max(1, batch);
            while ((i = next.getAndAdd(step)) < from + count && failures.isEmpty()) {
              String name = jobName(prefix, i);
              String body;
              String url;
              int n = Math.min(step, from + count - i);
              if (batch > 0) {
                StringBuilder jobs = new StringBuilder();
                for (int k = i; k < i + n; k++) {
                  if (k > i) jobs.append(',');
                  jobs.append("{\"name\":\"").append(jobName(prefix, k)).append("\",\"schedule\":\"")
                      .append(schedule).append("\",").append(actionJson).append('}');
                }
                body = "{\"managedBy\":\"bench:" + name + "\",\"jobs\":[" + jobs + "]}";
                url = urls.get((i / step) % urls.size()) + "/apply";
              } else {
                body = "{\"name\":\"" + name + "\",\"schedule\":\"" + schedule + "\"," + actionJson + "}";
                url = urls.get(i % urls.size()) + "/jobs";
              }
              for (int attempt = 1; ; attempt++) {
                try {
                  HttpResponse<String> r =
                      http.send(
                          HttpRequest.newBuilder(URI.create(url))
                              .timeout(Duration.ofSeconds(batch > 0 ? 300 : 30))
                              .header("Content-Type", "application/json")
                              .POST(HttpRequest.BodyPublishers.ofString(body))
                              .build(),
                          HttpResponse.BodyHandlers.ofString());
                  int s = r.statusCode();
                  if (s == 201 || s == 200 || s == 409) break;
                  if (s == 400 || s == 401 || s == 403 || attempt >= 30) {
                    failures.add(name + ": HTTP " + s + " " + r.body());
                    return null;
                  }
                } catch (IOException e) {
                  if (attempt >= 30) {
                    failures.add(name + ": " + e);
                    return null;
                  }
                }
                retries.incrementAndGet();
                Thread.sleep(Math.min(2000, 50L * attempt));
              }
              int total = done.addAndGet(n);
              if (total / 5000 != (total - n) / 5000) err("  registered %d/%d", total, count);
            }
            return null;
          });
    }
    pool.shutdown();
    pool.awaitTermination(365, TimeUnit.DAYS);
    double secs = (System.nanoTime() - start) / 1e9;
    if (!failures.isEmpty()) {
      err("registration failed: %s", failures.get(0));
      System.exit(1);
    }
    // stdout: seconds, for run.sh
    System.out.printf(Locale.ROOT, "%.3f%n", secs);
    err(
        "registered %d jobs in %.1f s (%.0f/s, %d clients, %d retries)",
        count, secs, count / secs, concurrency, retries.get());
  }

  // ---------------------------------------------------------------- database

  private static Connection connect(Map<String, String> o) throws Exception {
    String url = req(o, "db-url");
    Class.forName(url.startsWith("jdbc:postgresql:") ? "org.postgresql.Driver" : "org.h2.Driver");
    return DriverManager.getConnection(url, o.getOrDefault("db-user", "sa"), o.getOrDefault("db-password", ""));
  }

  private static long scalarLong(Connection c, String sql) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** "maxOrdering journalRows snapshotRows epochMillis" */
  private static void mark(Map<String, String> o) throws Exception {
    try (Connection c = connect(o)) {
      System.out.println(
          scalarLong(c, "SELECT COALESCE(MAX(ordering), 0) FROM event_journal")
              + " "
              + scalarLong(c, "SELECT COUNT(*) FROM event_journal")
              + " "
              + scalarLong(c, "SELECT COUNT(*) FROM snapshot")
              + " "
              + System.currentTimeMillis());
    }
  }

  private static long micros(Object v) {
    if (v == null) return Long.MIN_VALUE;
    Instant i;
    if (v instanceof OffsetDateTime odt) i = odt.toInstant();
    else if (v instanceof Timestamp ts) i = ts.toInstant();
    else if (v instanceof java.time.ZonedDateTime z) i = z.toInstant();
    else throw new IllegalStateException("timestamp type " + v.getClass());
    return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
  }

  private static Timestamp ts(long epochMillis) {
    return Timestamp.from(Instant.ofEpochMilli(epochMillis));
  }

  /**
   * Waits until every job {@code prefix000000 .. prefix(count-1)} has a run fired at or after
   * {@code --since} (epoch ms). Prints the seconds from {@code since} to the last such first fire.
   */
  private static void waitFired(Map<String, String> o) throws Exception {
    String prefix = req(o, "prefix");
    int count = Integer.parseInt(req(o, "count"));
    long since = Long.parseLong(req(o, "since"));
    long deadline = System.currentTimeMillis() + 1000L * Integer.parseInt(o.getOrDefault("timeout", "600"));
    String sql =
        "SELECT COUNT(*), MAX(f) FROM (SELECT job, MIN(fired_at) f FROM runs WHERE job LIKE ? AND fired_at >= ?"
            + " AND status <> 'SKIPPED' GROUP BY job) x";
    int last = -1;
    while (true) {
      try (Connection c = connect(o);
          PreparedStatement ps = c.prepareStatement(sql)) {
        ps.setString(1, prefix + "%");
        ps.setTimestamp(2, ts(since));
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          int n = rs.getInt(1);
          if (n >= count) {
            long lastFirst = micros(rs.getObject(2, OffsetDateTime.class));
            System.out.printf(Locale.ROOT, "%.3f%n", (lastFirst / 1000.0 - since) / 1000.0);
            return;
          }
          if (n != last) err("  %d/%d per-second jobs have fired since the start", n, count);
          last = n;
        }
      } catch (java.sql.SQLException e) {
        err("  (database not answering yet: %s)", e.getMessage());
      }
      if (System.currentTimeMillis() > deadline) {
        System.out.println("-1");
        return;
      }
      Thread.sleep(500);
    }
  }

  // ---------------------------------------------------------------- analyze

  record Run(String job, long scheduled, long fired, long started, String node, String reason, String status) {}

  private static List<Run> window(Connection c, String prefix, long t0, long t1) throws Exception {
    String sql =
        "SELECT job, scheduled_at, fired_at, started_at, node, reason, status FROM runs"
            + " WHERE job LIKE ? AND scheduled_at >= ? AND scheduled_at < ?";
    List<Run> runs = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setFetchSize(10_000);
      ps.setString(1, prefix + "%");
      ps.setTimestamp(2, ts(t0 * 1000));
      ps.setTimestamp(3, ts(t1 * 1000));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          runs.add(
              new Run(
                  rs.getString(1),
                  micros(rs.getObject(2, OffsetDateTime.class)),
                  micros(rs.getObject(3, OffsetDateTime.class)),
                  micros(rs.getObject(4, OffsetDateTime.class)),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getString(7)));
        }
      }
    }
    return runs;
  }

  private static int jobsFiredSince(Connection c, String prefix, long sinceMillis) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(DISTINCT job) FROM runs WHERE job LIKE ? AND fired_at > ? AND status <> 'SKIPPED'")) {
      ps.setString(1, prefix + "%");
      ps.setTimestamp(2, ts(sinceMillis));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1);
      }
    }
  }

  /** Per job: {last fired_at at or before the kill, first fired_at after it, node of the last} (micros). */
  private static Map<String, long[]> lastBeforeFirstAfter(Connection c, String prefix, long killMillis)
      throws Exception {
    Map<String, long[]> m = new HashMap<>();
    String sql =
        "SELECT job, MAX(CASE WHEN fired_at <= ? THEN fired_at END), MIN(CASE WHEN fired_at > ? THEN fired_at END)"
            + " FROM runs WHERE job LIKE ? AND fired_at >= ? AND status <> 'SKIPPED'"
            + " AND reason IN ('SCHEDULE', 'CATCHUP') GROUP BY job";
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setTimestamp(1, ts(killMillis));
      ps.setTimestamp(2, ts(killMillis));
      ps.setString(3, prefix + "%");
      ps.setTimestamp(4, ts(killMillis - 60_000));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          m.put(
              rs.getString(1),
              new long[] {
                micros(rs.getObject(2, OffsetDateTime.class)), micros(rs.getObject(3, OffsetDateTime.class))
              });
        }
      }
    }
    return m;
  }

  private static long countWindow(Connection c, String prefix, long t0, long t1) throws Exception {
    try (PreparedStatement ps =
        c.prepareStatement(
            "SELECT COUNT(*) FROM runs WHERE job LIKE ? AND scheduled_at >= ? AND scheduled_at < ?"
                + " AND finished_at IS NOT NULL")) {
      ps.setString(1, prefix + "%");
      ps.setTimestamp(2, ts(t0 * 1000));
      ps.setTimestamp(3, ts(t1 * 1000));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  static boolean fired(Run r) {
    return !"SKIPPED".equals(r.status())
        && ("SCHEDULE".equals(r.reason()) || "CATCHUP".equals(r.reason()));
  }

  record Ticks(long expected, long fired, long missed, long duplicates, long skipped) {}

  /** Ticks of jobs 0..jobs-1 scheduled in [fromSec, toSec). */
  static Ticks ticks(List<Run> runs, int jobs, long fromSec, long toSec) {
    Map<String, Integer> perTick = new HashMap<>();
    Set<String> skipped = new HashSet<>();
    for (Run r : runs) {
      if (r.scheduled() < fromSec * 1_000_000L || r.scheduled() >= toSec * 1_000_000L) continue;
      String key = r.job() + "|" + r.scheduled();
      if (fired(r)) perTick.merge(key, 1, Integer::sum);
      else if ("SKIPPED".equals(r.status())) skipped.add(key);
    }
    long expected = (long) jobs * (toSec - fromSec);
    long fired = perTick.size();
    long dups = perTick.values().stream().mapToLong(n -> n - 1).sum();
    skipped.removeAll(perTick.keySet());
    return new Ticks(expected, fired, Math.max(0, expected - fired), dups, skipped.size());
  }

  /** Missed ticks of jobs 0..jobs-1 in [fromSec, toSec), counted per scheduled second. */
  static Map<Long, Long> missedBySecond(
      List<Run> runs, String prefix, int jobs, long fromSec, long toSec, Set<String> only) {
    Set<String> firedKeys = new HashSet<>();
    for (Run r : runs) if (fired(r)) firedKeys.add(r.job() + "|" + r.scheduled() / 1_000_000L);
    Map<Long, Long> bySecond = new TreeMap<>();
    for (int j = 0; j < jobs; j++) {
      String name = jobName(prefix, j);
      if (only != null && !only.contains(name)) continue;
      for (long t = fromSec; t < toSec; t++) {
        if (!firedKeys.contains(name + "|" + t)) bySecond.merge(t, 1L, Long::sum);
      }
    }
    return bySecond;
  }

  static double pct(long[] sorted, double p) {
    if (sorted.length == 0) return Double.NaN;
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  private static String num(double v, int decimals) {
    if (Double.isNaN(v) || Double.isInfinite(v)) return "null";
    return String.format(Locale.ROOT, "%." + decimals + "f", v);
  }

  private static void analyze(Map<String, String> o) throws Exception {
    String prefix = req(o, "prefix");
    int jobs = Integer.parseInt(req(o, "jobs"));
    int nodes = Integer.parseInt(req(o, "nodes"));
    long t0 = Long.parseLong(req(o, "t0"));
    long t1 = Long.parseLong(req(o, "t1"));
    long seconds = t1 - t0;
    long killAt = Long.parseLong(o.getOrDefault("kill-at", "0"));
    String killedNode = o.get("killed-node");
    int flushTimeout = Integer.parseInt(o.getOrDefault("flush-timeout", "30"));

    List<Run> runs;
    Map<String, Long> journalByType = new LinkedHashMap<>();
    long firesBetweenMarks = -1;
    Map<String, long[]> aroundKill = new HashMap<>();
    try (Connection c = connect(o)) {
      if (killAt > 0) {
        // Failover: wait (up to --failover-timeout s) until every job has fired again after the kill.
        long deadline = System.currentTimeMillis() + 1000L * Integer.parseInt(o.getOrDefault("failover-timeout", "180"));
        int lastN = -1;
        while (true) {
          int n = jobsFiredSince(c, prefix, killAt);
          if (n >= jobs || System.currentTimeMillis() > deadline) break;
          if (n != lastN) err("  %d/%d jobs have fired since the kill", n, jobs);
          lastN = n;
          Thread.sleep(1000);
        }
        aroundKill = lastBeforeFirstAfter(c, prefix, killAt);
      }
      // The run store is written asynchronously, and catch-up of the window's last ticks may still be
      // going on: wait until the window's rows stop changing (or all of them are there).
      long expected = (long) jobs * seconds;
      long last = -1;
      int stable = 0;
      long deadline = System.currentTimeMillis() + flushTimeout * 1000L;
      while (System.currentTimeMillis() < deadline) {
        long n = countWindow(c, prefix, t0, t1);
        stable = n == last ? stable + 1 : 0;
        last = n;
        if (n >= expected && stable >= 1) break;
        if (stable >= 4) break;
        Thread.sleep(1000);
      }
      runs = window(c, prefix, t0, t1);
      if (o.containsKey("journal0-at") && o.containsKey("journal1-at")) {
        try (PreparedStatement ps =
            c.prepareStatement("SELECT COUNT(*) FROM runs WHERE fired_at > ? AND fired_at <= ? AND status <> 'SKIPPED'")) {
          ps.setTimestamp(1, ts(Long.parseLong(o.get("journal0-at"))));
          ps.setTimestamp(2, ts(Long.parseLong(o.get("journal1-at"))));
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            firesBetweenMarks = rs.getLong(1);
          }
        }
      }
      long j0 = Long.parseLong(o.getOrDefault("journal0", "0"));
      long j1 = Long.parseLong(o.getOrDefault("journal1", "0"));
      try (PreparedStatement ps =
          c.prepareStatement(
              "SELECT event_ser_manifest, COUNT(*) FROM event_journal WHERE ordering > ? AND ordering <= ?"
                  + " GROUP BY event_ser_manifest ORDER BY 2 DESC")) {
        ps.setLong(1, j0);
        ps.setLong(2, j1);
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            String m = rs.getString(1);
            journalByType.put(m.substring(m.lastIndexOf('.') + 1).replace("JobEntity$", ""), rs.getLong(2));
          }
        }
      }
    }

    Ticks all = ticks(runs, jobs, t0, t1);
    List<Run> firedRuns = runs.stream().filter(Bench::fired).toList();
    long[] startLate =
        firedRuns.stream()
            .mapToLong(r -> (r.started() != Long.MIN_VALUE ? r.started() : r.fired()) - r.scheduled())
            .sorted()
            .toArray();
    long[] fireLate = firedRuns.stream().mapToLong(r -> r.fired() - r.scheduled()).sorted().toArray();
    long[] schedLate =
        firedRuns.stream()
            .filter(r -> "SCHEDULE".equals(r.reason()))
            .mapToLong(r -> (r.started() != Long.MIN_VALUE ? r.started() : r.fired()) - r.scheduled())
            .sorted()
            .toArray();
    long catchups = firedRuns.stream().filter(r -> "CATCHUP".equals(r.reason())).count();
    Map<String, Long> perNode =
        firedRuns.stream()
            .collect(Collectors.groupingBy(r -> String.valueOf(r.node()), TreeMap::new, Collectors.counting()));

    double firesPerSecond = (double) all.fired() / seconds;

    // CPU: seconds of the distcron processes and of this run's PostgreSQL backends in the window.
    double cpuNodes = Double.parseDouble(o.getOrDefault("cpu-nodes", "NaN"));
    double cpuDb = Double.parseDouble(o.getOrDefault("cpu-db", "0"));
    double cpuDbShared = Double.parseDouble(o.getOrDefault("cpu-db-shared", "NaN"));
    double cpuPer1000 = (cpuNodes + cpuDb) / (all.fired() / 1000.0);

    long journal0 = Long.parseLong(o.getOrDefault("journal0", "0"));
    long journal1 = Long.parseLong(o.getOrDefault("journal1", "0"));
    // Rows inserted between the two marks over the runs fired between them (timing-independent).
    // If no row between the marks has been deleted yet (snapshots delete events ~100 events back), the
    // RunFired rows among them are exactly the fires they belong to; otherwise count runs by fired_at.
    long present = journalByType.values().stream().mapToLong(Long::longValue).sum();
    long firedRows = journalByType.getOrDefault("RunFired", 0L);
    long journalFires =
        present == journal1 - journal0 && firedRows > 0
            ? firedRows
            : firesBetweenMarks > 0 ? firesBetweenMarks : all.fired();
    double journalPerFire = (double) (journal1 - journal0) / journalFires;

    // Heap: used after a full GC, per node, before registering and with the jobs registered.
    long[] heapBefore = longs(o.get("heap-before"));
    long[] heapAfter = longs(o.get("heap-after"));
    double heapPerJob = Double.NaN;
    if (heapBefore.length > 0 && heapBefore.length == heapAfter.length) {
      long delta = 0;
      for (int i = 0; i < heapBefore.length; i++) delta += heapAfter[i] - heapBefore[i];
      heapPerJob = (double) delta / Integer.parseInt(o.getOrDefault("total-jobs", String.valueOf(jobs)));
    }

    // Failover: per job, the gap in fired_at across the kill.
    Double failoverGap = null;
    Double refireAfterKill = null;
    Ticks afterKill = null;
    long jobsOnKilled = 0;
    long jobsAffected = 0;
    String worstJob = null;
    if (killAt > 0) {
      long killMicros = killAt * 1000;
      double worst = 0;
      double worstRefire = 0;
      for (var e : aroundKill.entrySet()) {
        long before = e.getValue()[0];
        long after = e.getValue()[1];
        if (before == Long.MIN_VALUE) continue;
        if (after == Long.MIN_VALUE) after = System.currentTimeMillis() * 1000; // not fired again yet
        double gap = (after - before) / 1e6;
        if (gap > 2.0) jobsAffected++;
        if (gap > worst) {
          worst = gap;
          worstJob = e.getKey();
        }
        worstRefire = Math.max(worstRefire, (after - killMicros) / 1e6);
      }
      failoverGap = worst;
      refireAfterKill = worstRefire;
      if (killedNode != null) {
        jobsOnKilled =
            firedRuns.stream()
                .filter(r -> killedNode.equals(r.node()) && r.fired() <= killMicros)
                .map(Run::job)
                .distinct()
                .count();
      }
      long killSec = (killAt + 999) / 1000;
      afterKill = ticks(runs, jobs, killSec, t1);
    }

    // ---- the table
    var out = System.out;
    out.println();
    String total = o.getOrDefault("total-jobs", String.valueOf(jobs));
    out.printf(Locale.ROOT, "distcron benchmark: %s jobs (%d per-second, measured), %d node(s), %d s window (%s .. %s)%n",
        total, jobs, nodes, seconds, Instant.ofEpochSecond(t0), Instant.ofEpochSecond(t1));
    out.println("-------------------------------------------------------------------");
    row("expected ticks", all.expected());
    row("fired (distinct job+tick)", all.fired() + (catchups > 0 ? "  (" + catchups + " by catch-up)" : ""));
    row("missed", all.missed() + (all.skipped() > 0 ? "  (" + all.skipped() + " recorded SKIPPED)" : ""));
    if (all.missed() > 0) {
      Map<Long, Long> bySecond = missedBySecond(runs, prefix, jobs, t0, t1, null);
      StringBuilder sb = new StringBuilder();
      bySecond.forEach(
          (sec, n) -> {
            if (sb.length() < 400) {
              sb.append(sb.length() == 0 ? "" : ", ").append(Instant.ofEpochSecond(sec).toString().substring(11, 19)).append(" x").append(n);
            }
          });
      row("  missed ticks by scheduled second", sb);
      if (killedNode != null) {
        Set<String> onKilled =
            firedRuns.stream()
                .filter(r -> killedNode.equals(r.node()) && r.fired() <= killAt * 1000)
                .map(Run::job)
                .collect(Collectors.toSet());
        long n = missedBySecond(runs, prefix, jobs, t0, t1, onKilled).values().stream().mapToLong(Long::longValue).sum();
        row("  of which jobs of the killed node", n);
      }
    }
    row("duplicates", all.duplicates());
    row("fires per second", num(firesPerSecond, 1));
    row("lateness start-tick p50/p99/max ms",
        num(pct(startLate, 50) / 1000, 1) + " / " + num(pct(startLate, 99) / 1000, 1) + " / "
            + num(pct(startLate, 100) / 1000, 1));
    row("lateness fired-tick p50/p99/max ms",
        num(pct(fireLate, 50) / 1000, 1) + " / " + num(pct(fireLate, 99) / 1000, 1) + " / "
            + num(pct(fireLate, 100) / 1000, 1));
    if (catchups > 0) {
      row("  on-time (SCHEDULE) runs p50/p99/max ms",
          num(pct(schedLate, 50) / 1000, 1) + " / " + num(pct(schedLate, 99) / 1000, 1) + " / "
              + num(pct(schedLate, 100) / 1000, 1));
    }
    row("fires per node", perNode.toString());
    row("CPU s: nodes / own PG backends", num(cpuNodes, 2) + " / " + num(cpuDb, 2)
        + "   (PG shared aux procs: " + num(cpuDbShared, 2) + ", not counted)");
    row("CPU s per 1000 fires", num(cpuPer1000, 3));
    if (o.containsKey("idle-cpu")) {
      double idle = Double.parseDouble(o.get("idle-cpu"));
      double net = (cpuNodes + cpuDb - idle * seconds) / (all.fired() / 1000.0);
      row("  idle cluster CPU s/s; per 1000 fires net of it",
          num(idle, 3) + "; " + (net > 0 ? num(net, 3) : "n/a (too few fires)"));
    }
    row("journal rows written / per fire",
        (journal1 - journal0) + " / " + num(journalPerFire, 2) + "  (over " + journalFires + " fires)");
    row("  window's journal rows still present, by type", journalByType);
    if (o.containsKey("journal-rows")) {
      row("journal rows / snapshots now", o.get("journal-rows") + " / " + o.getOrDefault("snapshot-rows", "?"));
    }
    row("heap used MB per node before -> with jobs", heapMb(heapBefore) + " -> " + heapMb(heapAfter));
    row("heap bytes per job", num(heapPerJob, 0));
    if (o.containsKey("register-seconds")) {
      double rs = Double.parseDouble(o.get("register-seconds"));
      int registered = Integer.parseInt(o.getOrDefault("registered", String.valueOf(jobs)));
      row("registration", num(rs, 1) + " s (" + num(registered / rs, 1) + " jobs/s)");
      if (o.containsKey("register-cpu")) {
        double rc = Double.parseDouble(o.get("register-cpu")) + Double.parseDouble(o.getOrDefault("register-cpu-db", "0"));
        row("  CPU ms per registered job (nodes + PG)", num(rc * 1000 / registered, 1));
      }
    }
    if (killAt > 0) {
      row("killed node / at", killedNode + " / " + Instant.ofEpochMilli(killAt));
      row("jobs on killed node / with a gap > 2 s", jobsOnKilled + " / " + jobsAffected);
      row("failover gap (max fired_at gap) s", num(failoverGap, 2) + "  (job " + worstJob + ")");
      row("kill -> every job fired again s", num(refireAfterKill, 2));
      row("after kill: expected/fired/missed/dups",
          afterKill.expected() + " / " + afterKill.fired() + " / " + afterKill.missed() + " / " + afterKill.duplicates());
    }
    if (o.containsKey("lost-nodes")) row("NODES LOST DURING THE WINDOW", o.get("lost-nodes"));
    Map<String, String> extra = new LinkedHashMap<>();
    if (o.containsKey("extra")) {
      for (String kv : o.get("extra").split(",")) {
        if (kv.isBlank()) continue;
        String[] p = kv.split("=", 2);
        extra.put(p[0], p[1]);
        row(p[0], p[1]);
      }
    }
    out.println("-------------------------------------------------------------------");

    // ---- the JSON line (last line of stdout)
    StringBuilder j = new StringBuilder("{");
    j.append("\"jobs\":").append(o.getOrDefault("total-jobs", String.valueOf(jobs)));
    j.append(",\"nodes\":").append(nodes);
    j.append(",\"seconds\":").append(seconds);
    j.append(",\"expected\":").append(all.expected());
    j.append(",\"fired\":").append(all.fired());
    j.append(",\"missed\":").append(all.missed());
    j.append(",\"duplicates\":").append(all.duplicates());
    j.append(",\"firesPerSecond\":").append(num(firesPerSecond, 1));
    j.append(",\"latenessMs\":{\"p50\":").append(num(pct(startLate, 50) / 1000, 1))
        .append(",\"p99\":").append(num(pct(startLate, 99) / 1000, 1))
        .append(",\"max\":").append(num(pct(startLate, 100) / 1000, 1)).append("}");
    j.append(",\"cpuSecondsPer1000Fires\":").append(num(cpuPer1000, 3));
    j.append(",\"journalRowsPerFire\":").append(num(journalPerFire, 2));
    j.append(",\"heapBytesPerJob\":").append(num(heapPerJob, 0));
    if (killAt > 0) {
      j.append(",\"failoverGapSeconds\":").append(num(failoverGap, 2));
      j.append(",\"afterKill\":{\"expected\":").append(afterKill.expected())
          .append(",\"fired\":").append(afterKill.fired())
          .append(",\"missed\":").append(afterKill.missed())
          .append(",\"duplicates\":").append(afterKill.duplicates()).append("}");
      j.append(",\"missedAfterKill\":").append(afterKill.missed());
      j.append(",\"duplicatesAfterKill\":").append(afterKill.duplicates());
    }
    if (o.containsKey("lost-nodes")) j.append(",\"nodesLost\":\"").append(o.get("lost-nodes")).append("\"");
    for (var e : extra.entrySet()) {
      String v = e.getValue();
      boolean numeric = v.matches("-?[0-9]+(\\.[0-9]+)?");
      j.append(",\"").append(e.getKey()).append("\":").append(numeric ? v : "\"" + v + "\"");
    }
    j.append("}");
    out.println(j);
  }

  private static long[] longs(String csv) {
    if (csv == null || csv.isBlank()) return new long[0];
    return Arrays.stream(csv.split(",")).filter(s -> !s.isBlank()).mapToLong(Long::parseLong).toArray();
  }

  private static String heapMb(long[] bytes) {
    return Arrays.stream(bytes).mapToObj(b -> num(b / 1048576.0, 1)).collect(Collectors.joining(", ", "[", "]"));
  }

  private static void row(String label, Object value) {
    System.out.printf(Locale.ROOT, "%-42s %s%n", label, value);
  }

  // ---------------------------------------------------------------- JFR

  /** Hot methods (top frame), hot distcron frames (first io.distcron frame) and busy thread pools. */
  private static void jfr(Map<String, String> o) throws Exception {
    int top = Integer.parseInt(o.getOrDefault("top", "15"));
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> distcron = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> packages = new HashMap<>();
    long samples = 0;
    for (String file : req(o, "files").split(",")) {
      Path p = Path.of(file);
      if (!Files.exists(p)) continue;
      try (RecordingFile rf = new RecordingFile(p)) {
        while (rf.hasMoreEvents()) {
          RecordedEvent e = rf.readEvent();
          if (!e.getEventType().getName().equals("jdk.ExecutionSample")) continue;
          samples++;
          RecordedStackTrace st = e.getStackTrace();
          String tname = e.getThread("sampledThread") != null ? e.getThread("sampledThread").getJavaName() : "?";
          threads.merge(tname == null ? "?" : tname.replaceAll("[-#]?[0-9]+$", "").replaceAll("-[0-9]+-", "-N-"), 1L, Long::sum);
          if (st == null || st.getFrames().isEmpty()) continue;
          List<RecordedFrame> frames = st.getFrames();
          self.merge(frame(frames.get(0)), 1L, Long::sum);
          packages.merge(pkg(frames.get(0)), 1L, Long::sum);
          for (RecordedFrame f : frames) {
            if (f.getMethod() != null && f.getMethod().getType().getName().startsWith("io.distcron.")) {
              distcron.merge(frame(f), 1L, Long::sum);
              break;
            }
          }
        }
      }
    }
    System.out.println("JFR execution samples: " + samples);
    print("top frames (self time)", self, samples, top);
    print("self time by package", packages, samples, top);
    print("first io.distcron frame on the stack (inclusive)", distcron, samples, top);
    print("samples by thread (pool)", threads, samples, top);
  }

  private static String frame(RecordedFrame f) {
    if (f.getMethod() == null) return "?";
    return f.getMethod().getType().getName() + "." + f.getMethod().getName();
  }

  private static String pkg(RecordedFrame f) {
    if (f.getMethod() == null) return "?";
    String n = f.getMethod().getType().getName();
    String[] parts = n.split("\\.");
    return String.join(".", Arrays.copyOf(parts, Math.min(3, Math.max(1, parts.length - 1))));
  }

  private static void print(String title, Map<String, Long> m, long total, int top) {
    System.out.println("  " + title + ":");
    m.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue(Comparator.reverseOrder()))
        .limit(top)
        .forEach(e -> System.out.printf(Locale.ROOT, "    %5.1f%%  %s%n", 100.0 * e.getValue() / total, e.getKey()));
  }
}
