package io.distcron.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Keeps the journal bounded: deletes the events and snapshots of each job that its newest snapshot
 * makes unnecessary. A recovery starts from the newest snapshot and replays only the events after
 * it, and the event at the snapshot's own sequence number stays, so the journal still knows each
 * job's highest sequence number. Doing this in batches, from one node, replaces a delete (two
 * statements, compiled anew each time by the persistence plugin) after every snapshot of every job.
 */
public final class JournalCompaction {
  private static final String NEWEST_SNAPSHOTS =
      "SELECT persistence_id, MAX(sequence_number) FROM snapshot"
          + " WHERE persistence_id LIKE ? GROUP BY persistence_id";

  /**
   * Only events the read side has projected: a job's events carry one tag, and the projection of
   * that tag stores how far it has read (the journal's ordering). Events it has not read yet stay
   * until a later pass (the job's next snapshot makes one due).
   */
  private static final String DELETE_EVENTS =
      """
      DELETE FROM event_journal WHERE persistence_id = ? AND sequence_number < ?
        AND ordering <= COALESCE(
          (SELECT CAST(current_offset AS BIGINT) FROM pekko_projection_offset_store
           WHERE projection_name = ? AND projection_key = ?), 0)
      """;

  private static final String DELETE_SNAPSHOTS =
      "DELETE FROM snapshot WHERE persistence_id = ? AND sequence_number < ?";

  /** Jobs per transaction: bounds lock time. */
  private static final int BATCH = 500;

  private final DataSource ds;
  private final String persistenceIdPrefix;

  /** Per job, the snapshot it was last compacted to: an unchanged job costs no statement. */
  private final Map<String, Long> compactedTo = new HashMap<>();

  private final Function<String, String> tagOf;

  /**
   * {@code entityType}: the jobs' persistence ids are {@code entityType|name} (no LIKE wildcards in
   * it); {@code tagOf}: the tag of a persistence id's events.
   */
  public JournalCompaction(DataSource ds, String entityType, Function<String, String> tagOf) {
    this.ds = ds;
    this.persistenceIdPrefix = entityType + "|";
    this.tagOf = tagOf;
  }

  /** One pass; returns how many jobs were compacted. Not thread-safe: one caller at a time. */
  public int compact() {
    // Read before the snapshots: an event a snapshot read next covers may be newer than this.
    long newestEvent =
        Jdbc.query(
            ds,
            "newest event",
            c -> {
              try (PreparedStatement ps =
                      c.prepareStatement("SELECT COALESCE(MAX(ordering), 0) FROM event_journal");
                  ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1);
              }
            });
    Map<String, Long> projected =
        Jdbc.query(
            ds,
            "read side offsets",
            c -> {
              Map<String, Long> found = new HashMap<>();
              try (PreparedStatement ps =
                  c.prepareStatement(
                      "SELECT projection_key, current_offset FROM pekko_projection_offset_store"
                          + " WHERE projection_name = ?")) {
                ps.setString(1, Projections.NAME);
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) found.put(rs.getString(1), Long.parseLong(rs.getString(2)));
                }
              }
              return found;
            });
    Map<String, Long> newest =
        Jdbc.query(
            ds,
            "newest snapshots",
            c -> {
              Map<String, Long> found = new HashMap<>();
              try (PreparedStatement ps = c.prepareStatement(NEWEST_SNAPSHOTS)) {
                ps.setString(1, persistenceIdPrefix + "%");
                try (ResultSet rs = ps.executeQuery()) {
                  while (rs.next()) found.put(rs.getString(1), rs.getLong(2));
                }
              }
              return found;
            });
    List<Map.Entry<String, Long>> due = new ArrayList<>();
    newest.forEach(
        (id, seq) -> {
          if (seq > compactedTo.getOrDefault(id, 0L)) due.add(Map.entry(id, seq));
        });
    for (int from = 0; from < due.size(); from += BATCH) {
      List<Map.Entry<String, Long>> batch = due.subList(from, Math.min(due.size(), from + BATCH));
      Jdbc.transaction(
          ds,
          "compact " + batch.size() + " jobs' journal",
          c -> {
            for (String sql : List.of(DELETE_EVENTS, DELETE_SNAPSHOTS)) {
              try (PreparedStatement ps = c.prepareStatement(sql)) {
                for (Map.Entry<String, Long> job : batch) {
                  ps.setString(1, job.getKey());
                  ps.setLong(2, job.getValue());
                  if (sql.equals(DELETE_EVENTS)) {
                    ps.setString(3, Projections.NAME);
                    ps.setString(4, tagOf.apply(job.getKey()));
                  }
                  ps.addBatch();
                }
                ps.executeBatch();
              }
            }
            return null;
          });
      // A job whose tag was not projected up to the newest event may have kept some: due again.
      batch.stream()
          .filter(job -> projected.getOrDefault(tagOf.apply(job.getKey()), -1L) >= newestEvent)
          .forEach(job -> compactedTo.put(job.getKey(), job.getValue()));
    }
    compactedTo.keySet().retainAll(newest.keySet());
    return due.size();
  }
}
