package io.distcron.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.RunReason;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class TracingTest {

  @Test
  void withNoOtelConfigurationTracingIsTheNoopInstance() {
    Tracing off = Tracing.fromEnvironment(Map.of("PATH", "/usr/bin"));
    assertThat(off).isSameAs(Tracing.OFF);
    assertThat(off.enabled()).isFalse();
    assertThat(off.openTelemetry()).isSameAs(OpenTelemetry.noop());
    assertThat(
            off.startTick("j", "r", Instant.EPOCH, RunReason.SCHEDULE, 1, "n", null)
                .getSpanContext()
                .isValid())
        .isFalse();
    assertThat(off.handOff("j", "r", "n", 1)).isNull();
  }

  @Test
  void tracesAreWantedOnlyWhenTheEnvironmentSaysWhereOrAsks() {
    assertThat(Tracing.wanted(Map.of())).isFalse();
    assertThat(Tracing.wanted(Map.of("OTEL_SERVICE_NAME", "x"))).isFalse();
    assertThat(Tracing.wanted(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318"))).isTrue();
    assertThat(Tracing.wanted(Map.of("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://c:4318")))
        .isTrue();
    assertThat(Tracing.wanted(Map.of("OTEL_TRACES_EXPORTER", "otlp"))).isTrue();
    assertThat(Tracing.wanted(Map.of("OTEL_SDK_DISABLED", "false"))).isTrue();
    assertThat(
            Tracing.wanted(
                Map.of("OTEL_TRACES_EXPORTER", "none", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c")))
        .isFalse();
    assertThat(
            Tracing.wanted(
                Map.of("OTEL_SDK_DISABLED", "true", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://c")))
        .isFalse();
  }

  @Test
  void anOtlpEndpointTurnsTheAutoconfiguredSdkOn() {
    try (Tracing on =
        Tracing.fromEnvironment(Map.of("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1"))) {
      assertThat(on.enabled()).isTrue();
      assertThat(on.openTelemetry()).isNotSameAs(OpenTelemetry.noop());
      String runId = UUID.randomUUID().toString();
      var tick = on.startTick("j", runId, Instant.EPOCH, RunReason.SCHEDULE, 1, "n", null);
      assertThat(tick.getSpanContext().getTraceId()).isEqualTo(RunTraceIds.traceId(runId));
      assertThat(tick.getSpanContext().getSpanId()).isEqualTo(RunTraceIds.tickSpanId(runId));
      assertThat(tick.getSpanContext().isSampled()).isTrue();
      assertThat(on.handOff("j", runId, "n", 1))
          .startsWith("00-" + RunTraceIds.traceId(runId) + "-")
          .endsWith("-01");
    }
  }

  @Test
  void aRunsIdsAreDerivedTheSameEverywhereAndDifferPerRun() {
    String a = UUID.randomUUID().toString();
    String b = UUID.randomUUID().toString();
    assertThat(TraceId.isValid(RunTraceIds.traceId(a))).isTrue();
    assertThat(SpanId.isValid(RunTraceIds.tickSpanId(a))).isTrue();
    assertThat(RunTraceIds.traceId(a)).isEqualTo(RunTraceIds.traceId(a));
    assertThat(RunTraceIds.tickSpanId(a)).isEqualTo(RunTraceIds.tickSpanId(a));
    assertThat(RunTraceIds.traceId(a)).isNotEqualTo(RunTraceIds.traceId(b));
    assertThat(RunTraceIds.tickSpanId(a)).isNotEqualTo(RunTraceIds.tickSpanId(b));
    // Not the UUID's own hex: its fixed version and variant bits would skew a ratio sampler.
    assertThat(RunTraceIds.traceId(a)).isNotEqualTo(a.replace("-", ""));
  }
}
