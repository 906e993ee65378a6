package io.distcron.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.schedule.Calendar;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.sql.DataSource;

/**
 * The calendars, one row each with its definition as JSON: the source of truth every node's view is
 * loaded from. Written by the API only. Every method blocks; call it on the blocking dispatcher.
 */
public final class CalendarStore {
  private final DataSource ds;
  private final ObjectMapper json;

  public CalendarStore(DataSource ds, ObjectMapper json) {
    this.ds = ds;
    this.json = json;
  }

  /** Every calendar, by name. */
  public List<Calendar> all() {
    return Jdbc.query(
        ds,
        "list calendars",
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT definition FROM calendars ORDER BY name")) {
            return calendars(ps);
          }
        });
  }

  public Optional<Calendar> find(String name) {
    return Jdbc.query(
        ds,
        "find calendar " + name,
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement("SELECT definition FROM calendars WHERE name = ?")) {
            ps.setString(1, name);
            return calendars(ps).stream().findFirst();
          }
        });
  }

  /** False when a calendar of that name exists already. */
  public boolean create(Calendar calendar) {
    return Jdbc.transaction(
        ds,
        "create calendar " + calendar.name(),
        c -> {
          if (exists(c, calendar.name())) return false;
          try (PreparedStatement ps =
              c.prepareStatement(
                  "INSERT INTO calendars (name, definition, updated_at)"
                      + " VALUES (?, ?, CURRENT_TIMESTAMP)")) {
            ps.setString(1, calendar.name());
            ps.setString(2, toJson(calendar));
            ps.executeUpdate();
          }
          return true;
        });
  }

  /** False when there is no calendar of that name. */
  public boolean replace(Calendar calendar) {
    return Jdbc.transaction(
        ds,
        "replace calendar " + calendar.name(),
        c -> {
          try (PreparedStatement ps =
              c.prepareStatement(
                  "UPDATE calendars SET definition = ?, updated_at = CURRENT_TIMESTAMP"
                      + " WHERE name = ?")) {
            ps.setString(1, toJson(calendar));
            ps.setString(2, calendar.name());
            return ps.executeUpdate() == 1;
          }
        });
  }

  /** False when there was no calendar of that name. */
  public boolean delete(String name) {
    return Jdbc.transaction(
        ds,
        "delete calendar " + name,
        c -> {
          try (PreparedStatement ps = c.prepareStatement("DELETE FROM calendars WHERE name = ?")) {
            ps.setString(1, name);
            return ps.executeUpdate() == 1;
          }
        });
  }

  private static boolean exists(Connection c, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM calendars WHERE name = ?")) {
      ps.setString(1, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next();
      }
    }
  }

  private List<Calendar> calendars(PreparedStatement ps) throws SQLException {
    List<Calendar> out = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) out.add(fromJson(rs.getString(1)));
    }
    return out;
  }

  private String toJson(Calendar calendar) {
    try {
      return json.writeValueAsString(calendar);
    } catch (JsonProcessingException e) {
      throw new StoreException("cannot serialize calendar " + calendar.name(), e);
    }
  }

  private Calendar fromJson(String text) {
    try {
      return json.readValue(text, Calendar.class);
    } catch (JsonProcessingException e) {
      throw new StoreException("cannot read stored calendar", e);
    }
  }
}
