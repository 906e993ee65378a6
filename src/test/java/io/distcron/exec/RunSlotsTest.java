package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.Action;
import io.distcron.run.RunReason;
import io.distcron.run.RunToken;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The executor's fencing rules: each token starts at most once, and "not here" stays true. */
class RunSlotsTest {
  private final RunSlots slots = new RunSlots();

  private static ExecutorNode.Run run(String id, int epoch) {
    return new ExecutorNode.Run(
        new RunToken(id, epoch),
        7,
        "job",
        Instant.parse("2026-01-01T00:00:00Z"),
        1,
        RunReason.SCHEDULE,
        new Action.Noop(),
        60,
        null);
  }

  @Test
  void aHandOffIsAcceptedOnceAndItsDuplicateOnlyReportsAgain() {
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Accept.class);
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Again.class);
    assertThat(slots.live()).isEqualTo(1);
  }

  @Test
  void aCheckOfAnUnknownTokenFencesIt_soTheHandOffArrivingLateIsRefused() {
    assertThat(slots.lookUp(new RunToken("r", 1))).isEmpty();
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Refuse.class);
  }

  @Test
  void aKillOrCheckOfAnOlderEpochDoesNotFenceTheNewerOne() {
    assertThat(slots.lookUp(new RunToken("r", 1))).isEmpty();
    assertThat(slots.admit(run("r", 2), null, 4)).isInstanceOf(RunSlots.Accept.class);
  }

  @Test
  void aRefusalIsFinal_evenOnceTheNodeCouldStartRunsAgain() {
    assertThat(slots.admit(run("r", 1), "no lease", 4)).isInstanceOf(RunSlots.Refuse.class);
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Refuse.class);
    assertThat(slots.live()).isZero();
  }

  @Test
  void aRunWhoseEndWasAcknowledgedNeverStartsAgain() {
    var accepted = (RunSlots.Accept) slots.admit(run("r", 1), null, 4);
    accepted.slot().phase = RunSlots.Phase.ENDED;
    slots.acknowledgeEnd(new RunToken("r", 1));
    assertThat(slots.isEmpty()).isTrue();
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Refuse.class);
  }

  @Test
  void anEndIsForgottenOnlyOnceItHasEnded() {
    slots.admit(run("r", 1), null, 4);
    slots.acknowledgeEnd(new RunToken("r", 1));
    assertThat(slots.get("r")).isPresent();
  }

  @Test
  void aStaleHandOffIsRefusedAndANewerOneKillsTheOlderExecution() {
    slots.admit(run("r", 2), null, 4);
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Refuse.class);
    var newer = (RunSlots.Refuse) slots.admit(run("r", 3), null, 4);
    assertThat(newer.older()).isPresent();
    assertThat(newer.older().get().token()).isEqualTo(new RunToken("r", 2));
  }

  @Test
  void aFullNodeRefusesAndFencesTheToken() {
    slots.admit(run("a", 1), null, 1);
    assertThat(slots.admit(run("b", 1), null, 1)).isInstanceOf(RunSlots.Refuse.class);
    slots.get("a").get().phase = RunSlots.Phase.ENDED;
    slots.acknowledgeEnd(new RunToken("a", 1));
    assertThat(slots.admit(run("b", 1), null, 1)).isInstanceOf(RunSlots.Refuse.class);
  }

  @Test
  void aWithdrawnStartIsFenced() {
    slots.admit(run("r", 1), null, 4);
    slots.withdraw(new RunToken("r", 1));
    assertThat(slots.isEmpty()).isTrue();
    assertThat(slots.admit(run("r", 1), null, 4)).isInstanceOf(RunSlots.Refuse.class);
  }
}
