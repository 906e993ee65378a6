package io.distcron.schedule;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What happens to the ticks a job missed while it was not running (node restart, failover, a
 * database outage). Every missed tick gets a decision, so none is lost silently: fired with reason
 * CATCHUP, or recorded as a SKIPPED run that says why.
 *
 * <p>{@code ALL} fires the missed ticks inside {@code window}, oldest first; if there are more than
 * {@code maxRuns}, the newest {@code maxRuns} fire and the older ones are skipped — the most recent
 * work is the most likely still to matter. {@code LATEST} fires only the newest tick in the window.
 * {@code NONE} skips them all.
 */
public record CatchUpPolicy(Mode policy, Duration window, int maxRuns) {

  public enum Mode {
    ALL,
    LATEST,
    NONE
  }

  public static final CatchUpPolicy DEFAULT = new CatchUpPolicy(Mode.ALL, Duration.ofHours(1), 100);

  public CatchUpPolicy {
    policy = policy == null ? DEFAULT.policy() : policy;
    window = window == null ? DEFAULT.window() : window;
    maxRuns = maxRuns <= 0 ? DEFAULT.maxRuns() : maxRuns;
  }

  /** A missed tick's fate: {@code skipReason} is null for a tick that fires. */
  public record Decision(Instant tick, String skipReason) {
    public boolean fires() {
      return skipReason == null;
    }
  }

  /** Decides every tick of {@code missed} (ascending, all at or before {@code now}). */
  public List<Decision> plan(List<Instant> missed, Instant now) {
    Instant windowStart = now.minus(window);
    List<Instant> inWindow = missed.stream().filter(t -> !t.isBefore(windowStart)).toList();
    int firing =
        switch (policy) {
          case ALL -> Math.min(maxRuns, inWindow.size());
          case LATEST -> Math.min(1, inWindow.size());
          case NONE -> 0;
        };
    List<Instant> fire = inWindow.subList(inWindow.size() - firing, inWindow.size());
    String notFired =
        switch (policy) {
          case ALL -> "catch-up: more than maxRuns (" + maxRuns + ") ticks were missed";
          case LATEST -> "catch-up: only the latest missed tick runs";
          case NONE -> "catch-up: policy NONE";
        };
    List<Decision> decisions = new ArrayList<>(missed.size());
    for (Instant t : missed) {
      if (t.isBefore(windowStart)) {
        decisions.add(new Decision(t, "catch-up: missed by more than the window (" + window + ")"));
      } else if (fire.contains(t)) {
        decisions.add(new Decision(t, null));
      } else {
        decisions.add(new Decision(t, notFired));
      }
    }
    return decisions;
  }
}
