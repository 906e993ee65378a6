package io.distcron.telemetry;

import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.context.propagation.TextMapGetter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.autoconfigure.AutoConfiguredOpenTelemetrySdk;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.SpanProcessor;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import io.opentelemetry.sdk.trace.samplers.SamplingDecision;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A node's traces: one trace per run, made of the tick decision (the job entity, when it persists
 * the run's firing), each hand-off to an executor, and the execution on the executor's node.
 *
 * <p>A run crosses nodes, so its trace is named by the run: the trace id and the tick span's id
 * derive from the run id ({@link RunTraceIds}). Any node can then add a span to the run's trace, or
 * link to another run's (a retry to the attempt it follows), without extra state in events or
 * messages. The hand-off also carries its span's {@code traceparent} to the executor, so the
 * execution is the child of the very hand-off that delivered it (a run redirected after a refusal
 * has several), and it follows the tick's sampling decision.
 *
 * <p>Off unless configured ({@link #wanted}): then every method returns at once, without
 * allocating, because a per-second noop job is decided thousands of times a second.
 */
public final class Tracing implements AutoCloseable {
  public static final Tracing OFF = new Tracing(null, null, null);

  static final AttributeKey<String> JOB = AttributeKey.stringKey("distcron.job");
  static final AttributeKey<String> RUN_ID = AttributeKey.stringKey("distcron.run.id");
  static final AttributeKey<String> SCHEDULED_AT =
      AttributeKey.stringKey("distcron.run.scheduled_at");
  static final AttributeKey<Long> ATTEMPT = AttributeKey.longKey("distcron.run.attempt");
  static final AttributeKey<String> REASON = AttributeKey.stringKey("distcron.run.reason");
  static final AttributeKey<String> NODE = AttributeKey.stringKey("distcron.node");
  static final AttributeKey<Long> EPOCH = AttributeKey.longKey("distcron.run.epoch");
  static final AttributeKey<String> STATUS = AttributeKey.stringKey("distcron.run.status");
  static final AttributeKey<Long> EXIT_CODE = AttributeKey.longKey("distcron.run.exit_code");
  static final AttributeKey<String> CAUSE = AttributeKey.stringKey("distcron.run.cause");

  private static final String SCOPE = "io.distcron";
  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();

  private final OpenTelemetrySdk sdk;
  private final Tracer tracer;
  private final RunTraceIds ids;

  private Tracing(OpenTelemetrySdk sdk, Tracer tracer, RunTraceIds ids) {
    this.sdk = sdk;
    this.tracer = tracer;
    this.ids = ids;
  }

  /**
   * Traces are wanted when the environment names where they go or asks for them: {@code
   * OTEL_TRACES_EXPORTER} (other than {@code none}), {@code OTEL_EXPORTER_OTLP_ENDPOINT}, {@code
   * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT}, or {@code OTEL_SDK_DISABLED=false}; never when {@code
   * OTEL_SDK_DISABLED=true}. Nothing configured, nothing exported, nothing spent.
   */
  public static boolean wanted(Map<String, String> env) {
    String disabled = env.get("OTEL_SDK_DISABLED");
    if ("true".equalsIgnoreCase(disabled)) return false;
    String exporter = env.get("OTEL_TRACES_EXPORTER");
    if (exporter != null && !exporter.isBlank()) return !exporter.trim().equals("none");
    return "false".equalsIgnoreCase(disabled)
        || present(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
        || present(env, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  }

  /**
   * The SDK configured by the standard {@code OTEL_*} variables (OTLP exporter unless told
   * otherwise), if {@link #wanted}; otherwise {@link #OFF}. Traces only: metrics stay with the
   * node's Prometheus endpoint and logs with its log files.
   */
  public static Tracing fromEnvironment(Map<String, String> env) {
    if (!wanted(env)) return OFF;
    RunTraceIds ids = new RunTraceIds();
    Map<String, String> properties = new HashMap<>();
    properties.put("otel.metrics.exporter", "none");
    properties.put("otel.logs.exporter", "none");
    // The variables as properties: the same values in production, where env is the process's,
    // and a test's own otherwise.
    env.forEach(
        (k, v) -> {
          if (k.startsWith("OTEL_"))
            properties.put(k.toLowerCase(Locale.ROOT).replace('_', '.'), v);
        });
    OpenTelemetrySdk sdk =
        AutoConfiguredOpenTelemetrySdk.builder()
            .addPropertiesSupplier(() -> properties)
            .addResourceCustomizer(
                (resource, config) ->
                    config.getString("otel.service.name") == null
                            && !resourceNamesService(config.getMap("otel.resource.attributes"))
                        ? resource.merge(
                            Resource.create(
                                Attributes.of(AttributeKey.stringKey("service.name"), "distcron")))
                        : resource)
            .addTracerProviderCustomizer((builder, config) -> builder.setIdGenerator(ids))
            // The node flushes its spans when it stops (close), not a JVM hook racing it.
            .disableShutdownHook()
            .build()
            .getOpenTelemetrySdk();
    return new Tracing(sdk, sdk.getTracer(SCOPE), ids);
  }

  /** An SDK whose spans go to {@code processor}, with W3C propagation. */
  public static Tracing withProcessor(SpanProcessor processor) {
    RunTraceIds ids = new RunTraceIds();
    OpenTelemetrySdk sdk =
        OpenTelemetrySdk.builder()
            .setTracerProvider(
                SdkTracerProvider.builder().setIdGenerator(ids).addSpanProcessor(processor).build())
            .setPropagators(ContextPropagators.create(W3C))
            .build();
    return new Tracing(sdk, sdk.getTracer(SCOPE), ids);
  }

  public boolean enabled() {
    return sdk != null;
  }

  /** The OpenTelemetry instance: the SDK when enabled, the noop one otherwise. */
  public OpenTelemetry openTelemetry() {
    return sdk != null ? sdk : OpenTelemetry.noop();
  }

  // ---- the job entity's side

  /**
   * Starts a run's root span: the decision to fire it, ended once persisted. {@code cause}: the run
   * it follows from (a retry's failed attempt; a dependency's run when there are such triggers),
   * linked; null for none.
   */
  public Span startTick(
      String job,
      String runId,
      Instant scheduledAt,
      RunReason reason,
      int attempt,
      String node,
      String cause) {
    if (sdk == null) return Span.getInvalid();
    var builder =
        tracer
            .spanBuilder("distcron.tick")
            .setNoParent()
            .setAttribute(JOB, job)
            .setAttribute(RUN_ID, runId)
            .setAttribute(SCHEDULED_AT, scheduledAt.toString())
            .setAttribute(REASON, reason.name())
            .setAttribute(ATTEMPT, (long) attempt)
            .setAttribute(NODE, node);
    if (cause != null) {
      builder.setAttribute(CAUSE, cause).addLink(tickContext(cause));
    }
    return ids.seeded(runId, builder::startSpan);
  }

  /**
   * Records a hand-off of {@code runId} to {@code node} under {@code epoch}, a child of the run's
   * tick span: returns its {@code traceparent} for the executor, null when tracing is off.
   */
  public String handOff(String job, String runId, String node, int epoch) {
    if (sdk == null) return null;
    Span span =
        tracer
            .spanBuilder("distcron.handoff")
            .setSpanKind(SpanKind.PRODUCER)
            .setParent(Context.root().with(Span.wrap(tickContext(runId))))
            .setAttribute(JOB, job)
            .setAttribute(RUN_ID, runId)
            .setAttribute(NODE, node)
            .setAttribute(EPOCH, (long) epoch)
            .startSpan();
    span.end();
    return traceparent(span.getSpanContext());
  }

  // ---- the executor's side

  /**
   * Starts a run's execution on this node: the child of the hand-off named by {@code traceparent},
   * or of the run's tick span when the hand-off carried none (its job's node does not trace).
   */
  public Span startExecution(
      String job,
      String runId,
      Instant scheduledAt,
      int attempt,
      RunReason reason,
      int epoch,
      String node,
      String traceparent) {
    if (sdk == null) return Span.getInvalid();
    Context parent =
        traceparent != null
            ? W3C.extract(Context.root(), traceparent, TRACEPARENT_GETTER)
            : Context.root().with(Span.wrap(tickContext(runId)));
    return tracer
        .spanBuilder("distcron.run")
        .setSpanKind(SpanKind.CONSUMER)
        .setParent(parent)
        .setAttribute(JOB, job)
        .setAttribute(RUN_ID, runId)
        .setAttribute(SCHEDULED_AT, scheduledAt.toString())
        .setAttribute(ATTEMPT, (long) attempt)
        .setAttribute(REASON, reason.name())
        .setAttribute(EPOCH, (long) epoch)
        .setAttribute(NODE, node)
        .startSpan();
  }

  /** Ends a run's span (tick or execution) with the run's final status. */
  public static void ended(Span span, RunStatus status, Integer exitCode, String message) {
    if (!span.getSpanContext().isValid()) return;
    span.setAttribute(STATUS, status.name());
    if (exitCode != null) span.setAttribute(EXIT_CODE, (long) exitCode);
    if (status != RunStatus.SUCCEEDED) span.setStatus(StatusCode.ERROR, message);
    span.end();
  }

  /**
   * The W3C headers naming {@code span}, for the job's own work to join the run's trace: {@code
   * traceparent}, and {@code tracestate} when there is one. Empty for no span.
   */
  public static Map<String, String> w3cHeaders(Span span) {
    SpanContext c = span.getSpanContext();
    if (!c.isValid()) return Map.of();
    Map<String, String> headers = new HashMap<>();
    W3C.inject(Context.root().with(span), headers, (carrier, k, v) -> carrier.put(k, v));
    return headers;
  }

  /** Flushes the spans still buffered and stops the SDK. */
  @Override
  public void close() {
    if (sdk != null) sdk.close();
  }

  /**
   * The run's tick span, as any node can name it. Sampled as the tick was: the tracer's sampler
   * decides a root by its trace id alone (always on, or a ratio of the id), so asking it again
   * gives the tick's answer.
   */
  private SpanContext tickContext(String runId) {
    String traceId = RunTraceIds.traceId(runId);
    Sampler sampler = sdk.getSdkTracerProvider().getSampler();
    boolean sampled =
        sampler
                .shouldSample(
                    Context.root(),
                    traceId,
                    "distcron.tick",
                    SpanKind.INTERNAL,
                    Attributes.empty(),
                    List.of())
                .getDecision()
            != SamplingDecision.DROP;
    return SpanContext.createFromRemoteParent(
        traceId,
        RunTraceIds.tickSpanId(runId),
        sampled ? TraceFlags.getSampled() : TraceFlags.getDefault(),
        TraceState.getDefault());
  }

  private static String traceparent(SpanContext c) {
    return "00-" + c.getTraceId() + "-" + c.getSpanId() + "-" + c.getTraceFlags().asHex();
  }

  private static boolean present(Map<String, String> env, String key) {
    String v = env.get(key);
    return v != null && !v.isBlank();
  }

  private static boolean resourceNamesService(Map<String, String> attributes) {
    return attributes.containsKey("service.name");
  }

  private static final TextMapGetter<String> TRACEPARENT_GETTER =
      new TextMapGetter<>() {
        @Override
        public Iterable<String> keys(String carrier) {
          return List.of("traceparent");
        }

        @Override
        public String get(String carrier, String key) {
          return "traceparent".equals(key) ? carrier : null;
        }
      };
}
