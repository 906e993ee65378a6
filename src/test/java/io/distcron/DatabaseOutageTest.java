package io.distcron;

import static io.distcron.RunLog.count;
import static io.distcron.RunLog.instant;
import static io.distcron.RunLog.runs;
import static io.distcron.RunLog.status;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import io.distcron.store.Database;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * PostgreSQL goes away for several ticks (a TCP proxy the test controls cuts every connection and
 * refuses new ones) and comes back: the node stays up, answers 503 meanwhile, and once the database
 * is back every tick of the outage ends up as exactly one run.
 */
class DatabaseOutageTest {
  private static final Logger log = LoggerFactory.getLogger(DatabaseOutageTest.class);

  private static final List<String> JOBS = List.of("beat", "beat-sh");

  @Test
  void refusedConnectionsFor5TicksLoseNoTickAndRunNoneTwice() throws Exception {
    outage(false, Duration.ofSeconds(5), "");
  }

  /**
   * A database that goes silent (a network partition: connections neither answer nor close) must
   * not hang the node. The URL's short socket timeout keeps the test quick; by default the node has
   * one of 15 s ({@link #postgresQueriesHaveASocketTimeoutByDefault}).
   */
  @Test
  void aSilentDatabaseFor8TicksLosesNoTickAndRunsNoneTwice() throws Exception {
    outage(true, Duration.ofSeconds(8), "&socketTimeout=3");
  }

  @Test
  void postgresQueriesHaveASocketTimeoutByDefault() throws Exception {
    String url = TestDatabases.postgresUrl(TestDatabases.uniqueName("sockettimeout"));
    Config config = Configs.load(Map.of("distcron.db.url", url, "distcron.db.user", "postgres"));
    assertThat(
            config.getInt(
                "pekko-persistence-jdbc.shared-databases.distcron.db.properties.socketTimeout"))
        .as("journal pool")
        .isPositive();
    try (HikariDataSource ds = Database.open(DistcronSettings.from(config).db());
        Connection c = ds.getConnection()) {
      assertThat(c.getNetworkTimeout()).as("run store pool, ms").isPositive();
    }
  }

  private void outage(boolean silent, Duration length, String urlOptions) throws Exception {
    String direct = TestDatabases.postgresUrl(TestDatabases.uniqueName("outage"));
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", 5432)) {
      Map<String, Object> config = new HashMap<>();
      config.put(
          "distcron.db.url",
          direct.replace(TestDatabases.POSTGRES_HOST, "127.0.0.1:" + proxy.port()) + urlOptions);
      config.put("distcron.db.user", TestDatabases.POSTGRES_USER);
      config.put("distcron.db.password", "");
      try (Node node = TestNodes.start(config, Map.of("distcron.http.ask-timeout", "3s"))) {
        ApiClient api = new ApiClient(node.apiUrl());
        String noop = "{\"name\": \"beat\", \"schedule\": \"* * * * * ?\", \"noop\": {}}";
        String shell =
            "{\"name\": \"beat-sh\", \"schedule\": \"* * * * * ?\","
                + " \"shell\": {\"command\": \"sleep 0.5; echo tick\"}}";
        RunLog.define(api, noop);
        RunLog.define(api, shell);
        Await.until(
            Duration.ofSeconds(30),
            "3 ticks of each job before the outage",
            () -> JOBS.stream().allMatch(j -> count(runs(api, j), "SUCCEEDED") >= 3));
        // The outage starts while a run is going: its end cannot be written, and the next tick
        // comes while the job still counts it as active.
        Await.until(
            Duration.ofSeconds(10),
            "a run of beat-sh going",
            () -> count(runs(api, "beat-sh"), "RUNNING") == 1);

        if (silent) proxy.freeze();
        else proxy.cut();
        Instant cutAt = Instant.now();
        // A lookup of an unknown job starts an entity, which sharding must remember (a journal
        // write):
        // one in the shard of "beat" must not take "beat" down with it.
        String ghost = sameShardAs("beat");
        int ghostStatus = api.get("/jobs/" + ghost).status();
        assertThat(ghostStatus).as("GET of an unknown job during the outage").isIn(404, 503);
        Instant restoreAt = cutAt.plus(length);
        List<String> answers = new ArrayList<>();
        Await.until(
            length.plusSeconds(30),
            "the outage to last " + length,
            () -> {
              // The node keeps answering, with 503, for as long as the database is away.
              long t0 = System.nanoTime();
              int status = api.get("/jobs/beat").status();
              answers.add(status + " in " + (System.nanoTime() - t0) / 1_000_000 + " ms");
              assertThat(status).as("GET /jobs/beat during the outage").isEqualTo(503);
              return Instant.now().isAfter(restoreAt);
            });
        proxy.restore();
        Instant restoredAt = Instant.now();
        log.info("Outage from {} to {}; answers meanwhile: {}", cutAt, restoredAt, answers);

        Await.until(
            Duration.ofSeconds(60),
            "new ticks after the outage, and every second accounted for",
            () ->
                JOBS.stream()
                    .allMatch(
                        j -> {
                          List<JsonNode> rs = runs(api, j);
                          long after =
                              rs.stream()
                                  .filter(r -> "SCHEDULE".equals(RunLog.reason(r)))
                                  .filter(r -> status(r).equals("SUCCEEDED"))
                                  .filter(
                                      r ->
                                          instant(r, "scheduledAt")
                                              .isAfter(restoredAt.plusSeconds(1)))
                                  .count();
                          return after >= 2 && RunLog.everySecondOnce(rs).isEmpty();
                        }));
        Await.until(
            Duration.ofSeconds(30),
            "404 for the unknown job",
            () -> api.get("/jobs/" + ghost).status() == 404);
        for (String job : JOBS) {
          List<JsonNode> rs = runs(api, job);
          assertThat(RunLog.everySecondOnce(rs)).as(job).isEmpty();
          Instant firstAfter =
              rs.stream()
                  .map(r -> instant(r, "firedAt"))
                  .filter(t -> t != null && t.isAfter(restoredAt))
                  .min(Instant::compareTo)
                  .orElseThrow();
          List<JsonNode> during =
              rs.stream()
                  .filter(r -> !instant(r, "scheduledAt").isBefore(cutAt))
                  .filter(r -> instant(r, "scheduledAt").isBefore(restoredAt))
                  .toList();
          log.info(
              "{}: first run fired {} ms after the database came back; {} ticks fell in the outage:"
                  + " {}",
              job,
              Duration.between(restoredAt, firstAfter).toMillis(),
              during.size(),
              during.stream().map(r -> RunLog.reason(r) + "/" + status(r)).toList());
          assertThat(during.size())
              .as(job + ": ticks in the outage")
              .isGreaterThanOrEqualTo((int) length.toSeconds() - 1);
          assertThat(during).allSatisfy(r -> assertThat(status(r)).isEqualTo("SUCCEEDED"));
          assertThat(api.get("/jobs/" + job).status()).isEqualTo(200);
        }
      }
    }
  }

  /** A job name that sharding puts in the same shard as {@code job} (1000 shards, by hash code). */
  private static String sameShardAs(String job) {
    int shard = Math.abs(job.hashCode() % 1000);
    for (int i = 0; ; i++) {
      String name = "ghost-" + i;
      if (Math.abs(name.hashCode() % 1000) == shard) return name;
    }
  }

  /**
   * Forwards TCP connections to a target; {@link #cut} drops every connection and refuses new ones
   * (they are accepted and reset at once), {@link #freeze} lets no byte through either way, until
   * {@link #restore}.
   */
  static final class TcpProxy implements AutoCloseable {
    private final String host;
    private final int targetPort;
    private final ServerSocket server;
    private final ExecutorService threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "tcp-proxy");
              t.setDaemon(true);
              return t;
            });
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private final AtomicBoolean cut = new AtomicBoolean();
    private final Object gate = new Object();
    private volatile boolean frozen;

    TcpProxy(String host, int targetPort) throws IOException {
      this.host = host;
      this.targetPort = targetPort;
      this.server = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"));
      threads.execute(this::acceptLoop);
    }

    int port() {
      return server.getLocalPort();
    }

    void cut() {
      cut.set(true);
      for (Socket s : open) reset(s);
      open.clear();
    }

    /** Like a network partition: nothing is refused, but no byte gets through until restore. */
    void freeze() {
      frozen = true;
    }

    void restore() {
      cut.set(false);
      synchronized (gate) {
        frozen = false;
        gate.notifyAll();
      }
    }

    private void awaitThaw() {
      synchronized (gate) {
        while (frozen) {
          try {
            gate.wait();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    }

    @Override
    public void close() throws IOException {
      server.close();
      cut();
      restore();
      threads.shutdownNow();
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        Socket client;
        try {
          client = server.accept();
        } catch (IOException e) {
          return;
        }
        if (cut.get()) {
          reset(client);
          continue;
        }
        threads.execute(() -> connect(client));
      }
    }

    private void connect(Socket client) {
      awaitThaw();
      try {
        Socket upstream = new Socket();
        upstream.connect(new InetSocketAddress(host, targetPort), 5000);
        open.add(client);
        open.add(upstream);
        if (cut.get()) {
          // cut() ran while this connection was being made; it may have missed these two.
          reset(client);
          reset(upstream);
          return;
        }
        threads.execute(() -> pump(client, upstream));
        threads.execute(() -> pump(upstream, client));
      } catch (IOException e) {
        reset(client);
      }
    }

    private void pump(Socket from, Socket to) {
      byte[] buf = new byte[16384];
      try (InputStream in = from.getInputStream()) {
        OutputStream out = to.getOutputStream();
        int n;
        while ((n = in.read(buf)) >= 0) {
          awaitThaw();
          out.write(buf, 0, n);
          out.flush();
        }
      } catch (IOException e) {
        // either side went away
      } finally {
        reset(from);
        reset(to);
        open.remove(from);
        open.remove(to);
      }
    }

    private static void reset(Socket s) {
      try {
        s.setSoLinger(true, 0);
      } catch (IOException e) {
        // already closed
      }
      try {
        s.close();
      } catch (IOException e) {
        // already closed
      }
    }
  }
}
