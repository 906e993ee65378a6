package io.distcron.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.alert.AlertRules;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;

/**
 * Alerts to send, one row per alert and channel: written by the read-side projection in its
 * transaction (so an alert is decided once per occurrence), sent by any node's deliverer. A node
 * claims a row until a deadline before it sends it; a row whose claim ran out (its node died or
 * hung) is due again, and its resend carries the same key.
 */
public final class Outbox {
  public static final String PENDING = "PENDING";
  public static final String DELIVERED = "DELIVERED";
  public static final String DROPPED = "DROPPED";

  /** {@code alert}: the alert's JSON, sent as it is; {@code attempts}: sends tried so far. */
  public record Row(String key, String channel, String alert, int attempts) {}

  private final DataSource ds;
  private final ObjectMapper json;

  public Outbox(DataSource ds, ObjectMapper json) {
    this.ds = ds;
    this.json = json;
  }

  /** In the caller's transaction; an alert already there (same key and channel) is left alone. */
  void enqueue(Connection c, List<AlertRules.Delivery> deliveries, Instant now)
      throws SQLException {
    try (PreparedStatement exists =
            c.prepareStatement("SELECT 1 FROM alert_outbox WHERE alert_key = ? AND channel = ?");
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO alert_outbox (alert_key, channel, alert, created_at, state,"
                    + " attempts, next_at) VALUES (?, ?, ?, ?, '"
                    + PENDING
                    + "', 0, ?)")) {
      for (AlertRules.Delivery d : deliveries) {
        exists.setString(1, d.alert().key());
        exists.setString(2, d.channel());
        try (ResultSet rs = exists.executeQuery()) {
          if (rs.next()) continue;
        }
        insert.setString(1, d.alert().key());
        insert.setString(2, d.channel());
        insert.setString(3, RunStore.storable(text(d.alert())));
        Jdbc.setInstant(insert, 4, now);
        Jdbc.setInstant(insert, 5, now);
        insert.executeUpdate();
      }
    }
  }

  /** Pending rows due by {@code now} and claimed by no live node, oldest due first. */
  public List<Row> due(Instant now, int limit) {
    return Jdbc.query(
        ds,
        "due alerts",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT alert_key, channel, alert, attempts FROM alert_outbox"
                      + " WHERE state = '"
                      + PENDING
                      + "' AND next_at <= ? AND (claim_until IS NULL OR claim_until < ?)"
                      + " ORDER BY next_at LIMIT ?")) {
            Jdbc.setInstant(ps, 1, now);
            Jdbc.setInstant(ps, 2, now);
            ps.setInt(3, limit);
            List<Row> rows = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                rows.add(new Row(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
              }
            }
            return rows;
          }
        });
  }

  /** Whether this node got the row: false when another node claimed it first or it was sent. */
  public boolean claim(Row row, String node, Instant until, Instant now) {
    return change(
            "UPDATE alert_outbox SET claimed_by = ?, claim_until = ? WHERE alert_key = ? AND"
                + " channel = ? AND state = '"
                + PENDING
                + "' AND (claim_until IS NULL OR claim_until < ?)",
            ps -> {
              ps.setString(1, node);
              Jdbc.setInstant(ps, 2, until);
              ps.setString(3, row.key());
              ps.setString(4, row.channel());
              Jdbc.setInstant(ps, 5, now);
            })
        == 1;
  }

  public void delivered(Row row, Instant at) {
    finish(row, DELIVERED, null, at);
  }

  /** Never to be sent: its channel is gone. */
  public void dropped(Row row, String why, Instant at) {
    finish(row, DROPPED, why, at);
  }

  /** The send failed: due again at {@code retryAt}, claimed by no one. */
  public void failed(Row row, String error, Instant retryAt) {
    change(
        "UPDATE alert_outbox SET attempts = attempts + 1, last_error = ?, next_at = ?,"
            + " claimed_by = NULL, claim_until = NULL WHERE alert_key = ? AND channel = ?",
        ps -> {
          ps.setString(1, RunStore.storable(error));
          Jdbc.setInstant(ps, 2, retryAt);
          ps.setString(3, row.key());
          ps.setString(4, row.channel());
        });
  }

  /** Deletes rows done with (delivered or dropped) before {@code before}. */
  public int purge(Instant before) {
    return change(
        "DELETE FROM alert_outbox WHERE state <> '" + PENDING + "' AND delivered_at < ?",
        ps -> Jdbc.setInstant(ps, 1, before));
  }

  /** The rows of one alert key, for tests and the record: channel to state. */
  public List<String[]> states(String key) {
    return Jdbc.query(
        ds,
        "alert " + key,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "SELECT channel, state, attempts FROM alert_outbox WHERE alert_key = ?"
                      + " ORDER BY channel")) {
            ps.setString(1, key);
            List<String[]> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
              while (rs.next()) {
                out.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
              }
            }
            return out;
          }
        });
  }

  private void finish(Row row, String state, String error, Instant at) {
    change(
        "UPDATE alert_outbox SET state = ?, attempts = attempts + 1, last_error = ?,"
            + " delivered_at = ?, claimed_by = NULL, claim_until = NULL"
            + " WHERE alert_key = ? AND channel = ?",
        ps -> {
          ps.setString(1, state);
          ps.setString(2, error == null ? null : RunStore.storable(error));
          Jdbc.setInstant(ps, 3, at);
          ps.setString(4, row.key());
          ps.setString(5, row.channel());
        });
  }

  private interface Binder {
    void bind(PreparedStatement ps) throws SQLException;
  }

  private int change(String sql, Binder binder) {
    return Jdbc.transaction(
        ds,
        "alert outbox",
        c -> {
          try (PreparedStatement ps = c.prepareStatement(sql)) {
            binder.bind(ps);
            return ps.executeUpdate();
          }
        });
  }

  private String text(Object alert) {
    try {
      return json.writeValueAsString(alert);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("an alert is plain data", e);
    }
  }
}
