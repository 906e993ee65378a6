package io.distcron.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import javax.sql.DataSource;

/**
 * Tables of the journal, the run store and the job index. Every node creates them at start-up; the
 * statements are idempotent, and apart from the journal's column types the same text runs on H2 and
 * PostgreSQL.
 *
 * <p>The journal's tables are pekko-persistence-jdbc's own layout, written here without a schema
 * prefix (its bundled scripts say {@code public.}), so a deployment may keep distcron in a schema of
 * its choosing via the JDBC URL.
 *
 * <p>Instants are {@code TIMESTAMP WITH TIME ZONE} (microseconds on both databases); free text is
 * {@code TEXT} (a CLOB on H2), so output of any size fits.
 */
public final class Schema {

  static final List<String> STATEMENTS =
      List.of(
          """
          CREATE TABLE IF NOT EXISTS runs (
            id VARCHAR(255) NOT NULL PRIMARY KEY,
            job VARCHAR(255) NOT NULL,
            scheduled_at TIMESTAMP WITH TIME ZONE NOT NULL,
            fired_at TIMESTAMP WITH TIME ZONE,
            started_at TIMESTAMP WITH TIME ZONE,
            finished_at TIMESTAMP WITH TIME ZONE,
            node VARCHAR(255),
            attempt INTEGER NOT NULL,
            reason VARCHAR(32),
            status VARCHAR(32) NOT NULL,
            exit_code INTEGER,
            message TEXT,
            output_tail TEXT
          )""",
          // The run list of one job, newest first.
          "CREATE INDEX IF NOT EXISTS runs_job_scheduled ON runs (job, scheduled_at DESC)",
          // Unfinished runs, overall and per node: few rows among many finished ones.
          "CREATE INDEX IF NOT EXISTS runs_status_node ON runs (status, node)",
          """
          CREATE TABLE IF NOT EXISTS run_output (
            run_id VARCHAR(255) NOT NULL,
            seq INTEGER NOT NULL,
            chunk TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
          )""",
          """
          CREATE TABLE IF NOT EXISTS job_index (
            name VARCHAR(255) NOT NULL PRIMARY KEY,
            spec TEXT NOT NULL,
            paused BOOLEAN NOT NULL,
            updated_at TIMESTAMP WITH TIME ZONE NOT NULL
          )""",
          """
          CREATE TABLE IF NOT EXISTS job_labels (
            name VARCHAR(255) NOT NULL,
            label_key VARCHAR(255) NOT NULL,
            label_value VARCHAR(1000) NOT NULL,
            PRIMARY KEY (name, label_key)
          )""",
          "CREATE INDEX IF NOT EXISTS job_labels_key_value ON job_labels (label_key, label_value,"
              + " name)");

  /**
   * Nodes starting together race past {@code IF NOT EXISTS}: the loser gets a duplicate key in
   * PostgreSQL's catalog (23505), or "object already exists" (HY000) from H2. By then the winner's
   * object exists, so the same statement again is a no-op.
   */
  private static final int ATTEMPTS = 5;

  private Schema() {}

  public static void create(DataSource ds) {
    for (String ddl : journal(isPostgres(ds))) {
      execute(ds, ddl);
    }
    for (String ddl : STATEMENTS) {
      execute(ds, ddl);
    }
  }

  private static boolean isPostgres(DataSource ds) {
    try (Connection c = ds.getConnection()) {
      return c.getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
    } catch (SQLException e) {
      throw new StoreException("cannot reach the database: " + e.getMessage(), e);
    }
  }

  /** Column names and types as pekko-persistence-jdbc 1.1 expects them for the given profile. */
  static List<String> journal(boolean postgres) {
    String serial = postgres ? "BIGSERIAL" : "BIGINT UNIQUE NOT NULL AUTO_INCREMENT";
    String bytes = postgres ? "BYTEA" : "BLOB";
    return List.of(
        """
        CREATE TABLE IF NOT EXISTS event_journal (
          ordering %s,
          persistence_id VARCHAR(255) NOT NULL,
          sequence_number BIGINT NOT NULL,
          deleted BOOLEAN DEFAULT FALSE NOT NULL,
          writer VARCHAR(255) NOT NULL,
          write_timestamp BIGINT,
          adapter_manifest VARCHAR(255),
          event_ser_id INTEGER NOT NULL,
          event_ser_manifest VARCHAR(255) NOT NULL,
          event_payload %s NOT NULL,
          meta_ser_id INTEGER,
          meta_ser_manifest VARCHAR(255),
          meta_payload %s,
          PRIMARY KEY (persistence_id, sequence_number)
        )"""
            .formatted(serial, bytes, bytes),
        "CREATE UNIQUE INDEX IF NOT EXISTS event_journal_ordering_idx ON event_journal (ordering)",
        """
        CREATE TABLE IF NOT EXISTS event_tag (
          event_id BIGINT NOT NULL,
          tag VARCHAR(256) NOT NULL,
          PRIMARY KEY (event_id, tag),
          CONSTRAINT fk_event_journal FOREIGN KEY (event_id)
            REFERENCES event_journal (ordering) ON DELETE CASCADE
        )""",
        """
        CREATE TABLE IF NOT EXISTS snapshot (
          persistence_id VARCHAR(255) NOT NULL,
          sequence_number BIGINT NOT NULL,
          created BIGINT NOT NULL,
          snapshot_ser_id INTEGER NOT NULL,
          snapshot_ser_manifest VARCHAR(255) NOT NULL,
          snapshot_payload %s NOT NULL,
          meta_ser_id INTEGER,
          meta_ser_manifest VARCHAR(255),
          meta_payload %s,
          PRIMARY KEY (persistence_id, sequence_number)
        )"""
            .formatted(bytes, bytes));
  }

  private static void execute(DataSource ds, String ddl) {
    for (int attempt = 1; ; attempt++) {
      try (Connection c = ds.getConnection();
          Statement s = c.createStatement()) {
        s.execute(ddl);
        return;
      } catch (SQLException e) {
        if (attempt >= ATTEMPTS) {
          throw new StoreException(
              "schema statement failed: " + ddl.strip().lines().findFirst().orElse(""), e);
        }
      }
    }
  }
}
