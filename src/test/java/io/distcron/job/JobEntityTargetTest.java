package io.distcron.job;

import static io.distcron.job.EntityTestbed.NODE_A;
import static io.distcron.job.EntityTestbed.NODE_B;
import static io.distcron.job.EntityTestbed.NODE_C;
import static io.distcron.job.EntityTestbed.TICK;
import static io.distcron.job.EntityTestbed.shell;
import static io.distcron.job.EntityTestbed.tick;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.exec.ExecutorNode;
import io.distcron.placement.JobTarget;
import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.run.RunToken;
import io.distcron.schedule.RetryPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A job's target at the entity: runs go only to executors whose labels match, the least loaded of
 * them first; a run no executor matches fails naming the selector and is retried per the policy.
 */
class JobEntityTargetTest {
  private static final JobTarget EU1 = new JobTarget(Map.of("zone", "eu1"), null);

  private static ActorTestKit kit;
  private static int counter;

  private final List<EntityTestbed> beds = new ArrayList<>();

  @BeforeAll
  static void startKit() {
    kit = EntityTestbed.kit();
  }

  @AfterAll
  static void stopKit() {
    kit.shutdownTestKit();
  }

  @AfterEach
  void tearDown() {
    beds.forEach(EntityTestbed::close);
  }

  /** Nodes in order of load: the first is the least loaded. */
  private EntityTestbed bed(String... nodes) {
    EntityTestbed bed = new EntityTestbed(kit, "target-" + (++counter), nodes);
    beds.add(bed);
    return bed;
  }

  @Test
  void aTargetedRunGoesToTheLeastLoadedMatchingExecutorOnly() {
    EntityTestbed bed = bed(NODE_A, NODE_B, NODE_C);
    bed.label(NODE_A, Map.of("zone", "us1"));
    bed.label(NODE_B, Map.of("zone", "eu1", "disk", "hdd"));
    bed.label(NODE_C, Map.of("zone", "eu1", "disk", "ssd"));
    bed.create(EntityTestbed.targeted(bed.spec(shell(), null, null, null), EU1));
    bed.advance(TICK);

    ExecutorNode.Run run = bed.handedTo(bed.executor(NODE_B));
    assertThat(bed.firedEvent(run.token().runId()).node()).isEqualTo(NODE_B);
    bed.executor(NODE_A).idle();
    bed.executor(NODE_C).idle();
  }

  @Test
  void aRefusedRunIsRedirectedOnlyToAnotherMatchingExecutor() {
    EntityTestbed bed = bed(NODE_A, NODE_B, NODE_C);
    bed.label(NODE_B, Map.of("zone", "eu1"));
    bed.label(NODE_C, Map.of("zone", "eu1"));
    bed.create(EntityTestbed.targeted(bed.spec(shell(), null, null, null), EU1));
    bed.advance(TICK);
    ExecutorNode.Run first = bed.handedTo(bed.executor(NODE_B));

    bed.report(new ExecutorNode.Refused(first.token(), NODE_B, "at capacity (4 runs)"));
    ExecutorNode.Run second = bed.handedTo(bed.executor(NODE_C));
    assertThat(second.token()).isEqualTo(new RunToken(first.token().runId(), 2));

    // A is idle but not in eu1: the run fails rather than go there.
    var refused =
        bed.report(new ExecutorNode.Refused(second.token(), NODE_C, "at capacity (4 runs)"));
    assertThat(refused.events())
        .containsExactly(
            new JobEntity.RunFinished(
                first.token().runId(),
                RunStatus.FAILED,
                null,
                "no executor accepted the run; last: at capacity (4 runs)",
                bed.clock.instant()));
    bed.executor(NODE_A).idle();
  }

  @Test
  void aRunNoExecutorMatchesFailsNamingTheSelectorAndIsRetriedWhenOneMatches() {
    EntityTestbed bed = bed(NODE_A);
    bed.label(NODE_A, Map.of("zone", "us1"));
    RetryPolicy retry = new RetryPolicy(2, Duration.ofSeconds(5), 1.0, null);
    bed.create(EntityTestbed.targeted(bed.spec(shell(), null, null, retry), EU1));
    bed.advance(TICK);

    JobEntity.RunFinished failed = bed.awaitEvent(JobEntity.RunFinished.class, f -> true);
    assertThat(failed.status()).isEqualTo(RunStatus.FAILED);
    assertThat(failed.message()).isEqualTo("no executor matches target {zone=eu1}");
    assertThat(bed.firedEvent(failed.runId()).node()).isNull();
    JobEntity.RunQueued queued = bed.awaitEvent(JobEntity.RunQueued.class, q -> q.attempt() == 2);
    assertThat(queued.reason()).isEqualTo(RunReason.RETRY);
    assertThat(queued.scheduledAt()).isEqualTo(tick(1));
    bed.executor(NODE_A).idle();

    // The node comes back into the zone (a pinned host restarted): the retry goes there.
    bed.label(NODE_A, Map.of("zone", "eu1"));
    // Ticks while the retry waits for its backoff are skipped (overlap SKIP), one second at a time.
    for (int s = 1; s < 5; s++) {
      bed.advance(TICK);
      Instant now = bed.clock.instant();
      bed.awaitEvent(JobEntity.TicksSkipped.class, t -> t.ticks().contains(now));
      bed.sync();
    }
    bed.advance(TICK);
    bed.sync();
    ExecutorNode.Run retried = bed.handedTo(bed.executor(NODE_A));
    assertThat(retried.token().runId()).isEqualTo(queued.runId());
    assertThat(retried.attempt()).isEqualTo(2);
    assertThat(retried.scheduledAt()).isEqualTo(tick(1));
  }
}
