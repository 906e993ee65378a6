package io.distcron;

import com.typesafe.config.Config;
import io.distcron.config.Configs;
import io.distcron.telemetry.Tracing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Starts in-process nodes on free ports against a test database. */
public final class TestNodes {
  private TestNodes() {}

  public static Map<String, Object> dbConfig(String kind, String dbName) {
    var db = TestDatabases.db(kind, TestDatabases.uniqueName(dbName));
    Map<String, Object> c = new HashMap<>();
    c.put("distcron.db.url", db.url());
    c.put("distcron.db.user", db.user());
    c.put("distcron.db.password", db.password());
    return c;
  }

  public static Node start(Map<String, Object> dbConfig, Map<String, Object> extra)
      throws Exception {
    return Node.start(config(dbConfig, extra), Clock.systemUTC());
  }

  /** A node whose traces go to {@code tracing}. */
  public static Node start(Map<String, Object> dbConfig, Map<String, Object> extra, Tracing tracing)
      throws Exception {
    return Node.start(config(dbConfig, extra), Clock.systemUTC(), tracing);
  }

  private static Config config(Map<String, Object> dbConfig, Map<String, Object> extra) {
    Map<String, Object> c = new HashMap<>(dbConfig);
    c.put("distcron.http.port", 0);
    c.put("pekko.remote.artery.canonical.port", 0);
    c.put("pekko.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    c.put("pekko.management.http.port", 0);
    c.put("distcron.executor.kill-grace", "1s");
    c.putAll(extra);
    return Configs.load(c);
  }

  /**
   * {@code count} distinct ports free right now, for nodes whose addresses must be known up front.
   */
  public static int[] freePorts(int count) {
    List<ServerSocket> sockets = new ArrayList<>();
    try {
      for (int i = 0; i < count; i++) sockets.add(new ServerSocket(0));
      return sockets.stream().mapToInt(ServerSocket::getLocalPort).toArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      for (ServerSocket s : sockets) {
        try {
          s.close();
        } catch (IOException e) {
          // free anyway
        }
      }
    }
  }
}
