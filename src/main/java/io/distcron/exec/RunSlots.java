package io.distcron.exec;

import io.distcron.run.RunOutcome;
import io.distcron.run.RunToken;
import io.opentelemetry.api.trace.Span;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * An executor's memory of the runs handed to it: the fencing rules, with no actors in them.
 *
 * <p>Each run id gets one decision per epoch, made once and kept: started here, or fenced (refused,
 * never to start). A hand-off, a check or a kill of a token this node has not started fences it, so
 * a hand-off that arrives late — after its job asked about it and was told no — is refused too. A
 * run that ended and whose end its job acknowledged is fenced as well, so a duplicate of its
 * hand-off cannot start it again. Fences are kept for the newest {@link #MAX_FENCES} runs: a
 * message that lingers longer than that many later runs is not a network delay but a frozen node,
 * and a frozen node refuses everything until its lease is back.
 */
final class RunSlots {
  static final int MAX_FENCES = 100_000;

  enum Phase {
    STARTING,
    RUNNING,
    ENDED
  }

  /** One run this node accepted. Mutable; owned by the executor actor. */
  static final class Slot {
    final ExecutorNode.Run run;
    Phase phase = Phase.STARTING;
    Instant startedAt;
    boolean startAcked;
    boolean killRequested;

    /** Set when the node gives the run up (drain over, node downed): it ends LOST. */
    String abandonedWhy;

    RunOutcome outcome;
    Instant endedAt;
    Launch launch;

    /** The execution's span; the invalid span when tracing is off. */
    Span span = Span.getInvalid();

    Slot(ExecutorNode.Run run) {
      this.run = run;
    }

    RunToken token() {
      return run.token();
    }

    boolean live() {
      return phase != Phase.ENDED;
    }
  }

  /** What to do with a hand-off. */
  sealed interface Admission {}

  record Accept(Slot slot) implements Admission {}

  /** The same token again: its state is reported again, nothing starts. */
  record Again(Slot slot) implements Admission {}

  /** {@code older}: a slot of an earlier epoch still here, to be killed. */
  record Refuse(String why, Optional<Slot> older) implements Admission {}

  private final Map<String, Slot> slots = new HashMap<>();
  private final Map<String, Integer> fenced =
      new LinkedHashMap<>() {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Integer> eldest) {
          return size() > MAX_FENCES;
        }
      };

  /**
   * Decides a hand-off. {@code whyNot} non-null: this node may not start anything now (no lease,
   * not Up, draining); the token is fenced and refused with that reason.
   */
  Admission admit(ExecutorNode.Run run, String whyNot, int capacity) {
    RunToken token = run.token();
    Slot slot = slots.get(token.runId());
    if (slot != null) {
      if (slot.token().epoch() == token.epoch()) return new Again(slot);
      if (slot.token().epoch() > token.epoch()) {
        return new Refuse(
            "stale hand-off " + token + ": " + slot.token() + " is here", Optional.empty());
      }
      fence(token);
      return new Refuse(
          "an earlier hand-off " + slot.token() + " is still here; it is being killed",
          Optional.of(slot));
    }
    Integer fencedEpoch = fenced.get(token.runId());
    if (fencedEpoch != null && fencedEpoch >= token.epoch()) {
      return new Refuse(
          "hand-off " + token + " was already refused or finished here", Optional.empty());
    }
    if (whyNot != null) {
      fence(token);
      return new Refuse(whyNot, Optional.empty());
    }
    if (live() >= capacity) {
      fence(token);
      return new Refuse("at capacity (" + capacity + " runs)", Optional.empty());
    }
    Slot accepted = new Slot(run);
    slots.put(token.runId(), accepted);
    return new Accept(accepted);
  }

  /**
   * The slot a check or kill is about, if this node has it under that token; otherwise the token is
   * fenced, so the answer "not here" stays true.
   */
  Optional<Slot> lookUp(RunToken token) {
    Slot slot = slots.get(token.runId());
    if (slot != null && slot.token().epoch() == token.epoch()) return Optional.of(slot);
    if (slot == null || slot.token().epoch() < token.epoch()) fence(token);
    return Optional.empty();
  }

  /** The job has the run's end: forget it, but never start its token again. */
  void acknowledgeEnd(RunToken token) {
    Slot slot = slots.get(token.runId());
    if (slot != null && slot.token().equals(token) && slot.phase == Phase.ENDED) {
      slots.remove(token.runId());
      fence(token);
    }
  }

  /** A run accepted but given up before it started: it never will. */
  void withdraw(RunToken token) {
    Slot slot = slots.get(token.runId());
    if (slot != null && slot.token().equals(token) && slot.phase == Phase.STARTING) {
      slots.remove(token.runId());
      fence(token);
    }
  }

  Optional<Slot> get(String runId) {
    return Optional.ofNullable(slots.get(runId));
  }

  /** Runs accepted and not yet ended. */
  int live() {
    return (int) slots.values().stream().filter(Slot::live).count();
  }

  boolean isEmpty() {
    return slots.isEmpty();
  }

  List<Slot> all() {
    return new ArrayList<>(slots.values());
  }

  private void fence(RunToken token) {
    fenced.merge(token.runId(), token.epoch(), Math::max);
  }
}
