package io.distcron.store;

import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;
import javax.sql.DataSource;

/**
 * The run history (read side): one row per run, written by the projection of the job entities'
 * events (their only writer), read by the API, the console and the reaper; output chunks and tails,
 * keyed by run, are written by executors.
 *
 * <p>A write is a merge that only moves a run forward: a terminal row never changes again, and a
 * status is replaced only by one of equal or higher {@link RunStatus#rank()}, so rows written by an
 * earlier version stay consistent. Every method blocks; call it on the blocking dispatcher.
 */
public final class RunStore {

  /** The output row that holds a finished run's tail; live chunks are numbered from 1. */
  public static final int TAIL_SEQ = 0;

  private static final String COLUMNS =
      "id, job, scheduled_at, fired_at, started_at, finished_at, node, attempt, reason, status,"
          + " exit_code, message, output_tail, jitter_ms";

  private static final String UNFINISHED = "status IN (" + unfinishedNames() + ")";
  private static final String TERMINAL = "status NOT IN (" + unfinishedNames() + ")";

  /** Runs of one tick share scheduled_at (retries); the later firing is the newer run. */
  private static final String FIRED = "COALESCE(fired_at, scheduled_at)";

  private static final String NEWEST_FIRST = "scheduled_at DESC, " + FIRED + " DESC, id DESC";

  /**
   * One run with its output tail: kept on the row by versions before the tail moved to run_output,
   * under {@link #TAIL_SEQ} there since.
   */
  private static final String FIND =
      """
      SELECT %s, COALESCE(r.output_tail, o.chunk) AS tail FROM runs r
      LEFT JOIN run_output o ON o.run_id = r.id AND o.seq = %d
      WHERE r.id = ?
      """
          .formatted(
              Arrays.stream(COLUMNS.split(", "))
                  .map(c -> "r." + c.trim())
                  .collect(Collectors.joining(", ")),
              TAIL_SEQ);

  private static final String LAST_BY_JOB =
      "SELECT %s FROM runs WHERE job = ? ORDER BY %s LIMIT 1".formatted(COLUMNS, NEWEST_FIRST);

  private static final String FIRST_PAGE =
      "SELECT %s FROM runs WHERE job = ? ORDER BY %s LIMIT ?".formatted(COLUMNS, NEWEST_FIRST);

  /** Keyset paging: rows after the cursor's sort key, so runs added meanwhile shift nothing. */
  private static final String NEXT_PAGE =
      """
      SELECT %1$s FROM runs
      WHERE job = ?
        AND (scheduled_at < ? OR (scheduled_at = ? AND (%2$s < ? OR (%2$s = ? AND id < ?))))
      ORDER BY %3$s LIMIT ?
      """
          .formatted(COLUMNS, FIRED, NEWEST_FIRST);

  /**
   * A job's figures since a time, in one pass over its rows from the (job, scheduled_at) index.
   * Lateness is the first run of a tick (scheduled or caught up) starting after its tick and its
   * jitter; retries and manual runs have no tick of their own to be late for. EXTRACT(EPOCH) has
   * microseconds on both databases, where their timestamp differences have different types.
   */
  private static final String STATS =
      """
      SELECT
        COUNT(CASE WHEN status <> 'SKIPPED' THEN 1 END) AS runs,
        COUNT(CASE WHEN status = 'SUCCEEDED' THEN 1 END) AS succeeded,
        COUNT(CASE WHEN status IN ('FAILED', 'TIMED_OUT', 'KILLED', 'LOST') THEN 1 END) AS failed,
        COUNT(CASE WHEN %s THEN 1 END) AS unfinished,
        COUNT(CASE WHEN status = 'SKIPPED' THEN 1 END) AS skipped,
        PERCENTILE_CONT(0.5) WITHIN GROUP (ORDER BY lateness) AS lateness_p50,
        PERCENTILE_CONT(0.99) WITHIN GROUP (ORDER BY lateness) AS lateness_p99,
        MAX(lateness) AS lateness_max,
        AVG(duration) AS mean_duration
      FROM (
        SELECT status,
          CASE WHEN reason IN ('SCHEDULE', 'CATCHUP') AND started_at IS NOT NULL
            THEN (EXTRACT(EPOCH FROM started_at) - EXTRACT(EPOCH FROM scheduled_at)) * 1000
                 - COALESCE(jitter_ms, 0)
          END AS lateness,
          CASE WHEN started_at IS NOT NULL AND finished_at IS NOT NULL
            THEN (EXTRACT(EPOCH FROM finished_at) - EXTRACT(EPOCH FROM started_at)) * 1000
          END AS duration
        FROM runs WHERE job = ? AND scheduled_at >= ?
      ) w
      """
          .formatted(UNFINISHED);

  private static final String ALL_UNFINISHED =
      "SELECT %s FROM runs WHERE %s ORDER BY scheduled_at, id".formatted(COLUMNS, UNFINISHED);

  private static final String OUTPUT_AFTER =
      "SELECT seq, chunk FROM run_output WHERE run_id = ? AND seq > ? ORDER BY seq";

  private static final String FINISHED_BEFORE =
      """
      SELECT id FROM runs
      WHERE %s
        AND CASE WHEN status = 'SKIPPED' THEN scheduled_at
                 ELSE COALESCE(finished_at, scheduled_at) END < ?
      """
          .formatted(TERMINAL);

  private static final String BEYOND_NEWEST =
      """
      SELECT id FROM (
        SELECT id, status, ROW_NUMBER() OVER (PARTITION BY job ORDER BY %s) AS n FROM runs
      ) ranked
      WHERE n > ? AND %s
      """
          .formatted(NEWEST_FIRST, TERMINAL);

  /**
   * One statement, so a concurrent writer of the same id can only make it fail with a duplicate key
   * (both inserted), which the retry turns into the matched branch. The parameters are cast so that
   * neither database has to guess their types from a VALUES list.
   */
  private static final String UPSERT =
      """
      MERGE INTO runs t
      USING (VALUES (CAST(? AS VARCHAR(255)), CAST(? AS VARCHAR(255)),
                     CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS TIMESTAMP WITH TIME ZONE),
                     CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS TIMESTAMP WITH TIME ZONE),
                     CAST(? AS VARCHAR(255)), CAST(? AS INTEGER), CAST(? AS VARCHAR(32)),
                     CAST(? AS VARCHAR(32)), CAST(? AS INTEGER), CAST(? AS TEXT), CAST(? AS TEXT),
                     CAST(? AS BIGINT), CAST(? AS INTEGER)))
        AS s(%1$s, status_rank)
      ON t.id = s.id
      WHEN MATCHED AND %2$s < 2 THEN UPDATE SET
        job = COALESCE(s.job, t.job),
        scheduled_at = COALESCE(s.scheduled_at, t.scheduled_at),
        fired_at = COALESCE(s.fired_at, t.fired_at),
        started_at = COALESCE(s.started_at, t.started_at),
        finished_at = COALESCE(s.finished_at, t.finished_at),
        node = COALESCE(s.node, t.node),
        attempt = s.attempt,
        reason = COALESCE(s.reason, t.reason),
        status = CASE WHEN s.status_rank >= %2$s THEN s.status ELSE t.status END,
        exit_code = COALESCE(s.exit_code, t.exit_code),
        message = COALESCE(s.message, t.message),
        output_tail = COALESCE(s.output_tail, t.output_tail),
        jitter_ms = COALESCE(s.jitter_ms, t.jitter_ms)
      WHEN NOT MATCHED THEN INSERT (%1$s)
        VALUES (s.id, s.job, s.scheduled_at, s.fired_at, s.started_at, s.finished_at, s.node,
                s.attempt, s.reason, s.status, s.exit_code, s.message, s.output_tail, s.jitter_ms)
      """
          .formatted(COLUMNS, rank("t.status"));

  /**
   * {@link #UPSERT} as PostgreSQL's own upsert: with nothing bound after {@code VALUES}, the driver
   * sends a batch of them as a few multi-row INSERTs (reWriteBatchedInserts), where a batch of
   * MERGEs is one statement per row. A batch holds one row per run, so no row is hit twice.
   */
  private static final String POSTGRES_UPSERT =
      """
      INSERT INTO runs (%1$s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET
        job = COALESCE(EXCLUDED.job, runs.job),
        scheduled_at = COALESCE(EXCLUDED.scheduled_at, runs.scheduled_at),
        fired_at = COALESCE(EXCLUDED.fired_at, runs.fired_at),
        started_at = COALESCE(EXCLUDED.started_at, runs.started_at),
        finished_at = COALESCE(EXCLUDED.finished_at, runs.finished_at),
        node = COALESCE(EXCLUDED.node, runs.node),
        attempt = EXCLUDED.attempt,
        reason = COALESCE(EXCLUDED.reason, runs.reason),
        status = CASE WHEN %2$s >= %3$s THEN EXCLUDED.status ELSE runs.status END,
        exit_code = COALESCE(EXCLUDED.exit_code, runs.exit_code),
        message = COALESCE(EXCLUDED.message, runs.message),
        output_tail = COALESCE(EXCLUDED.output_tail, runs.output_tail),
        jitter_ms = COALESCE(EXCLUDED.jitter_ms, runs.jitter_ms)
      WHERE %3$s < 2
      """
          .formatted(COLUMNS, rank("EXCLUDED.status"), rank("runs.status"));

  /** A run moved on: same rules as {@link #UPSERT}'s matched branch, for a run already there. */
  private static final String UPDATE =
      """
      UPDATE runs SET
        started_at = COALESCE(CAST(? AS TIMESTAMP WITH TIME ZONE), started_at),
        finished_at = COALESCE(CAST(? AS TIMESTAMP WITH TIME ZONE), finished_at),
        node = COALESCE(CAST(? AS VARCHAR(255)), node),
        status = CASE WHEN CAST(? AS INTEGER) >= %1$s THEN CAST(? AS VARCHAR(32)) ELSE status END,
        exit_code = COALESCE(CAST(? AS INTEGER), exit_code),
        message = COALESCE(CAST(? AS TEXT), message)
      WHERE id = ? AND %1$s < 2
      """
          .formatted(rank("status"));

  private static final String APPEND_OUTPUT =
      """
      MERGE INTO run_output t
      USING (VALUES (CAST(? AS VARCHAR(255)), CAST(? AS INTEGER), CAST(? AS TEXT)))
        AS s(run_id, seq, chunk)
      ON t.run_id = s.run_id AND t.seq = s.seq
      WHEN NOT MATCHED THEN INSERT (run_id, seq, chunk) VALUES (s.run_id, s.seq, s.chunk)
      """;

  /** Rows per transaction in batch writes and deletes: bounds lock time and statement size. */
  private static final int BATCH = 500;

  private final DataSource ds;

  public RunStore(DataSource ds) {
    this.ds = ds;
  }

  /**
   * Writes what the projection made of a batch of job events, in its transaction: a row that
   * creates its run is inserted or merged into the stored one (non-null fields overwrite, the
   * status only moves forward, a terminal run is left as it is); a row that only moves a run on
   * updates it the same way, if it is there. {@code rows} holds at most one row per run.
   */
  public void write(Connection c, Collection<RunRecord> rows) throws SQLException {
    // Every writer locks rows in id order, so two overlapping batches cannot deadlock.
    List<RunRecord> sorted = rows.stream().sorted(Comparator.comparing(RunRecord::id)).toList();
    boolean postgres = Jdbc.isPostgres(c);
    try (PreparedStatement upsert = c.prepareStatement(postgres ? POSTGRES_UPSERT : UPSERT);
        PreparedStatement update = c.prepareStatement(UPDATE)) {
      int upserts = 0;
      int updates = 0;
      for (RunRecord r : sorted) {
        if (RunRows.creates(r)) {
          requireComplete(r);
          bind(upsert, r, !postgres);
          upsert.addBatch();
          upserts++;
        } else {
          bindUpdate(update, r);
          update.addBatch();
          updates++;
        }
      }
      if (upserts > 0) upsert.executeBatch();
      if (updates > 0) update.executeBatch();
    }
  }

  public Optional<RunRecord> find(String id) {
    return Jdbc.query(ds, "find run " + id, c -> find(c, id));
  }

  /** On the caller's connection, in its transaction: what it wrote so far included. */
  Optional<RunRecord> find(Connection c, String id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FIND)) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? Optional.of(read(rs, "tail")) : Optional.empty();
      }
    }
  }

  /**
   * The job's runs, newest first; {@code cursor} is null for the first page, else a previous page's
   * next.
   */
  public Page<RunRecord> listByJob(String job, int limit, String cursor) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    Cursor after = cursor == null ? null : Cursor.decode(cursor);
    String sql = after == null ? FIRST_PAGE : NEXT_PAGE;
    List<RunRecord> rows =
        Jdbc.query(
            ds,
            "list runs of " + job,
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql)) {
                int i = 1;
                ps.setString(i++, job);
                if (after != null) {
                  Jdbc.setInstant(ps, i++, after.scheduledAt());
                  Jdbc.setInstant(ps, i++, after.scheduledAt());
                  Jdbc.setInstant(ps, i++, after.firedAt());
                  Jdbc.setInstant(ps, i++, after.firedAt());
                  ps.setString(i++, after.id());
                }
                // One more than asked tells whether another page exists.
                ps.setInt(i, limit + 1);
                return all(ps);
              }
            });
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<RunRecord> items = rows.subList(0, limit);
    return new Page<>(items, Cursor.of(items.get(limit - 1)).encode());
  }

  /** The job's run with the latest scheduled time. */
  public Optional<RunRecord> lastByJob(String job) {
    return Jdbc.query(ds, "last run of " + job, c -> first(c, LAST_BY_JOB, job));
  }

  /** The job's runs whose tick is at or after {@code since}, summed up. */
  public RunStats stats(String job, Instant since) {
    return Jdbc.query(
        ds,
        "stats of " + job,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(STATS)) {
            ps.setString(1, job);
            Jdbc.setInstant(ps, 2, since);
            try (ResultSet rs = ps.executeQuery()) {
              rs.next();
              return new RunStats(
                  since,
                  rs.getLong("runs"),
                  rs.getLong("succeeded"),
                  rs.getLong("failed"),
                  rs.getLong("unfinished"),
                  rs.getLong("skipped"),
                  millis(rs, "lateness_p50"),
                  millis(rs, "lateness_p99"),
                  millis(rs, "lateness_max"),
                  millis(rs, "mean_duration"));
            }
          }
        });
  }

  private static Long millis(ResultSet rs, String column) throws SQLException {
    double ms = rs.getDouble(column);
    return rs.wasNull() ? null : Math.round(ms);
  }

  /** Every PENDING and RUNNING run, oldest first. */
  public List<RunRecord> unfinished() {
    return Jdbc.query(
        ds,
        "unfinished runs",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(ALL_UNFINISHED)) {
            return all(ps);
          }
        });
  }

  /**
   * Stores one piece of a run's output. Writing the same {@code (runId, seq)} again keeps the first
   * text, so an executor may resend after a failure.
   */
  public void appendOutput(String runId, int seq, String chunk) {
    Jdbc.transaction(
        ds,
        "append output of " + runId,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(APPEND_OUTPUT)) {
            ps.setString(1, runId);
            ps.setInt(2, seq);
            ps.setString(3, storable(chunk));
            return ps.executeUpdate();
          }
        });
  }

  /**
   * Keeps a finished run's output tail (the last bytes, whatever the live chunks stopped at) under
   * sequence number {@link #TAIL_SEQ}; only its executor writes it.
   */
  public void keepTail(String runId, String tail) {
    appendOutput(runId, TAIL_SEQ, tail);
  }

  /**
   * PostgreSQL's text cannot hold NUL, and one NUL in a process's output must not lose the rest: it
   * is stored as U+FFFD, as an invalid byte is.
   */
  static String storable(String text) {
    return text == null || text.indexOf('\u0000') < 0 ? text : text.replace('\u0000', '\uFFFD');
  }

  /**
   * The run's output pieces with a sequence number above {@code afterSeq}, in order: a live tail's
   * poll.
   */
  public List<OutputChunk> outputAfter(String runId, int afterSeq) {
    return Jdbc.query(
        ds,
        "output of " + runId,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(OUTPUT_AFTER)) {
            ps.setString(1, runId);
            ps.setInt(2, afterSeq);
            List<OutputChunk> chunks = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                chunks.add(new OutputChunk(rs.getInt("seq"), rs.getString("chunk")));
              }
            }
            return chunks;
          }
        });
  }

  /**
   * The run's output: the tail kept when it finished, else its pieces so far. Empty for an unknown
   * run.
   */
  public Optional<String> output(String runId) {
    Optional<RunRecord> run = find(runId);
    if (run.isEmpty()) {
      return Optional.empty();
    }
    if (run.get().outputTail() != null) {
      return Optional.of(run.get().outputTail());
    }
    return Optional.of(
        outputAfter(runId, TAIL_SEQ).stream().map(OutputChunk::text).collect(Collectors.joining()));
  }

  /**
   * Deletes terminal runs that finished before {@code cutoff} (SKIPPED ones, which never ran:
   * scheduled before it), with their output. Returns the number of runs deleted.
   */
  public int deleteFinishedBefore(Instant cutoff) {
    List<String> ids =
        Jdbc.query(
            ds,
            "find runs finished before " + cutoff,
            c -> {
              try (PreparedStatement ps = c.prepareStatement(FINISHED_BEFORE)) {
                Jdbc.setInstant(ps, 1, cutoff);
                return ids(ps);
              }
            });
    return delete(ids);
  }

  /**
   * Keeps each job's newest {@code keep} runs and deletes the older ones that are terminal, with
   * their output. Returns the number of runs deleted.
   */
  public int trimPerJob(int keep) {
    if (keep < 0) {
      throw new IllegalArgumentException("keep must not be negative: " + keep);
    }
    List<String> ids =
        Jdbc.query(
            ds,
            "find runs beyond the newest " + keep,
            c -> {
              try (PreparedStatement ps = c.prepareStatement(BEYOND_NEWEST)) {
                ps.setInt(1, keep);
                return ids(ps);
              }
            });
    return delete(ids);
  }

  /** Terminal rows never change, so ids selected as terminal are still safe to delete. */
  private int delete(List<String> ids) {
    int deleted = 0;
    for (List<String> batch : partition(ids)) {
      deleted +=
          Jdbc.transaction(
              ds,
              "delete " + batch.size() + " runs",
              c -> {
                String in = Jdbc.placeholders(batch.size());
                int n =
                    executeWithIds(
                        c, "DELETE FROM runs WHERE " + TERMINAL + " AND id IN (" + in + ")", batch);
                executeWithIds(c, "DELETE FROM run_output WHERE run_id IN (" + in + ")", batch);
                return n;
              });
    }
    return deleted;
  }

  private static int executeWithIds(Connection c, String sql, List<String> ids)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < ids.size(); i++) {
        ps.setString(i + 1, ids.get(i));
      }
      return ps.executeUpdate();
    }
  }

  static void requireComplete(RunRecord r) {
    Objects.requireNonNull(r.id(), "run id");
    Objects.requireNonNull(r.job(), () -> "job of run " + r.id());
    Objects.requireNonNull(r.scheduledAt(), () -> "scheduledAt of run " + r.id());
    Objects.requireNonNull(r.status(), () -> "status of run " + r.id());
  }

  /** {@code withRank}: {@link #UPSERT} takes the status's rank as a 15th parameter. */
  private static void bind(PreparedStatement ps, RunRecord r, boolean withRank)
      throws SQLException {
    ps.setString(1, r.id());
    ps.setString(2, r.job());
    Jdbc.setInstant(ps, 3, r.scheduledAt());
    Jdbc.setInstant(ps, 4, r.firedAt());
    Jdbc.setInstant(ps, 5, r.startedAt());
    Jdbc.setInstant(ps, 6, r.finishedAt());
    ps.setString(7, r.node());
    ps.setInt(8, r.attempt());
    ps.setString(9, r.reason() == null ? null : r.reason().name());
    ps.setString(10, r.status().name());
    Jdbc.setInteger(ps, 11, r.exitCode());
    ps.setString(12, storable(r.message()));
    ps.setString(13, storable(r.outputTail()));
    Jdbc.setLong(ps, 14, r.jitter() == null ? null : r.jitter().toMillis());
    if (withRank) ps.setInt(15, r.status().rank());
  }

  private static void bindUpdate(PreparedStatement ps, RunRecord r) throws SQLException {
    Jdbc.setInstant(ps, 1, r.startedAt());
    Jdbc.setInstant(ps, 2, r.finishedAt());
    ps.setString(3, r.node());
    ps.setInt(4, r.status().rank());
    ps.setString(5, r.status().name());
    Jdbc.setInteger(ps, 6, r.exitCode());
    ps.setString(7, storable(r.message()));
    ps.setString(8, r.id());
  }

  private static Optional<RunRecord> first(Connection c, String sql, String param)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, param);
      List<RunRecord> rows = all(ps);
      return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
    }
  }

  private static List<RunRecord> all(PreparedStatement ps) throws SQLException {
    List<RunRecord> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(read(rs));
      }
    }
    return rows;
  }

  private static List<String> ids(PreparedStatement ps) throws SQLException {
    List<String> ids = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ids.add(rs.getString(1));
      }
    }
    return ids;
  }

  private static RunRecord read(ResultSet rs) throws SQLException {
    return read(rs, "output_tail");
  }

  private static RunRecord read(ResultSet rs, String tailColumn) throws SQLException {
    String reason = rs.getString("reason");
    return new RunRecord(
        rs.getString("id"),
        rs.getString("job"),
        Jdbc.getInstant(rs, "scheduled_at"),
        Jdbc.getInstant(rs, "fired_at"),
        Jdbc.getInstant(rs, "started_at"),
        Jdbc.getInstant(rs, "finished_at"),
        rs.getString("node"),
        rs.getInt("attempt"),
        reason == null ? null : RunReason.valueOf(reason),
        RunStatus.valueOf(rs.getString("status")),
        Jdbc.getInteger(rs, "exit_code"),
        rs.getString("message"),
        rs.getString(tailColumn),
        jitter(rs));
  }

  private static Duration jitter(ResultSet rs) throws SQLException {
    long ms = rs.getLong("jitter_ms");
    return rs.wasNull() ? null : Duration.ofMillis(ms);
  }

  private static <T> List<List<T>> partition(List<T> list) {
    List<List<T>> parts = new ArrayList<>();
    for (int i = 0; i < list.size(); i += BATCH) {
      parts.add(list.subList(i, Math.min(list.size(), i + BATCH)));
    }
    return parts;
  }

  /**
   * SQL for {@link RunStatus#rank()} of a status column; derived from the enum so the two cannot
   * drift.
   */
  private static String rank(String column) {
    return "CASE "
        + column
        + Arrays.stream(RunStatus.values())
            .filter(s -> !s.isTerminal())
            .map(s -> " WHEN '" + s.name() + "' THEN " + s.rank())
            .collect(Collectors.joining())
        + " ELSE 2 END";
  }

  /**
   * 'PENDING', 'RUNNING': listing the unfinished ones keeps a new terminal status terminal in SQL
   * too.
   */
  private static String unfinishedNames() {
    return Arrays.stream(RunStatus.values())
        .filter(s -> !s.isTerminal())
        .map(s -> "'" + s.name() + "'")
        .collect(Collectors.joining(", "));
  }

  /**
   * Position after the last run of a page: the sort key of that run, base64 so clients treat it as
   * opaque.
   */
  private record Cursor(Instant scheduledAt, Instant firedAt, String id) {

    static Cursor of(RunRecord r) {
      return new Cursor(
          r.scheduledAt(), r.firedAt() == null ? r.scheduledAt() : r.firedAt(), r.id());
    }

    String encode() {
      String raw = scheduledAt + "\n" + firedAt + "\n" + id;
      return Base64.getUrlEncoder()
          .withoutPadding()
          .encodeToString(raw.getBytes(StandardCharsets.UTF_8));
    }

    static Cursor decode(String cursor) {
      try {
        String raw = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
        String[] parts = raw.split("\n", 3);
        return new Cursor(Instant.parse(parts[0]), Instant.parse(parts[1]), parts[2]);
      } catch (RuntimeException e) {
        throw new IllegalArgumentException("invalid cursor: " + cursor, e);
      }
    }
  }
}
