package io.distcron.alert;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The alert decisions, without a database or an actor. */
class AlertRulesTest {
  private static final Instant TICK = Instant.parse("2027-03-01T06:00:00Z");
  private static final NotifyRule OPS =
      new NotifyRule("ops", List.of(AlertKind.FAILED, AlertKind.RECOVERED, AlertKind.MISSED), null);
  private static final NotifyRule LATE =
      new NotifyRule("pager", List.of(AlertKind.LATE, AlertKind.LOST), Duration.ofMinutes(5));

  private static RunRecord run(
      RunStatus status, RunReason reason, int attempt, Instant startedAt, Duration jitter) {
    return new RunRecord(
        "r1", "job", TICK, TICK, startedAt, null, "node-a", attempt, reason, status, 1, "exit 1",
        null, jitter);
  }

  private static AlertRules.Decision ended(RunStatus status, boolean failing) {
    return AlertRules.decide(
        run(status, RunReason.SCHEDULE, 2, TICK, null),
        AlertRules.Phase.ENDED,
        failing,
        List.of(OPS, LATE),
        TICK);
  }

  @Test
  void aFailureAlertsTheChannelsThatTakeItWithAKeyOfTheOccurrence() {
    AlertRules.Decision d = ended(RunStatus.FAILED, false);
    assertThat(d.failing()).isTrue();
    assertThat(d.deliveries()).extracting(AlertRules.Delivery::channel).containsExactly("ops");
    Alert a = d.deliveries().get(0).alert();
    assertThat(a.key()).isEqualTo("job|r1|2|FAILED");
    assertThat(a.kind()).isEqualTo("FAILED");
    assertThat(a.attempt()).isEqualTo(2);
    assertThat(a.node()).isEqualTo("node-a");
    assertThat(a.tick()).isEqualTo(TICK);
    // Deciding again gives the same key: a replayed batch cannot make a second alert.
    assertThat(ended(RunStatus.FAILED, false).deliveries().get(0).alert()).isEqualTo(a);

    assertThat(ended(RunStatus.LOST, false).deliveries())
        .extracting(AlertRules.Delivery::channel)
        .containsExactly("pager");
    assertThat(ended(RunStatus.TIMED_OUT, false).deliveries()).isEmpty();
    assertThat(ended(RunStatus.TIMED_OUT, false).failing()).isTrue();
  }

  @Test
  void recoveredIsTheFirstSuccessAfterAFailureOnly() {
    AlertRules.Decision recovered = ended(RunStatus.SUCCEEDED, true);
    assertThat(recovered.failing()).isFalse();
    assertThat(recovered.deliveries()).hasSize(1);
    assertThat(recovered.deliveries().get(0).alert().kind()).isEqualTo("RECOVERED");

    AlertRules.Decision again = ended(RunStatus.SUCCEEDED, false);
    assertThat(again.deliveries()).isEmpty();
    assertThat(again.failing()).isFalse();

    // A killed run says nothing about the job's health either way.
    assertThat(ended(RunStatus.KILLED, true).failing()).isTrue();
    assertThat(ended(RunStatus.KILLED, false).failing()).isFalse();
    assertThat(ended(RunStatus.KILLED, true).deliveries()).isEmpty();
  }

  @Test
  void aSkippedTickIsMissed() {
    AlertRules.Decision d = ended(RunStatus.SKIPPED, true);
    assertThat(d.deliveries()).extracting(r -> r.alert().kind()).containsExactly("MISSED");
    assertThat(d.failing()).isTrue();
  }

  @Test
  void lateCountsFromTheTickWithoutTheJobsOwnJitter() {
    Instant sixLate = TICK.plus(Duration.ofMinutes(6));
    assertThat(started(run(RunStatus.RUNNING, RunReason.SCHEDULE, 1, sixLate, null)))
        .extracting(AlertRules.Delivery::channel)
        .containsExactly("pager");
    assertThat(
            started(run(RunStatus.RUNNING, RunReason.SCHEDULE, 1, sixLate, Duration.ofMinutes(2))))
        .isEmpty();
    assertThat(started(run(RunStatus.RUNNING, RunReason.CATCHUP, 1, sixLate, null))).hasSize(1);
    assertThat(
            started(
                run(
                    RunStatus.RUNNING,
                    RunReason.SCHEDULE,
                    1,
                    TICK.plus(Duration.ofMinutes(5)),
                    null)))
        .isEmpty();
    // A manual run or a retry has no tick to be late for.
    assertThat(started(run(RunStatus.RUNNING, RunReason.MANUAL, 1, sixLate, null))).isEmpty();
    assertThat(started(run(RunStatus.RUNNING, RunReason.RETRY, 2, sixLate, null))).isEmpty();
    Alert late =
        started(run(RunStatus.RUNNING, RunReason.SCHEDULE, 1, sixLate, null)).get(0).alert();
    assertThat(late.key()).isEqualTo("job|r1|1|LATE");
  }

  private static List<AlertRules.Delivery> started(RunRecord run) {
    AlertRules.Decision d =
        AlertRules.decide(run, AlertRules.Phase.STARTED, true, List.of(OPS, LATE), TICK);
    assertThat(d.failing()).as("a start leaves the job's health").isTrue();
    return d.deliveries();
  }

  @Test
  void theDefaultRuleAppliesUnlessTheJobNamesItsChannel() {
    NotifyRule fallback = new NotifyRule("ops", List.of(AlertKind.LOST), null);
    assertThat(AlertRules.effective(List.of(LATE), fallback)).containsExactly(LATE, fallback);
    assertThat(AlertRules.effective(List.of(OPS), fallback)).containsExactly(OPS);
    assertThat(AlertRules.effective(List.of(OPS), null)).containsExactly(OPS);
  }
}
