package io.distcron.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.alert.Channel;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * Alert channels: configuration, kept in the read-side database rather than in job events. Each row
 * holds the channel as JSON (secrets included: the API never shows them) and its delivery health.
 */
public final class ChannelStore {
  /** How deliveries to the channel went lately; {@code failures}: in a row, 0 after a success. */
  public record Health(
      int failures, String lastError, Instant lastFailureAt, Instant lastSuccessAt) {}

  public record Stored(Channel channel, Health health) {}

  /** {@code jobs}: the jobs whose rules name the channel, when it could not be deleted. */
  public record Deletion(boolean found, List<String> jobs) {}

  private static final String COLUMNS =
      "config, failures, last_error, last_failure_at, last_success_at";

  private final DataSource ds;
  private final ObjectMapper json;

  public ChannelStore(DataSource ds, ObjectMapper json) {
    this.ds = ds;
    this.json = json;
  }

  /** Creates or replaces; true when it created. */
  public boolean put(Channel channel, Instant now) {
    String config = write(channel);
    return Jdbc.transaction(
        ds,
        "put channel " + channel.name(),
        c -> {
          try (PreparedStatement up =
              c.prepareStatement(
                  "UPDATE alert_channels SET config = ?, updated_at = ? WHERE name = ?")) {
            up.setString(1, config);
            Jdbc.setInstant(up, 2, now);
            up.setString(3, channel.name());
            if (up.executeUpdate() == 1) return false;
          }
          try (PreparedStatement in =
              c.prepareStatement(
                  "INSERT INTO alert_channels (name, config, updated_at, failures)"
                      + " VALUES (?, ?, ?, 0)")) {
            in.setString(1, channel.name());
            in.setString(2, config);
            Jdbc.setInstant(in, 3, now);
            in.executeUpdate();
          }
          return true;
        });
  }

  public Optional<Stored> find(String name) {
    return Jdbc.query(
        ds,
        "find channel " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM alert_channels WHERE name = ?")) {
            ps.setString(1, name);
            List<Stored> found = all(ps);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0));
          }
        });
  }

  public List<Stored> list() {
    return Jdbc.query(
        ds,
        "list channels",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT " + COLUMNS + " FROM alert_channels ORDER BY name")) {
            return all(ps);
          }
        });
  }

  /** Which of {@code names} exist. */
  public List<String> existing(List<String> names) {
    if (names.isEmpty()) return List.of();
    return Jdbc.query(
        ds,
        "find channels",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT name FROM alert_channels WHERE name IN ("
                      + Jdbc.placeholders(names.size())
                      + ")")) {
            for (int i = 0; i < names.size(); i++) ps.setString(i + 1, names.get(i));
            List<String> found = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) found.add(rs.getString(1));
            }
            return found;
          }
        });
  }

  /** Deletes the channel unless a job's rules name it (as the read side knows them). */
  public Deletion delete(String name) {
    return Jdbc.transaction(
        ds,
        "delete channel " + name,
        c -> {
          List<String> jobs = AlertJobs.jobsNaming(c, name);
          if (!jobs.isEmpty()) return new Deletion(true, jobs);
          try (PreparedStatement ps =
              c.prepareStatement("DELETE FROM alert_channels WHERE name = ?")) {
            ps.setString(1, name);
            return new Deletion(ps.executeUpdate() == 1, List.of());
          }
        });
  }

  public void succeeded(String name, Instant at) {
    update(
        "UPDATE alert_channels SET failures = 0, last_success_at = ? WHERE name = ?",
        name,
        ps -> {
          Jdbc.setInstant(ps, 1, at);
          ps.setString(2, name);
        });
  }

  public void failed(String name, String error, Instant at) {
    update(
        "UPDATE alert_channels SET failures = failures + 1, last_error = ?, last_failure_at = ?"
            + " WHERE name = ?",
        name,
        ps -> {
          ps.setString(1, RunStore.storable(error));
          Jdbc.setInstant(ps, 2, at);
          ps.setString(3, name);
        });
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private void update(String sql, String name, Binder binder) {
    Jdbc.transaction(
        ds,
        "update channel " + name,
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            return ps.executeUpdate();
          }
        });
  }

  private List<Stored> all(PreparedStatement ps) throws SQLException {
    List<Stored> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        out.add(
            new Stored(
                read(rs.getString("config")),
                new Health(
                    rs.getInt("failures"),
                    rs.getString("last_error"),
                    Jdbc.getInstant(rs, "last_failure_at"),
                    Jdbc.getInstant(rs, "last_success_at"))));
      }
    }
    return out;
  }

  private String write(Channel channel) {
    try {
      return json.writeValueAsString(channel);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a channel is plain data", e);
    }
  }

  private Channel read(String config) throws SQLException {
    try {
      return json.readValue(config, Channel.class);
    } catch (JsonProcessingException e) {
      throw new SQLException("unreadable channel: " + e.getOriginalMessage(), e);
    }
  }
}
