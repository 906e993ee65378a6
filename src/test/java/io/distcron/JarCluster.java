package io.distcron;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;

/**
 * The built jar as a cluster of OS processes on one PostgreSQL schema, each node with fixed ports
 * (so it can come back as itself) and a data directory of its own. Faults are real signals to the
 * node's JVM only, by PID: what its runs do then is the node's business.
 */
final class JarCluster implements AutoCloseable {
  static final Path JAR = Path.of("target", "distcron.jar");
  static final String HOST = "127.0.0.1";

  /** Three JVMs starting at once on a small machine are slow to get going. */
  static final Duration START_TIMEOUT = Duration.ofSeconds(150);

  static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);

  /**
   * Options for the nodes' JVMs after {@code -Xmx256m}, split on blanks. By default C1 only and the
   * serial collector: three JVMs starting at once on a 2-core machine otherwise spend their first
   * minute compiling. {@code -Ddistcron.it.jvmArgs=} (empty) runs them as {@code java -Xmx256m
   * -jar} alone.
   */
  private static final String JVM_ARGS =
      System.getProperty("distcron.it.jvmArgs", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC");

  /** How often a wait asks an API: often enough, without loading the nodes under test. */
  static final Duration POLL = Duration.ofMillis(500);

  private final String name;
  private final Path dir;
  private final String dbUrl;
  private final Map<String, String> extraEnv;
  private final List<Node> nodes = new ArrayList<>();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** {@code dir}: logs and data directories. */
  JarCluster(String name, int size, Path dir, String dbUrl) {
    this(name, size, dir, dbUrl, Map.of());
  }

  /** {@code env}: more settings for every node, as {@code DISTCRON_*} environment variables. */
  JarCluster(String name, int size, Path dir, String dbUrl, Map<String, String> env) {
    this.name = name;
    this.dir = dir;
    this.dbUrl = dbUrl;
    this.extraEnv = Map.copyOf(env);
    int[] ports = TestNodes.freePorts(3 * size);
    for (int i = 0; i < size; i++) {
      nodes.add(new Node(i + 1, ports[3 * i], ports[3 * i + 1], ports[3 * i + 2]));
    }
  }

  List<Node> nodes() {
    return nodes;
  }

  Node node(int n) {
    return nodes.get(n - 1);
  }

  String dbUrl() {
    return dbUrl;
  }

  void start() {
    if (!Files.exists(JAR)) throw new AssertionError("the built jar (mvn package): " + JAR);
    nodes.forEach(Node::start);
    nodes.forEach(Node::awaitReady);
  }

  /** Every node up again: a part that failed half-way must not leave the next one short. */
  void allUp() {
    for (Node node : nodes) if (!node.alive()) node.start();
    nodes.forEach(Node::awaitReady);
  }

  @Override
  public void close() {
    nodes.forEach(Node::destroy);
  }

  private String seedNodes() {
    return nodes.stream().map(Node::address).collect(Collectors.joining(","));
  }

  int status(String url) {
    try {
      HttpRequest request =
          HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3)).GET().build();
      return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /**
   * {@code condition}, asked at most once per {@code period}: a wait polls every few milliseconds.
   */
  static BooleanSupplier every(Duration period, BooleanSupplier condition) {
    long[] next = {System.nanoTime()};
    return () -> {
      long now = System.nanoTime();
      if (now - next[0] < 0) return false;
      next[0] = now + period.toNanos();
      return condition.getAsBoolean();
    };
  }

  static void awaitTime(Instant t) {
    Await.until(
        Duration.between(Instant.now(), t).plusSeconds(5),
        "time " + t,
        () -> !Instant.now().isBefore(t));
  }

  /** One node: the jar in a process of its own. */
  final class Node {
    final int n;
    final int httpPort;
    final int cluster;
    final int management;
    final Path log;
    final Path dataDir;
    Process process;

    Node(int n, int httpPort, int cluster, int management) {
      this.n = n;
      this.httpPort = httpPort;
      this.cluster = cluster;
      this.management = management;
      this.log = dir.resolve("node-" + n + ".log");
      this.dataDir = dir.resolve("data-" + n);
    }

    String address() {
      return HOST + ":" + cluster;
    }

    ApiClient api() {
      return new ApiClient("http://" + HOST + ":" + httpPort + "/api/v1");
    }

    boolean alive() {
      return process != null && process.isAlive();
    }

    long pid() {
      return process.pid();
    }

    void start() {
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> command = new ArrayList<>(List.of(java, "-Xmx256m"));
      Arrays.stream(JVM_ARGS.trim().split("\\s+")).filter(a -> !a.isEmpty()).forEach(command::add);
      command.addAll(List.of("-jar", JAR.toAbsolutePath().toString()));
      ProcessBuilder pb = new ProcessBuilder(command);
      Map<String, String> env = pb.environment();
      env.keySet().removeIf(k -> k.startsWith("DISTCRON_"));
      env.putAll(extraEnv);
      env.put("DISTCRON_DB_URL", dbUrl);
      env.put("DISTCRON_DB_USER", TestDatabases.POSTGRES_USER);
      env.put("DISTCRON_DB_PASSWORD", "");
      env.put("DISTCRON_DATA_DIR", dataDir.toAbsolutePath().toString());
      env.put("DISTCRON_HTTP_PORT", Integer.toString(httpPort));
      env.put("DISTCRON_CLUSTER_HOST", HOST);
      env.put("DISTCRON_CLUSTER_PORT", Integer.toString(cluster));
      env.put("DISTCRON_MANAGEMENT_PORT", Integer.toString(management));
      env.put("DISTCRON_SEED_NODES", seedNodes());
      pb.redirectErrorStream(true);
      pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      try {
        Files.createDirectories(dataDir);
        Files.writeString(
            log,
            "==== " + name + " starts node " + n + " at " + Instant.now() + System.lineSeparator(),
            StandardOpenOption.CREATE,
            StandardOpenOption.APPEND);
        process = pb.start();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot start node " + n, e);
      }
    }

    void awaitReady() {
      Await.until(
          START_TIMEOUT,
          "node " + n + " ready (log " + log + ")",
          every(
              POLL,
              () -> {
                if (!alive()) {
                  throw new AssertionError(
                      "node " + n + " exited with " + process.exitValue() + "; see " + log);
                }
                return status("http://" + HOST + ":" + management + "/ready") == 200;
              }));
    }

    /** SIGKILL to the JVM alone: what it ran must die with it. */
    void kill() {
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(30));
    }

    /** SIGSTOP: the JVM freezes (a long GC pause, a stalled VM); its runs do not. */
    void freeze() {
      signal("STOP");
    }

    /** SIGCONT. */
    void thaw() {
      signal("CONT");
    }

    /** SIGTERM: the orderly way out. Returns the exit code. */
    int terminate() throws InterruptedException {
      process.destroy();
      if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        throw new AssertionError("node " + n + " still running " + STOP_TIMEOUT + " after SIGTERM");
      }
      return process.exitValue();
    }

    /** Waits for the process to end by itself; false if it did not within {@code wait}. */
    boolean waitFor(Duration wait) {
      try {
        return process.waitFor(wait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
    }

    void destroy() {
      if (process == null || !process.isAlive()) return;
      thaw();
      process.destroyForcibly();
      waitFor(Duration.ofSeconds(30));
    }

    private void signal(String signal) {
      try {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).start();
        if (!kill.waitFor(5, TimeUnit.SECONDS) || kill.exitValue() != 0) {
          throw new AssertionError("kill -" + signal + " " + pid() + " failed");
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
