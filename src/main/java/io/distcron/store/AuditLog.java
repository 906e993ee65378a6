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

  /**
   * Which entries to list; a null field does not filter. {@code since} inclusive, {@code until}
   * exclusive.
   */
  public record Filter(String job, String actor, Instant since, Instant until) {
    public static final Filter ALL = new Filter(null, null, null, null);
  }

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

  /** Newest first; {@code beforeId} null for the first page. */
  public List<Entry> list(Filter filter, Long beforeId, int limit) {
    // Only the conditions asked for, so each database sees typed parameters and can use the
    // (job, id) or (actor, id) index.
    List<String> where = new ArrayList<>();
    List<Object> params = new ArrayList<>();
    condition(where, params, "job = ?", filter.job());
    condition(where, params, "actor = ?", filter.actor());
    condition(where, params, "at >= ?", filter.since());
    condition(where, params, "at < ?", filter.until());
    condition(where, params, "id < ?", beforeId);
    String sql =
        "SELECT id, at, actor, role, action, job, status, remote FROM audit_log"
            + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
            + " ORDER BY id DESC LIMIT ?";
    try (Connection c = ds.getConnection();
        PreparedStatement ps = c.prepareStatement(sql)) {
      int i = 1;
      for (Object p : params) {
        if (p instanceof Instant t) ps.setTimestamp(i++, Timestamp.from(t));
        else ps.setObject(i++, p);
      }
      ps.setInt(i, limit);
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

  private static void condition(List<String> where, List<Object> params, String sql, Object value) {
    if (value == null) return;
    where.add(sql);
    params.add(value);
  }
}
