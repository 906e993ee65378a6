package io.distcron;

import io.distcron.config.DistcronSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Fresh databases for tests: an H2 file database in a new temp directory, or a new schema in the
 * local PostgreSQL's {@code test} database. Both are removed when the JVM exits.
 *
 * <p>PostgreSQL is shared by every test JVM on the machine: pass names from {@link #uniqueName} so
 * that two runs never drop each other's schema. If PostgreSQL is down, {@link #postgresUrl} throws,
 * so its tests fail rather than skip.
 */
public final class TestDatabases {

  public static final String POSTGRES_HOST = "127.0.0.1:5432";
  public static final String POSTGRES_DATABASE = "test";
  public static final String POSTGRES_USER = "postgres";

  private static final String POSTGRES_ADMIN_URL =
      "jdbc:postgresql://" + POSTGRES_HOST + "/" + POSTGRES_DATABASE + "?connectTimeout=5";
  private static final Pattern NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

  private static final List<Path> h2Dirs = new CopyOnWriteArrayList<>();
  private static final List<String> pgSchemas = new CopyOnWriteArrayList<>();

  static {
    Runtime.getRuntime()
        .addShutdownHook(new Thread(TestDatabases::cleanUp, "test-databases-cleanup"));
  }

  /**
   * Runs a test once per database; the test method takes the kind ("h2" or "postgres") for {@link
   * #db}.
   */
  @Target(ElementType.METHOD)
  @Retention(RetentionPolicy.RUNTIME)
  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"h2", "postgres"})
  public @interface OnBoth {}

  private TestDatabases() {}

  /**
   * {@code prefix} plus a random suffix: a valid schema and file name no other test run will use.
   */
  public static String uniqueName(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
  }

  /** A new, empty H2 file database called {@code name}, in a temp directory of its own. */
  public static String h2Url(String name) {
    requireName(name);
    try {
      Path dir = Files.createTempDirectory("distcron-h2-");
      h2Dirs.add(dir);
      return "jdbc:h2:file:"
          + dir.resolve(name)
          + ";DATABASE_TO_UPPER=false;DB_CLOSE_ON_EXIT=FALSE";
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * (Re)creates schema {@code name}, empty, in PostgreSQL's test database and returns a URL using
   * it.
   */
  public static String postgresUrl(String name) {
    requireName(name);
    try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN_URL, POSTGRES_USER, "");
        Statement s = c.createStatement()) {
      s.execute("DROP SCHEMA IF EXISTS " + name + " CASCADE");
      s.execute("CREATE SCHEMA " + name);
    } catch (SQLException e) {
      throw new IllegalStateException(
          "PostgreSQL tests need a server at "
              + POSTGRES_HOST
              + " (database "
              + POSTGRES_DATABASE
              + ", user "
              + POSTGRES_USER
              + ", trust auth); start it with: pg_ctlcluster --skip-systemctl-redirect"
              + " $(ls /etc/postgresql) main start. Cause: "
              + e.getMessage(),
          e);
    }
    pgSchemas.add(name);
    return "jdbc:postgresql://"
        + POSTGRES_HOST
        + "/"
        + POSTGRES_DATABASE
        + "?currentSchema="
        + name;
  }

  /** Settings for a fresh database: {@code kind} is "h2" or "postgres". */
  public static DistcronSettings.Db db(String kind, String name) {
    return switch (kind) {
      case "h2" -> new DistcronSettings.Db(h2Url(name), "sa", "", 4);
      case "postgres" -> new DistcronSettings.Db(postgresUrl(name), POSTGRES_USER, "", 4);
      default -> throw new IllegalArgumentException("unknown database kind: " + kind);
    };
  }

  private static void requireName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("not a plain lower-case identifier: " + name);
    }
  }

  /**
   * Best effort: a leftover only costs disk space, and the next run with the same name starts over
   * anyway.
   */
  private static void cleanUp() {
    for (Path dir : h2Dirs) {
      try (Stream<Path> files = Files.walk(dir)) {
        files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      } catch (IOException | UncheckedIOException e) {
        // leave it
      }
    }
    if (pgSchemas.isEmpty()) {
      return;
    }
    try (Connection c = DriverManager.getConnection(POSTGRES_ADMIN_URL, POSTGRES_USER, "");
        Statement s = c.createStatement()) {
      // A pool still open at exit may hold a lock; never hang the JVM's exit on it.
      s.execute("SET lock_timeout = '2s'");
      s.execute("DROP SCHEMA IF EXISTS " + String.join(", ", pgSchemas) + " CASCADE");
    } catch (SQLException e) {
      // leave them
    }
  }
}
