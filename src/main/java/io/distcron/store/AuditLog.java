package io.distcron.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/** Every change made through the API: who, what, when, from where, and how it ended. */
public final class AuditLog {

  public record Entry(
      long id,
      Instant at,
      String actor,
      String role,
      String action,
      String job,
      int status,
      String remote) {}

  private final DataSource ds;

  public AuditLog(DataSource ds) {
    this.ds = ds;
  }

  public void append(
      Instant at, String actor, String role, String action, String job, int status, String remote) {
    String sql =
        "INSERT INTO audit_log (at, actor, role, action, job, status, remote) VALUES (?, ?, ?, ?, ?, ?, ?)";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setTimestamp(1, Timestamp.from(at));
      ps.setString(2, actor);
      ps.setString(3, role);
      ps.setString(4, action);
      ps.setString(5, job);
      ps.setInt(6, status);
      ps.setString(7, remote);
      ps.executeUpdate();
    } catch (SQLException e) {
      throw new StoreException("could not write the audit log: " + e.getMessage(), e);
    }
  }

  /** Newest first; {@code job} null for all; {@code beforeId} null for the first page. */
  public List<Entry> list(String job, Long beforeId, int limit) {
    String sql =
        "SELECT id, at, actor, role, action, job, status, remote FROM audit_log"
            + " WHERE (? IS NULL OR job = ?) AND (? IS NULL OR id < ?) ORDER BY id DESC LIMIT ?";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, job);
      ps.setString(2, job);
      ps.setObject(3, beforeId, java.sql.Types.BIGINT);
      ps.setObject(4, beforeId, java.sql.Types.BIGINT);
      ps.setInt(5, limit);
      try (ResultSet rs = ps.executeQuery()) {
        List<Entry> entries = new ArrayList<>();
        while (rs.next()) {
          entries.add(
              new Entry(
                  rs.getLong(1),
                  rs.getTimestamp(2).toInstant(),
                  rs.getString(3),
                  rs.getString(4),
                  rs.getString(5),
                  rs.getString(6),
                  rs.getInt(7),
                  rs.getString(8)));
        }
        return entries;
      }
    } catch (SQLException e) {
      throw new StoreException("could not read the audit log: " + e.getMessage(), e);
    }
  }
}
