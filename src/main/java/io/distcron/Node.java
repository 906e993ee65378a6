package io.distcron;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.cluster.LeaseTimings;
import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.Leftovers;
import io.distcron.exec.ShellRunner;
import io.distcron.store.Database;
import io.distcron.store.Schema;
import io.distcron.telemetry.Tracing;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One running distcron node: its actor system, its run-store pool and its bound API. */
public final class Node implements AutoCloseable {
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Logger log = LoggerFactory.getLogger(Node.class);

  private final ActorSystem<?> system;
  private final HikariDataSource dataSource;
  private final InetSocketAddress httpAddress;

  private Node(ActorSystem<?> system, HikariDataSource dataSource, InetSocketAddress httpAddress) {
    this.system = system;
    this.dataSource = dataSource;
    this.httpAddress = httpAddress;
  }

  /**
   * Starts a node, tracing as the process's {@code OTEL_*} environment says ({@link
   * Tracing#fromEnvironment}), and returns once its API is bound; fails if anything on the way
   * does.
   */
  public static Node start(Config config, Clock clock) throws Exception {
    Tracing tracing = Tracing.fromEnvironment(System.getenv());
    try {
      Node node = start(config, clock, tracing);
      node.system.getWhenTerminated().thenRun(tracing::close);
      return node;
    } catch (Exception e) {
      tracing.close();
      throw e;
    }
  }

  /** Starts a node whose traces go to {@code tracing}; the caller closes it. */
  public static Node start(Config config, Clock clock, Tracing tracing) throws Exception {
    DistcronSettings settings = DistcronSettings.from(config);
    refuseOpenApiOffLoopback(settings);
    refuseUnsafeLeaseTimings(settings, config);
    killLeftovers(settings, config);
    HikariDataSource ds = Database.open(settings.db());
    ActorSystem<?> system = null;
    try {
      Schema.create(ds);
      CompletableFuture<ServerBinding> bound = new CompletableFuture<>();
      system =
          ActorSystem.create(
              Guardian.create(settings, clock, ds, tracing, bound), Configs.SYSTEM_NAME, config);
      ServerBinding binding = bound.get(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      ActorSystem<?> running = system;
      running.getWhenTerminated().thenRun(ds::close);
      return new Node(running, ds, binding.localAddress());
    } catch (Exception e) {
      if (system != null) {
        system.terminate();
        system.getWhenTerminated().toCompletableFuture().get(30, TimeUnit.SECONDS);
      }
      ds.close();
      throw e;
    }
  }

  /**
   * distcron runs commands: an API without tokens on a reachable address is remote code execution
   * for anyone who finds it.
   */
  private static void refuseOpenApiOffLoopback(DistcronSettings settings)
      throws UnknownHostException {
    if (!settings.auth().adminToken().isBlank()) return;
    for (InetAddress address : InetAddress.getAllByName(settings.httpHost())) {
      if (!address.isLoopbackAddress()) {
        throw new IllegalStateException(
            "the API would listen on "
                + settings.httpHost()
                + " with no authentication, and it runs commands: set DISTCRON_ADMIN_TOKEN to a long"
                + " random secret (then create tokens with POST /api/v1/tokens), or listen on 127.0.0.1");
      }
    }
  }

  /**
   * Runs a previous life of this node left running (their watchdogs should have killed them; this
   * is the second line): killed before the node takes new ones. A node on a random port (tests) has
   * no previous life.
   */
  private static void killLeftovers(DistcronSettings settings, Config config)
      throws IOException, InterruptedException {
    int port = config.getInt("pekko.remote.artery.canonical.port");
    if (port == 0) return;
    String node = config.getString("pekko.remote.artery.canonical.hostname") + ":" + port;
    List<Leftovers.Killed> killed = ShellRunner.killLeftovers(Guardian.runsDir(settings, node));
    if (!killed.isEmpty()) log.warn("Killed what runs of a previous life left: {}", killed);
  }

  private static void refuseUnsafeLeaseTimings(DistcronSettings settings, Config config) {
    String problem =
        LeaseTimings.problem(
            settings.lease().duration(),
            settings.lease().watchdogTimeout(),
            config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"),
            config.getDuration("pekko.cluster.split-brain-resolver.stable-after"));
    if (problem != null) throw new IllegalStateException(problem);
  }

  public ActorSystem<?> system() {
    return system;
  }

  public String apiUrl() {
    return "http://" + httpAddress.getHostString() + ":" + httpAddress.getPort() + "/api/v1";
  }

  /** Leaves the cluster the orderly way (coordinated shutdown) and waits until the node is down. */
  @Override
  public void close() throws Exception {
    CoordinatedShutdown.get(system).runAll(CoordinatedShutdown.unknownReason());
    system.getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);
    dataSource.close();
  }
}
