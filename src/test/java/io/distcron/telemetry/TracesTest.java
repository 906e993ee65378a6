package io.distcron.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.RunLog;
import io.distcron.TestNodes;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A node with an SDK injected runs shell and HTTP jobs: one trace per run, tick → hand-off →
 * execution, and the job's own work (its request, its process) handed the execution span.
 */
class TracesTest {
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private static Tracing tracing;
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    tracing = Tracing.withProcessor(SimpleSpanProcessor.create(spans));
    node = TestNodes.start(TestNodes.dbConfig("h2", "traces"), Map.of(), tracing);
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (tracing != null) tracing.close();
  }

  @Test
  void aShellRunIsOneTraceAndItsProcessSeesTheExecutionSpan() {
    RunLog.define(
        api,
        """
        {"name": "traced-shell", "schedule": "@yearly",
         "shell": {"command": "echo \\"$TRACEPARENT\\""}}
        """);
    String runId = trigger("traced-shell");
    awaitStatus(runId, "SUCCEEDED");
    Trace t = trace(runId);

    assertThat(t.tick.getParentSpanContext().isValid()).as("the tick span is the root").isFalse();
    assertThat(t.tick.getSpanId()).isEqualTo(RunTraceIds.tickSpanId(runId));
    assertThat(t.tick.getAttributes().get(Tracing.JOB)).isEqualTo("traced-shell");
    assertThat(t.tick.getAttributes().get(Tracing.RUN_ID)).isEqualTo(runId);
    assertThat(t.tick.getAttributes().get(Tracing.REASON)).isEqualTo("MANUAL");
    assertThat(t.tick.getAttributes().get(Tracing.ATTEMPT)).isEqualTo(1L);
    assertThat(t.tick.getAttributes().get(Tracing.SCHEDULED_AT)).isNotNull();

    assertThat(t.handOff.getParentSpanId()).isEqualTo(t.tick.getSpanId());
    assertThat(t.handOff.getKind()).isEqualTo(SpanKind.PRODUCER);
    assertThat(t.handOff.getAttributes().get(Tracing.EPOCH)).isEqualTo(1L);
    String executor = t.handOff.getAttributes().get(Tracing.NODE);
    assertThat(executor).isNotBlank();

    assertThat(t.run.getParentSpanId()).isEqualTo(t.handOff.getSpanId());
    assertThat(t.run.getKind()).isEqualTo(SpanKind.CONSUMER);
    assertThat(t.run.getAttributes().get(Tracing.NODE)).isEqualTo(executor);
    assertThat(t.run.getAttributes().get(Tracing.STATUS)).isEqualTo("SUCCEEDED");
    assertThat(t.run.getAttributes().get(Tracing.EXIT_CODE)).isEqualTo(0L);
    assertThat(t.run.getAttributes().get(Tracing.SCHEDULED_AT))
        .isEqualTo(t.tick.getAttributes().get(Tracing.SCHEDULED_AT));
    assertThat(t.run.getStatus().getStatusCode()).isNotEqualTo(StatusCode.ERROR);

    assertThat(api.get("/runs/" + runId + "/output").body())
        .isEqualTo(traceparent(t.run.getSpanContext()) + "\n");
  }

  @Test
  void anHttpRequestCarriesTheExecutionSpan() throws Exception {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer server =
        HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext(
        "/",
        exchange -> {
          received.add(String.valueOf(exchange.getRequestHeaders().getFirst("traceparent")));
          exchange.sendResponseHeaders(200, -1);
          exchange.close();
        });
    server.start();
    try {
      RunLog.define(
          api,
          """
          {"name": "traced-http", "schedule": "@yearly",
           "http": {"url": "http://127.0.0.1:%d/hook", "method": "POST", "body": "x",
                    "headers": {"TraceParent": "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-01"}}}
          """
              .formatted(server.getAddress().getPort()));
      String runId = trigger("traced-http");
      awaitStatus(runId, "SUCCEEDED");
      Trace t = trace(runId);
      assertThat(t.run.getParentSpanId()).isEqualTo(t.handOff.getSpanId());
      // The job's own traceparent header gives way to the run's.
      assertThat(received).containsExactly(traceparent(t.run.getSpanContext()));
    } finally {
      server.stop(0);
    }
  }

  @Test
  void aRetryLinksToTheAttemptItFollows() {
    RunLog.define(
        api,
        """
        {"name": "traced-retry", "schedule": "@yearly", "shell": {"command": "exit 3"},
         "retry": {"maxAttempts": 2, "backoff": "PT1S"}}
        """);
    String first = trigger("traced-retry");
    Await.until(
        WAIT,
        "2 FAILED attempts",
        () -> RunLog.count(RunLog.runs(api, "traced-retry"), "FAILED") == 2);
    String second =
        RunLog.runs(api, "traced-retry").stream()
            .map(r -> r.get("id").asText())
            .filter(id -> !id.equals(first))
            .findFirst()
            .orElseThrow();

    Trace failed = trace(first);
    assertThat(failed.run.getAttributes().get(Tracing.STATUS)).isEqualTo("FAILED");
    assertThat(failed.run.getAttributes().get(Tracing.EXIT_CODE)).isEqualTo(3L);
    assertThat(failed.run.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);

    Trace retry = trace(second);
    assertThat(retry.tick.getTraceId()).isNotEqualTo(failed.tick.getTraceId());
    assertThat(retry.tick.getAttributes().get(Tracing.REASON)).isEqualTo("RETRY");
    assertThat(retry.tick.getAttributes().get(Tracing.ATTEMPT)).isEqualTo(2L);
    assertThat(retry.tick.getAttributes().get(Tracing.CAUSE)).isEqualTo(first);
    assertThat(retry.tick.getLinks())
        .singleElement()
        .satisfies(
            link -> {
              assertThat(link.getSpanContext().getTraceId()).isEqualTo(failed.tick.getTraceId());
              assertThat(link.getSpanContext().getSpanId()).isEqualTo(failed.tick.getSpanId());
            });
  }

  /** A run's three spans, once all are exported; no other span may share its trace. */
  private record Trace(SpanData tick, SpanData handOff, SpanData run) {}

  private static Trace trace(String runId) {
    String traceId = RunTraceIds.traceId(runId);
    Await.until(WAIT, "the spans of run " + runId, () -> inTrace(traceId).size() >= 3);
    List<SpanData> all = inTrace(traceId);
    assertThat(all)
        .extracting(SpanData::getName)
        .containsExactlyInAnyOrder("distcron.tick", "distcron.handoff", "distcron.run");
    assertThat(all)
        .allSatisfy(s -> assertThat(s.getAttributes().get(Tracing.RUN_ID)).isEqualTo(runId));
    return new Trace(
        named(all, "distcron.tick"), named(all, "distcron.handoff"), named(all, "distcron.run"));
  }

  private static List<SpanData> inTrace(String traceId) {
    return spans.getFinishedSpanItems().stream()
        .filter(s -> s.getTraceId().equals(traceId))
        .toList();
  }

  private static SpanData named(List<SpanData> all, String name) {
    return all.stream().filter(s -> s.getName().equals(name)).findFirst().orElseThrow();
  }

  private static String traceparent(SpanContext c) {
    assertThat(SpanId.isValid(c.getSpanId())).isTrue();
    return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-01";
  }

  private static String trigger(String job) {
    ApiClient.Response r = api.post("/jobs/" + job + "/trigger", "");
    assertThat(r.status()).as(r.body()).isEqualTo(202);
    return r.json().get("runId").asText();
  }

  private static void awaitStatus(String runId, String status) {
    Await.until(
        WAIT,
        "run " + runId + " " + status,
        () -> {
          ApiClient.Response r = api.get("/runs/" + runId);
          if (r.status() != 200) return false;
          JsonNode run = r.json();
          return status.equals(RunLog.status(run));
        });
  }
}
