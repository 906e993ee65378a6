package io.distcron.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import javax.sql.DataSource;

/**
 * Keeps the journal bounded: deletes the events and snapshots of each job that its newest snapshot
 * makes unnecessary. A recovery starts from the newest snapshot and replays only the events after
 * it, and the event at the snapshot's own sequence number stays, so the journal still knows each
 * job's highest sequence number. Doing this in batches, from one node, replaces a delete (two
 * statements, compiled anew each time by the persistence plugin) after every snapshot of every job.
 *
 * <p>The read side must have the events before they go. A snapshot is noted with the journal's end
 * as it was just after the snapshot was read (every event it covers is at or before that end), and
 * its job is compacted on the first pass where the projection of the job's tag has read that far:
 * at once on a quiet cluster, a pass later on a busy one. The delete itself then needs no look at
 * the offsets, and a job is deleted from once per snapshot, however far the read side lags.
 */
public final class JournalCompaction {
  private static final String NEWEST_SNAPSHOTS =
      "SELECT persistence_id, MAX(sequence_number) FROM snapshot"
          + " WHERE persistence_id LIKE ? GROUP BY persistence_id";

  private static final String DELETE_EVENTS =
      "DELETE FROM event_journal WHERE persistence_id = ? AND sequence_number < ?";

  private static final String DELETE_SNAPSHOTS =
      "DELETE FROM snapshot WHERE persistence_id = ? AND sequence_number < ?";

  /**
   * Jobs per transaction. A pass deletes about every event written since the last one (the events
   * of a per-second job are gone a hundred at a time): small transactions, each followed by a pause
   * as long as it took, keep that from starving the journal's writes.
   */
  private static final int BATCH = 100;

  private final DataSource ds;
  private final String persistenceIdPrefix;
  private final Function<String, String> tagOf;

  /** Per job, the snapshot it was last compacted to: an unchanged job costs no statement. */
  private final Map<String, Long> compactedTo = new HashMap<>();

  /** Per job, the snapshot to compact to once the read side has read up to its journal end. */
  private final Map<String, Due> pending = new HashMap<>();

  private record Due(long snapshot, long journalEnd) {}

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
    Map<String, Long> newest = newestSnapshots();
    long journalEnd = journalEnd();
    newest.forEach(
        (id, seq) -> {
          if (seq > compactedTo.getOrDefault(id, 0L))
            pending.putIfAbsent(id, new Due(seq, journalEnd));
        });
    pending.keySet().retainAll(newest.keySet());
    compactedTo.keySet().retainAll(newest.keySet());
    Map<String, Long> projected = projectedOffsets();
    List<Map.Entry<String, Due>> ready =
        pending.entrySet().stream()
            .filter(
                job ->
                    projected.getOrDefault(tagOf.apply(job.getKey()), -1L)
                        >= job.getValue().journalEnd())
            .toList();
    for (int from = 0; from < ready.size(); from += BATCH) {
      List<Map.Entry<String, Due>> batch =
          ready.subList(from, Math.min(ready.size(), from + BATCH));
      long started = System.nanoTime();
      delete(batch);
      batch.forEach(job -> compactedTo.put(job.getKey(), job.getValue().snapshot()));
      LockSupport.parkNanos(System.nanoTime() - started);
    }
    ready.stream().map(Map.Entry::getKey).toList().forEach(pending::remove);
    return ready.size();
  }

  private void delete(List<Map.Entry<String, Due>> batch) {
    Jdbc.transaction(
        ds,
        "compact " + batch.size() + " jobs' journal",
        c -> {
          for (String sql : List.of(DELETE_EVENTS, DELETE_SNAPSHOTS)) {
            try (PreparedStatement ps = c.prepareStatement(sql)) {
              for (Map.Entry<String, Due> job : batch) {
                ps.setString(1, job.getKey());
                ps.setLong(2, job.getValue().snapshot());
                ps.addBatch();
              }
              ps.executeBatch();
            }
          }
          return null;
        });
  }

  private Map<String, Long> newestSnapshots() {
    return Jdbc.query(
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
  }

  /** Read after the snapshots: every event a snapshot read before covers is at or before it. */
  private long journalEnd() {
    return Jdbc.query(
        ds,
        "journal end",
        c -> {
          try (PreparedStatement ps =
                  c.prepareStatement("SELECT COALESCE(MAX(ordering), 0) FROM event_journal");
              ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getLong(1);
          }
        });
  }

  /** How far the projection of each tag has read, as the journal's ordering. */
  private Map<String, Long> projectedOffsets() {
    return Jdbc.query(
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
  }
}
