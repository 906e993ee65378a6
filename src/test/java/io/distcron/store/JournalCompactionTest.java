package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;

class JournalCompactionTest {
  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private HikariDataSource database(String kind) {
    HikariDataSource ds =
        Database.open(TestDatabases.db(kind, TestDatabases.uniqueName("compact")));
    pools.add(ds);
    Schema.create(ds);
    return ds;
  }

  @OnBoth
  void deletesWhatEachJobsNewestSnapshotCoversAndNothingElse(String kind) throws SQLException {
    HikariDataSource ds = database(kind);
    events(ds, "Job|backup", 1, 250);
    snapshot(ds, "Job|backup", 100);
    snapshot(ds, "Job|backup", 200);
    events(ds, "Job|no-snapshot-yet", 1, 80);
    // Other persistent actors (sharding's remember-entities store) manage their own journal.
    events(ds, "/sharding/JobShard|7", 1, 30);
    snapshot(ds, "/sharding/JobShard|7", 20);

    JournalCompaction compaction = new JournalCompaction(ds, "Job", id -> "job-0");
    projectedUpTo(ds, maxOrdering(ds));
    assertThat(compaction.compact()).isEqualTo(1);

    assertThat(sequenceNumbers(ds, "event_journal", "Job|backup"))
        .containsExactlyElementsOf(LongStream.rangeClosed(200, 250).boxed().toList());
    assertThat(sequenceNumbers(ds, "snapshot", "Job|backup")).containsExactly(200L);
    assertThat(sequenceNumbers(ds, "event_journal", "Job|no-snapshot-yet")).hasSize(80);
    assertThat(sequenceNumbers(ds, "event_journal", "/sharding/JobShard|7")).hasSize(30);
    assertThat(sequenceNumbers(ds, "snapshot", "/sharding/JobShard|7")).containsExactly(20L);

    // Nothing new: no job is touched. A newer snapshot: that job is compacted again.
    assertThat(compaction.compact()).isZero();
    events(ds, "Job|backup", 251, 300);
    snapshot(ds, "Job|backup", 300);
    projectedUpTo(ds, maxOrdering(ds));
    assertThat(compaction.compact()).isEqualTo(1);
    assertThat(sequenceNumbers(ds, "event_journal", "Job|backup")).containsExactly(300L);
    assertThat(sequenceNumbers(ds, "snapshot", "Job|backup")).containsExactly(300L);
  }

  /**
   * The read side must have the events before they go: a snapshot waits until the projection has
   * read up to the journal's end as it was when the snapshot was seen; a newer snapshot meanwhile
   * does not push that wait further out.
   */
  @OnBoth
  void keepsEventsTheReadSideHasNotProjectedYet(String kind) throws SQLException {
    HikariDataSource ds = database(kind);
    events(ds, "Job|backup", 1, 50);
    long early = maxOrdering(ds);
    events(ds, "Job|backup", 51, 150);
    snapshot(ds, "Job|backup", 150);
    JournalCompaction compaction = new JournalCompaction(ds, "Job", id -> "job-0");

    assertThat(compaction.compact()).isZero();
    projectedUpTo(ds, early);
    assertThat(compaction.compact()).isZero();
    assertThat(sequenceNumbers(ds, "event_journal", "Job|backup")).hasSize(150);

    long seen = maxOrdering(ds);
    events(ds, "Job|backup", 151, 250);
    snapshot(ds, "Job|backup", 250);
    projectedUpTo(ds, seen);
    assertThat(compaction.compact()).isEqualTo(1);
    assertThat(sequenceNumbers(ds, "event_journal", "Job|backup"))
        .containsExactlyElementsOf(LongStream.rangeClosed(150, 250).boxed().toList());

    assertThat(compaction.compact()).isZero();
    projectedUpTo(ds, maxOrdering(ds));
    assertThat(compaction.compact()).isEqualTo(1);
    assertThat(sequenceNumbers(ds, "event_journal", "Job|backup")).containsExactly(250L);
    assertThat(sequenceNumbers(ds, "snapshot", "Job|backup")).containsExactly(250L);
  }

  private static long maxOrdering(HikariDataSource ds) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement("SELECT MAX(ordering) FROM event_journal");
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** As the projection of tag job-0 stores its offset. */
  private static void projectedUpTo(HikariDataSource ds, long ordering) throws SQLException {
    try (Connection c = ds.getConnection()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "DELETE FROM pekko_projection_offset_store WHERE projection_name = ?")) {
        ps.setString(1, Projections.NAME);
        ps.executeUpdate();
      }
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO pekko_projection_offset_store (projection_name, projection_key,"
                  + " current_offset, manifest, mergeable, last_updated) VALUES (?, 'job-0', ?,"
                  + " 'SEQ', FALSE, 0)")) {
        ps.setString(1, Projections.NAME);
        ps.setString(2, Long.toString(ordering));
        ps.executeUpdate();
      }
    }
  }

  private static void events(HikariDataSource ds, String id, long from, long to)
      throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO event_journal (persistence_id, sequence_number, writer, event_ser_id,"
                    + " event_ser_manifest, event_payload) VALUES (?, ?, 'w', 1, 'm', ?)")) {
      for (long seq = from; seq <= to; seq++) {
        ps.setString(1, id);
        ps.setLong(2, seq);
        ps.setBytes(3, new byte[] {1});
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void snapshot(HikariDataSource ds, String id, long seq) throws SQLException {
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO snapshot (persistence_id, sequence_number, created, snapshot_ser_id,"
                    + " snapshot_ser_manifest, snapshot_payload) VALUES (?, ?, 0, 1, 'm', ?)")) {
      ps.setString(1, id);
      ps.setLong(2, seq);
      ps.setBytes(3, new byte[] {1});
      ps.executeUpdate();
    }
  }

  private static List<Long> sequenceNumbers(HikariDataSource ds, String table, String id)
      throws SQLException {
    List<Long> found = new ArrayList<>();
    try (Connection c = ds.getConnection();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT sequence_number FROM "
                    + table
                    + " WHERE persistence_id = ? ORDER BY sequence_number")) {
      ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) found.add(rs.getLong(1));
      }
    }
    return found;
  }
}
