package io.distcron.store;

import java.sql.BatchUpdateException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import javax.sql.DataSource;

/**
 * JDBC plumbing shared by the stores: transactions with retry, and the few type conversions both
 * databases need.
 */
final class Jdbc {

  /**
   * Concurrent writers of one row collide at most a few times in a row; more means something else
   * is wrong.
   */
  static final int MAX_ATTEMPTS = 10;

  /**
   * Conflicts that running the transaction again resolves: a duplicate key from a concurrent insert
   * of the same key (both databases), serialization failure or deadlock (PostgreSQL 40001/40P01, H2
   * 40001), and H2's lock timeout (HYT00) and concurrent update (90131).
   */
  private static final Set<String> RETRYABLE = Set.of("23505", "40001", "40P01", "HYT00", "90131");

  interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private Jdbc() {}

  /**
   * Runs {@code work} in one transaction, from the start again after a conflict a retry resolves.
   */
  static <T> T transaction(DataSource ds, String what, Work<T> work) {
    SQLException last = null;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try (Connection c = ds.getConnection()) {
        c.setAutoCommit(false);
        try {
          T result = work.apply(c);
          c.commit();
          return result;
        } catch (SQLException | RuntimeException e) {
          rollbackQuietly(c, e);
          throw e;
        }
      } catch (SQLException e) {
        if (!retryable(e)) {
          throw new StoreException(what + " failed", e);
        }
        last = e;
        backOff(attempt);
      }
    }
    throw new StoreException(what + " still conflicted after " + MAX_ATTEMPTS + " attempts", last);
  }

  /** Runs a read on a pooled connection, in auto-commit mode and without retry. */
  static <T> T query(DataSource ds, String what, Work<T> work) {
    try (Connection c = ds.getConnection()) {
      return work.apply(c);
    } catch (SQLException e) {
      throw new StoreException(what + " failed", e);
    }
  }

  static boolean retryable(SQLException e) {
    // A batch reports the statement's own error as the next exception, not as the cause.
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Throwable t = e;
    while (t != null && seen.add(t)) {
      if (t instanceof SQLException s) {
        if (s.getSQLState() != null && RETRYABLE.contains(s.getSQLState())) {
          return true;
        }
        if (s instanceof BatchUpdateException && s.getNextException() != null) {
          t = s.getNextException();
          continue;
        }
      }
      t = t.getCause();
    }
    return false;
  }

  /** The driver answers from what it knows of its connection: no round trip. */
  static boolean isPostgres(Connection c) throws SQLException {
    return c.getMetaData().getDatabaseProductName().equalsIgnoreCase("PostgreSQL");
  }

  /**
   * Both databases keep microseconds; truncating here rather than letting each round its own way
   * makes what is read back the same on both.
   */
  static void setInstant(PreparedStatement ps, int index, Instant t) throws SQLException {
    if (t == null) {
      ps.setNull(index, Types.TIMESTAMP_WITH_TIMEZONE);
    } else {
      ps.setObject(
          index, OffsetDateTime.ofInstant(t.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC));
    }
  }

  static Instant getInstant(ResultSet rs, String column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  static void setInteger(PreparedStatement ps, int index, Integer value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.INTEGER);
    } else {
      ps.setInt(index, value);
    }
  }

  static void setLong(PreparedStatement ps, int index, Long value) throws SQLException {
    if (value == null) {
      ps.setNull(index, Types.BIGINT);
    } else {
      ps.setLong(index, value);
    }
  }

  static Integer getInteger(ResultSet rs, String column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }

  /** {@code ?, ?, ?} for an IN list of {@code n} values. */
  static String placeholders(int n) {
    return String.join(", ", Collections.nCopies(n, "?"));
  }

  private static void rollbackQuietly(Connection c, Exception failure) {
    try {
      c.rollback();
    } catch (SQLException e) {
      failure.addSuppressed(e);
    }
  }

  /** Jitter, so writers that collided once do not collide again in lockstep. */
  private static void backOff(int attempt) {
    try {
      Thread.sleep(ThreadLocalRandom.current().nextLong(1, 5L * attempt + 2));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreException("interrupted while retrying", e);
    }
  }
}
