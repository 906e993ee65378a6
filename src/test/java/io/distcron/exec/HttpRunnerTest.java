package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.typesafe.config.ConfigFactory;
import io.distcron.run.Action;
import io.distcron.run.RunStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Against a real HTTP server on 127.0.0.1 (the JDK's), with a real Pekko HTTP client. */
@Timeout(value = 15, unit = TimeUnit.SECONDS)
class HttpRunnerTest {

  private static final Duration LONG = Duration.ofSeconds(10);
  private static final Duration ONE_SECOND = Duration.ofSeconds(1);

  /** A request as the server saw it. */
  record Received(String method, String path, Map<String, List<String>> headers, byte[] body) {
    String header(String name) {
      // The JDK server normalizes header names to "X-token" style.
      List<String> values =
          headers.get(
              name.substring(0, 1).toUpperCase(Locale.ROOT)
                  + name.substring(1).toLowerCase(Locale.ROOT));
      return values == null ? null : String.join(",", values);
    }
  }

  private static ActorSystem<Void> system;
  private static HttpServer server;
  private static ExecutorService serverThreads;
  private static String base;
  private static final BlockingQueue<Received> received = new LinkedBlockingQueue<>();
  // Holds the slow handlers until the class is done: they stand for a server that never answers.
  private static final CountDownLatch release = new CountDownLatch(1);
  private static byte[] big;
  // 2-, 3- and 4-byte characters (and one ASCII) in a 10-byte cycle.
  private static final String UTF8_BODY = "é€𝄞-".repeat(20_000);

  private final HttpRunner runner = new HttpRunner(system, 64 * 1024);

  @BeforeAll
  static void start() throws Exception {
    system =
        ActorSystem.create(
            Behaviors.empty(),
            "http-test",
            // A short client idle timeout, to show that a run's longer timeout overrides it.
            ConfigFactory.parseString(
                    "pekko.actor.provider=local\npekko.http.client.idle-timeout=300ms")
                .withFallback(ConfigFactory.load()));
    big = bigBody();
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    // The default executor is one thread: a blocked slow handler would stall every other test.
    serverThreads = Executors.newCachedThreadPool();
    server.setExecutor(serverThreads);
    server.createContext("/hello", ex -> respond(ex, 200, "hello world"));
    server.createContext(
        "/echo",
        ex -> {
          byte[] body = ex.getRequestBody().readAllBytes();
          received.add(
              new Received(
                  ex.getRequestMethod(),
                  ex.getRequestURI().toString(),
                  Map.copyOf(ex.getRequestHeaders()),
                  body));
          respond(ex, 201, "got it");
        });
    server.createContext(
        "/status/",
        ex -> {
          int code = Integer.parseInt(ex.getRequestURI().getPath().substring("/status/".length()));
          respond(ex, code, code == 204 ? "" : "status " + code);
        });
    server.createContext(
        "/slow",
        ex -> {
          awaitRelease();
          respond(ex, 200, "too late");
        });
    server.createContext(
        "/late",
        ex -> {
          try {
            // Answers after a pause longer than the client's idle timeout, shorter than the run's.
            new CountDownLatch(1).await(700, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          respond(ex, 200, "worth the wait");
        });
    server.createContext(
        "/utf8",
        ex -> {
          byte[] bytes = UTF8_BODY.getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(200, bytes.length);
          try (OutputStream out = ex.getResponseBody()) {
            // Odd-sized flushed writes, so chunks end inside characters.
            for (int off = 0; off < bytes.length; off += 1001) {
              out.write(bytes, off, Math.min(1001, bytes.length - off));
              out.flush();
            }
          }
        });
    server.createContext(
        "/partial",
        ex -> {
          ex.sendResponseHeaders(200, 0); // chunked
          OutputStream out = ex.getResponseBody();
          out.write("first part\n".getBytes(StandardCharsets.UTF_8));
          out.flush();
          awaitRelease();
          ex.close();
        });
    server.createContext(
        "/big",
        ex -> {
          ex.sendResponseHeaders(200, big.length);
          try (OutputStream out = ex.getResponseBody()) {
            for (int off = 0; off < big.length; off += 8192) {
              out.write(big, off, Math.min(8192, big.length - off));
            }
          }
        });
    server.start();
    base = "http://127.0.0.1:" + server.getAddress().getPort();
    // The first exchange loads Pekko HTTP's classes, seconds on a busy machine: no test's timing
    // should absorb that.
    new HttpRunner(system, 1024)
        .run(get(base + "/hello"), Duration.ofSeconds(30), null)
        .toCompletableFuture()
        .get(40, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    release.countDown();
    server.stop(0);
    serverThreads.shutdownNow();
    system.terminate();
    system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @BeforeEach
  void forgetEarlierRequests() {
    received.clear();
  }

  private static void awaitRelease() {
    try {
      release.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void respond(HttpExchange ex, int code, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(code, bytes.length == 0 ? -1 : bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Just over 1 MB of numbered lines, then a last line the tail must end with. */
  private static byte[] bigBody() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; sb.length() < 1024 * 1024; i++) {
      String n = Integer.toString(i);
      sb.append("line ").append("0000000", n.length(), 7).append(n).append('\n');
    }
    return sb.append("THE END\n").toString().getBytes(StandardCharsets.UTF_8);
  }

  private static Action.Http get(String url) {
    return new Action.Http("GET", url, null, null, null, null);
  }

  private static Action.Http get(String url, List<Integer> expectStatus) {
    return new Action.Http("GET", url, null, null, null, expectStatus);
  }

  private Result run(Action.Http action) throws Exception {
    return runner.run(action, LONG, null).toCompletableFuture().get(12, TimeUnit.SECONDS);
  }

  @Test
  void okWithBodySucceeds() throws Exception {
    Result r = run(get(base + "/hello"));

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 200, "hello world", null));
  }

  @Test
  void sendsMethodHeadersAndBody() throws Exception {
    Action.Http post =
        new Action.Http(
            "post",
            base + "/echo?job=nightly",
            Map.of(
                "X-Token", "secret",
                "Content-Type", "application/json",
                "User-Agent", "distcron-test",
                "Content-Length", "999"),
            "{\"a\":1}",
            null,
            null);

    Result r = run(post);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 201, "got it", null));
    Received got = received.poll(5, TimeUnit.SECONDS);
    assertThat(got).isNotNull();
    assertThat(got.method()).isEqualTo("POST");
    assertThat(got.path()).isEqualTo("/echo?job=nightly");
    assertThat(got.header("X-Token")).isEqualTo("secret");
    assertThat(got.header("Content-Type")).isEqualTo("application/json");
    assertThat(got.header("User-Agent")).isEqualTo("distcron-test");
    assertThat(got.header("Content-Length")).isEqualTo("7");
    assertThat(got.header("Host")).isEqualTo("127.0.0.1:" + server.getAddress().getPort());
    assertThat(new String(got.body(), StandardCharsets.UTF_8)).isEqualTo("{\"a\":1}");
  }

  @Test
  void aHostHeaderIsSentInsteadOfTheUrlsHost() throws Exception {
    Action.Http get =
        new Action.Http(
            "GET", base + "/echo", Map.of("Host", "vhost.example:8443"), null, null, null);

    assertThat(run(get).status()).isEqualTo(RunStatus.SUCCEEDED);

    assertThat(received.poll(5, TimeUnit.SECONDS).header("Host")).isEqualTo("vhost.example:8443");
  }

  @Test
  void bodyIsEncodedInTheContentTypesCharset() throws Exception {
    Action.Http put =
        new Action.Http(
            "PUT",
            base + "/echo",
            Map.of("content-type", "text/plain; charset=ISO-8859-1"),
            "café",
            null,
            null);

    assertThat(run(put).status()).isEqualTo(RunStatus.SUCCEEDED);

    Received got = received.poll(5, TimeUnit.SECONDS);
    assertThat(got.method()).isEqualTo("PUT");
    assertThat(got.header("Content-Type")).isEqualTo("text/plain; charset=ISO-8859-1");
    assertThat(got.body()).containsExactly('c', 'a', 'f', 0xE9);
  }

  @Test
  void aBodyWithoutContentTypeIsUtf8Text() throws Exception {
    assertThat(run(new Action.Http("POST", base + "/echo", null, "é", null, null)).status())
        .isEqualTo(RunStatus.SUCCEEDED);

    Received got = received.poll(5, TimeUnit.SECONDS);
    assertThat(got.header("Content-Type")).isEqualTo("text/plain; charset=UTF-8");
    assertThat(got.body()).containsExactly(0xC3, 0xA9);
  }

  @Test
  void anExtensionMethodIsSent() throws Exception {
    assertThat(run(new Action.Http("PURGE", base + "/echo", null, null, null, null)).status())
        .isEqualTo(RunStatus.SUCCEEDED);

    assertThat(received.poll(5, TimeUnit.SECONDS).method()).isEqualTo("PURGE");
  }

  @Test
  void serverErrorFails() throws Exception {
    Result r = run(get(base + "/status/500"));

    assertThat(r)
        .isEqualTo(new Result(RunStatus.FAILED, 500, "status 500", "HTTP 500 (expected 2xx)"));
  }

  @Test
  void anUnexpectedSuccessFails() throws Exception {
    Result r = run(get(base + "/status/200", List.of(204)));

    assertThat(r)
        .isEqualTo(new Result(RunStatus.FAILED, 200, "status 200", "HTTP 200 (expected [204])"));
  }

  @Test
  void notFoundFailsNamingTheExpectedStatuses() throws Exception {
    Result r = run(get(base + "/status/404", List.of(200, 204)));

    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.exitCode()).isEqualTo(404);
    assertThat(r.message()).isEqualTo("HTTP 404 (expected [200, 204])");
  }

  @Test
  void anExpectedErrorStatusSucceeds() throws Exception {
    Result r = run(get(base + "/status/500", List.of(500)));

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 500, "status 500", null));
  }

  @Test
  void noContentSucceedsWithAnEmptyTail() throws Exception {
    Result r = run(get(base + "/status/204"));

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 204, "", null));
  }

  @Test
  void aServerThatNeverAnswersTimesOut() throws Exception {
    long start = System.nanoTime();

    Result r =
        runner
            .run(get(base + "/slow"), ONE_SECOND, null)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertThat(r).isEqualTo(new Result(RunStatus.TIMED_OUT, null, "", "timed out after 1s"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
  }

  @Test
  void aBodyThatNeverEndsTimesOutKeepingWhatArrived() throws Exception {
    Result r =
        runner
            .run(get(base + "/partial"), ONE_SECOND, null)
            .toCompletableFuture()
            .get(5, TimeUnit.SECONDS);

    assertThat(r)
        .isEqualTo(new Result(RunStatus.TIMED_OUT, 200, "first part\n", "timed out after 1s"));
  }

  @Test
  void aTimeoutClosesTheConnection() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      // Reads the request, never answers, and reports when the client hangs up.
      CompletableFuture<Boolean> hungUp =
          CompletableFuture.supplyAsync(
              () -> {
                try (Socket s = silent.accept();
                    InputStream in = s.getInputStream()) {
                  byte[] buf = new byte[4096];
                  while (in.read(buf) != -1) {
                    // drain until the client closes
                  }
                  return true;
                } catch (IOException e) {
                  return true; // reset by the client: closed as well
                }
              });
      String url = "http://127.0.0.1:" + silent.getLocalPort() + "/never";

      Result r =
          runner.run(get(url), ONE_SECOND, null).toCompletableFuture().get(5, TimeUnit.SECONDS);

      assertThat(r.status()).isEqualTo(RunStatus.TIMED_OUT);
      assertThat(hungUp.get(3, TimeUnit.SECONDS)).isTrue();
    }
  }

  @Test
  void aRefusedConnectionFails() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }

    Result r = run(get("http://127.0.0.1:" + port + "/"));

    assertThat(r)
        .isEqualTo(new Result(RunStatus.FAILED, null, "", "connection refused: 127.0.0.1:" + port));
  }

  @Test
  void httpsToAServerThatSpeaksPlainHttpFails() throws Exception {
    try (ServerSocket plain = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      CompletableFuture.runAsync(
          () -> {
            try (Socket s = plain.accept()) {
              s.getOutputStream()
                  .write("HTTP/1.1 400 Bad Request\r\n\r\n".getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
              // the client gave up first: nothing to answer
            }
          });

      Result r = run(get("https://127.0.0.1:" + plain.getLocalPort() + "/"));

      assertThat(r.status()).isEqualTo(RunStatus.FAILED);
      assertThat(r.exitCode()).isNull();
      // Usually "TLS with ... failed: Unrecognized SSL message", but Pekko's TLS stage may fail
      // with its own message first, depending on when the server's bytes arrive.
      assertThat(r.message()).isNotBlank();
    }
  }

  @Test
  void anUnknownHostFails() throws Exception {
    Result r =
        runner
            .run(get("http://no-such-host.invalid/"), Duration.ofSeconds(5), null)
            .toCompletableFuture()
            .get(8, TimeUnit.SECONDS);

    // .invalid never resolves, but how fast the resolver says so is the environment's business.
    assumeTrue(r.status() != RunStatus.TIMED_OUT, "the resolver did not answer within 5s");
    assertThat(r)
        .isEqualTo(new Result(RunStatus.FAILED, null, "", "unknown host: no-such-host.invalid"));
  }

  @Test
  void aLargeBodyKeepsItsLastBytesBehindAMarker() throws Exception {
    HttpRunner small = new HttpRunner(system, 1024);

    Result r =
        small.run(get(base + "/big"), LONG, null).toCompletableFuture().get(12, TimeUnit.SECONDS);

    String body = new String(big, StandardCharsets.UTF_8);
    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(r.outputTail())
        .isEqualTo(
            "[... "
                + (big.length - 1024)
                + " bytes truncated ...]\n"
                + body.substring(body.length() - 1024));
    assertThat(r.outputTail()).endsWith("THE END\n");
  }

  @Test
  void theListenerGetsTheWholeBodyAsTextWithNoCharacterCut() throws Exception {
    List<String> chunks = new CopyOnWriteArrayList<>();

    Result r =
        runner
            .run(get(base + "/utf8"), LONG, chunks::add)
            .toCompletableFuture()
            .get(12, TimeUnit.SECONDS);

    assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED);
    assertThat(chunks).hasSizeGreaterThan(1).noneMatch(c -> c.contains("\uFFFD"));
    assertThat(String.join("", chunks)).isEqualTo(UTF8_BODY);
  }

  @Test
  void aRunMayWaitLongerThanTheClientIdleTimeout() throws Exception {
    Result r = run(get(base + "/late"));

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 200, "worth the wait", null));
  }

  @Test
  void aThrowingListenerDoesNotFailTheRun() throws Exception {
    Result r =
        runner
            .run(
                get(base + "/hello"),
                LONG,
                text -> {
                  throw new IllegalStateException("listener broke");
                })
            .toCompletableFuture()
            .get(12, TimeUnit.SECONDS);

    assertThat(r).isEqualTo(new Result(RunStatus.SUCCEEDED, 200, "hello world", null));
  }

  @Test
  void invalidUrlsFail() throws Exception {
    for (String url :
        List.of("ftp://example.com/x", "not a url", "/relative/path", "http://", "")) {
      Result r = run(get(url));

      assertThat(r.status()).as(url).isEqualTo(RunStatus.FAILED);
      assertThat(r.exitCode()).as(url).isNull();
      assertThat(r.message()).as(url).startsWith("invalid url");
    }
  }

  @Test
  void aBadContentTypeFails() throws Exception {
    Action.Http post =
        new Action.Http(
            "POST", base + "/echo", Map.of("Content-Type", "not a type"), "x", null, null);

    Result r = run(post);

    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.message()).startsWith("invalid Content-Type header 'not a type'");
    assertThat(received).isEmpty();
  }

  @Test
  void aHeaderValueWithALineBreakFails() throws Exception {
    Action.Http post =
        new Action.Http(
            "GET", base + "/echo", Map.of("X-A", "1\r\nX-Injected: yes"), null, null, null);

    Result r = run(post);

    assertThat(r.status()).isEqualTo(RunStatus.FAILED);
    assertThat(r.message()).isEqualTo("invalid value for header X-A: control character");
  }
}
