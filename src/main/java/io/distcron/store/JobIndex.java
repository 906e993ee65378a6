package io.distcron.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.job.JobSpec;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The list of jobs (read side), for listing and label search; built from the job entities' events.
 * The spec is kept as JSON and its labels as rows, so a label filter is an indexed lookup. Every
 * method blocks; call it on the blocking dispatcher.
 */
public final class JobIndex {

  /** A job as listed: its definition and whether it is paused. */
  public record Entry(JobSpec spec, boolean paused) {}

  /** A job's revision as the index has it, and who applies it (null: nobody). */
  public record Listed(long revision, String managedBy) {}

  /** Names per lookup statement: well under either database's limit on parameters. */
  private static final int LOOKUP_BATCH = 1000;

  /** One statement: the row and its revision change together. */
  private static final String UPSERT =
      """
      MERGE INTO job_index t
      USING (VALUES (CAST(? AS VARCHAR(255)), CAST(? AS TEXT), CAST(? AS BIGINT),
                     CAST(? AS VARCHAR(255))))
        AS s(name, spec, revision, managed_by)
      ON t.name = s.name
      WHEN MATCHED THEN UPDATE SET spec = s.spec, revision = s.revision,
        managed_by = s.managed_by, updated_at = CURRENT_TIMESTAMP
      WHEN NOT MATCHED THEN INSERT (name, spec, paused, revision, managed_by, updated_at)
        VALUES (s.name, s.spec, FALSE, s.revision, s.managed_by, CURRENT_TIMESTAMP)
      """;

  private final DataSource ds;
  private final ObjectMapper json;

  public JobIndex(DataSource ds, ObjectMapper json) {
    this.ds = ds;
    this.json = json;
  }

  /**
   * Stores the job's current definition as of {@code revision} (its sequence number); its labels
   * replace the ones stored before, its pause state stays (a new job is not paused). Called by the
   * projection, inside its transaction.
   */
  public void define(Connection c, JobSpec spec, long revision) throws SQLException {
    // The job row first: it serializes concurrent writers of one job before they touch its labels.
    try (PreparedStatement ps = c.prepareStatement(UPSERT)) {
      ps.setString(1, spec.name());
      ps.setString(2, toJson(spec));
      ps.setLong(3, revision);
      ps.setString(4, spec.managedBy());
      ps.executeUpdate();
    }
    deleteSideRows(c, spec.name());
    if (!spec.excludeCalendars().isEmpty()) {
      try (PreparedStatement ps =
          c.prepareStatement("INSERT INTO job_calendars (name, calendar) VALUES (?, ?)")) {
        for (String calendar : spec.excludeCalendars()) {
          ps.setString(1, spec.name());
          ps.setString(2, calendar);
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
    if (!spec.labels().isEmpty()) {
      try (PreparedStatement ps =
          c.prepareStatement(
              "INSERT INTO job_labels (name, label_key, label_value) VALUES (?, ?, ?)")) {
        for (Map.Entry<String, String> label : spec.labels().entrySet()) {
          ps.setString(1, spec.name());
          ps.setString(2, label.getKey());
          ps.setString(3, label.getValue());
          ps.addBatch();
        }
        ps.executeBatch();
      }
    }
  }

  /** A pause or resume as of {@code revision}. */
  public void setPaused(Connection c, String name, boolean paused, long revision)
      throws SQLException {
    try (PreparedStatement ps =
        c.prepareStatement(
            "UPDATE job_index SET paused = ?, revision = ?, updated_at = CURRENT_TIMESTAMP"
                + " WHERE name = ?")) {
      ps.setBoolean(1, paused);
      ps.setLong(2, revision);
      ps.setString(3, name);
      ps.executeUpdate();
    }
  }

  public void delete(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM job_index WHERE name = ?")) {
      ps.setString(1, name);
      ps.executeUpdate();
    }
    deleteSideRows(c, name);
  }

  /** A job's labels and calendars, which its next definition replaces. */
  private static void deleteSideRows(Connection c, String name) throws SQLException {
    for (String table : List.of("job_labels", "job_calendars")) {
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + table + " WHERE name = ?")) {
        ps.setString(1, name);
        ps.executeUpdate();
      }
    }
  }

  /** The names of the jobs that exclude {@code calendar}'s times, in order. */
  public List<String> usingCalendar(String calendar) {
    return Jdbc.query(
        ds,
        "jobs using calendar " + calendar,
        c -> {
          List<String> names = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT name FROM job_calendars WHERE calendar = ? ORDER BY name")) {
            ps.setString(1, calendar);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) names.add(rs.getString(1));
            }
          }
          return names;
        });
  }

  /**
   * The revision the index has of {@code name}, or -1 when it does not list the job. A client's
   * change is visible in listings once this reaches the revision its reply carried.
   */
  public long revision(String name) {
    Listed listed = listed(List.of(name)).get(name);
    return listed == null ? -1L : listed.revision();
  }

  /** What the index has of {@code names}; a name it does not list is left out. */
  public Map<String, Listed> listed(Collection<String> names) {
    Map<String, Listed> found = new HashMap<>();
    List<String> all = List.copyOf(names);
    for (int from = 0; from < all.size(); from += LOOKUP_BATCH) {
      List<String> some = all.subList(from, Math.min(all.size(), from + LOOKUP_BATCH));
      Jdbc.query(
          ds,
          "look up " + some.size() + " jobs",
          c -> {
            try (PreparedStatement ps =
                c.prepareStatement(
                    "SELECT name, revision, managed_by FROM job_index WHERE name IN ("
                        + Jdbc.placeholders(some.size())
                        + ")")) {
              int i = 1;
              for (String name : some) ps.setString(i++, name);
              try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                  found.put(rs.getString(1), new Listed(rs.getLong(2), rs.getString(3)));
                }
              }
            }
            return null;
          });
    }
    return found;
  }

  /** The names of the jobs {@code owner} applies, in order. */
  public List<String> managedBy(String owner) {
    return Jdbc.query(
        ds,
        "jobs managed by " + owner,
        c -> {
          List<String> names = new ArrayList<>();
          try (PreparedStatement ps =
              c.prepareStatement("SELECT name FROM job_index WHERE managed_by = ? ORDER BY name")) {
            ps.setString(1, owner);
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) names.add(rs.getString(1));
            }
          }
          return names;
        });
  }

  public Optional<Entry> find(String name) {
    return Jdbc.query(
        ds,
        "find job " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT spec, paused FROM job_index WHERE name = ?")) {
            ps.setString(1, name);
            List<Entry> rows = entries(ps);
            return rows.isEmpty() ? Optional.empty() : Optional.of(rows.get(0));
          }
        });
  }

  /**
   * Jobs ordered by name, after {@code afterName} (null: from the start). With {@code labelKey},
   * only jobs with that label, and with {@code labelValue} too, only those where it has that value.
   * The page's next is the last name on it when more jobs follow.
   */
  public Page<Entry> list(String labelKey, String labelValue, String afterName, int limit) {
    if (limit < 1) {
      throw new IllegalArgumentException("limit must be positive: " + limit);
    }
    if (labelKey == null && labelValue != null) {
      throw new IllegalArgumentException("a label value needs a label key");
    }
    List<String> params = new ArrayList<>();
    StringBuilder sql = new StringBuilder("SELECT j.spec, j.paused FROM job_index j WHERE 1 = 1");
    if (afterName != null) {
      sql.append(" AND j.name > ?");
      params.add(afterName);
    }
    if (labelKey != null) {
      sql.append(
          " AND EXISTS (SELECT 1 FROM job_labels l WHERE l.name = j.name AND l.label_key = ?");
      params.add(labelKey);
      if (labelValue != null) {
        sql.append(" AND l.label_value = ?");
        params.add(labelValue);
      }
      sql.append(")");
    }
    sql.append(" ORDER BY j.name LIMIT ?");
    List<Entry> rows =
        Jdbc.query(
            ds,
            "list jobs",
            c -> {
              try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
                int i = 1;
                for (String p : params) {
                  ps.setString(i++, p);
                }
                // One more than asked tells whether another page exists.
                ps.setInt(i, limit + 1);
                return entries(ps);
              }
            });
    if (rows.size() <= limit) {
      return new Page<>(rows, null);
    }
    List<Entry> items = rows.subList(0, limit);
    return new Page<>(items, items.get(limit - 1).spec().name());
  }

  private List<Entry> entries(PreparedStatement ps) throws SQLException {
    List<Entry> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(new Entry(fromJson(rs.getString("spec")), rs.getBoolean("paused")));
      }
    }
    return rows;
  }

  private String toJson(JobSpec spec) {
    try {
      return json.writeValueAsString(spec);
    } catch (JsonProcessingException e) {
      throw new StoreException("cannot serialize job " + spec.name(), e);
    }
  }

  private JobSpec fromJson(String text) {
    try {
      return json.readValue(text, JobSpec.class);
    } catch (JsonProcessingException e) {
      throw new StoreException("cannot read stored job spec", e);
    }
  }
}
