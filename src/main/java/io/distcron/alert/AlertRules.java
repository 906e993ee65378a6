package io.distcron.alert;

import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Which alerts a fact about a run raises, and to which channels: pure, so the projection only
 * writes what it returns. The idempotency key is derived from the occurrence (job, run, attempt,
 * kind) and nothing else, so deciding again — a projection replaying a batch — gives the same key.
 */
public final class AlertRules {
  private AlertRules() {}

  /** The run started (LATE is decided here), or ended (every other kind). */
  public enum Phase {
    STARTED,
    ENDED
  }

  /** {@code failing}: whether the job's last ended run failed, after this fact. */
  public record Decision(List<Delivery> deliveries, boolean failing) {}

  public record Delivery(String channel, Alert alert) {}

  /**
   * {@code run}: the run's row as the read side has it after the fact; {@code failing}: before it;
   * {@code at}: when the fact was recorded.
   */
  public static Decision decide(
      RunRecord run, Phase phase, boolean failing, List<NotifyRule> rules, Instant at) {
    List<Delivery> out = new ArrayList<>();
    if (phase == Phase.STARTED) {
      Duration late = lateness(run);
      if (late == null) return new Decision(List.of(), failing);
      Alert alert = alert(run, AlertKind.LATE, "started " + late + " after its tick", at);
      rules.stream()
          .filter(r -> r.on().contains(AlertKind.LATE) && late.compareTo(threshold(r)) > 0)
          .map(NotifyRule::channel)
          .distinct()
          .forEach(channel -> out.add(new Delivery(channel, alert)));
      return new Decision(out, failing);
    }
    RunStatus status = run.status();
    AlertKind kind = null;
    if (status == RunStatus.FAILED || status == RunStatus.TIMED_OUT || status == RunStatus.LOST) {
      kind = AlertKind.valueOf(status.name());
    } else if (status == RunStatus.SUCCEEDED && failing) {
      kind = AlertKind.RECOVERED;
    } else if (status == RunStatus.SKIPPED) {
      kind = AlertKind.MISSED;
    }
    if (kind != null) {
      Alert alert = alert(run, kind, run.message(), at);
      for (String channel : channelsFor(rules, kind)) out.add(new Delivery(channel, alert));
    }
    return new Decision(out, failingAfter(status, failing));
  }

  /** Whether a job is failing after a run of it ended with {@code status}. */
  public static boolean failingAfter(RunStatus status, boolean failing) {
    if (status == RunStatus.FAILED || status == RunStatus.TIMED_OUT || status == RunStatus.LOST) {
      return true;
    }
    return status != RunStatus.SUCCEEDED && failing;
  }

  /**
   * A job's own rules, and the cluster's default rule ({@code fallback}, may be null) for a channel
   * the job names no rule for.
   */
  public static List<NotifyRule> effective(List<NotifyRule> own, NotifyRule fallback) {
    if (fallback == null || own.stream().anyMatch(r -> r.channel().equals(fallback.channel()))) {
      return own;
    }
    List<NotifyRule> all = new ArrayList<>(own);
    all.add(fallback);
    return all;
  }

  public static String key(String job, String runId, int attempt, String kind) {
    return job + "|" + runId + "|" + attempt + "|" + kind;
  }

  /**
   * How much later than its tick (and its share of the jitter) a scheduled run started; null for a
   * run no tick set the time of (manual, retry).
   */
  static Duration lateness(RunRecord run) {
    if (run.startedAt() == null || run.scheduledAt() == null) return null;
    if (run.reason() != RunReason.SCHEDULE && run.reason() != RunReason.CATCHUP) return null;
    Duration delay = Duration.between(run.scheduledAt(), run.startedAt());
    return run.jitter() == null ? delay : delay.minus(run.jitter());
  }

  private static Duration threshold(NotifyRule r) {
    return r.lateAfter() == null ? NotifyRule.DEFAULT_LATE : r.lateAfter();
  }

  private static List<String> channelsFor(List<NotifyRule> rules, AlertKind kind) {
    return rules.stream()
        .filter(r -> r.on().contains(kind))
        .map(NotifyRule::channel)
        .distinct()
        .toList();
  }

  private static Alert alert(RunRecord run, AlertKind kind, String message, Instant at) {
    return new Alert(
        key(run.job(), run.id(), run.attempt(), kind.name()),
        kind.name(),
        run.job(),
        run.id(),
        run.scheduledAt(),
        run.attempt(),
        run.node(),
        run.status().name(),
        message,
        at);
  }
}
