package io.distcron.job;

import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.NODE_B;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.shell;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.exec.ExecutorNode;
import io.distcron.telemetry.Tracing;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A run handed over again stays in its one trace: each hand-off a child of the tick. */
class JobEntityTracesTest {
  private static final AttributeKey<Long> EPOCH = AttributeKey.longKey("distcron.run.epoch");
  private static final AttributeKey<String> NODE = AttributeKey.stringKey("distcron.node");
  private static ActorTestKit kit;

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @Test
  void aRedirectedRunIsHandedOverAgainInTheSameTrace() {
    InMemorySpanExporter spans = InMemorySpanExporter.create();
    EntityTestbed bed = new EntityTestbed(kit, "traces-1", NODE_A, NODE_B);
    try (Tracing tracing = Tracing.withProcessor(SimpleSpanProcessor.create(spans))) {
      bed.tracing = tracing;
      bed.create(bed.spec(shell(), null, null, null));
      bed.advance(TICK);
      ExecutorNode.Run first = bed.handedTo(bed.executor(NODE_A));
      bed.report(new ExecutorNode.Refused(first.token(), NODE_A, "at capacity (4 runs)"));
      ExecutorNode.Run second = bed.handedTo(bed.executor(NODE_B));

      List<SpanData> all = spans.getFinishedSpanItems();
      SpanData tick = named(all, "distcron.tick").get(0);
      List<SpanData> handOffs = named(all, "distcron.handoff");
      assertThat(handOffs).hasSize(2);
      assertThat(handOffs)
          .allSatisfy(
              h -> {
                assertThat(h.getTraceId()).isEqualTo(tick.getTraceId());
                assertThat(h.getParentSpanId()).isEqualTo(tick.getSpanId());
              });
      assertThat(handOffs).extracting(h -> h.getAttributes().get(EPOCH)).containsExactly(1L, 2L);
      assertThat(handOffs)
          .extracting(h -> h.getAttributes().get(NODE))
          .containsExactly(NODE_A, NODE_B);
      assertThat(first.traceparent()).isEqualTo(traceparent(handOffs.get(0)));
      assertThat(second.traceparent()).isEqualTo(traceparent(handOffs.get(1)));
    } finally {
      bed.close();
    }
  }

  private static List<SpanData> named(List<SpanData> all, String name) {
    return all.stream().filter(s -> s.getName().equals(name)).toList();
  }

  private static String traceparent(SpanData span) {
    return "00-" + span.getTraceId() + "-" + span.getSpanId() + "-01";
  }
}
