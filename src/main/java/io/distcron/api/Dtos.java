package io.distcron.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.run.RunRecord;
import io.distcron.store.RunStats;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** The wire format of the HTTP API. Entities never see these. */
public final class Dtos {
  private Dtos() {}

  /** A job as clients send it: every field optional here, checked by {@link JobSpecs}. */
  public record JobRequest(
      String name,
      String description,
      Map<String, String> labels,
      String schedule,
      String timezone,
      ShellDto shell,
      HttpDto http,
      NoopDto noop,
      Integer timeoutSeconds,
      Boolean enabled,
      String overlap,
      CatchUpDto catchUp,
      RetryDto retry,
      String jitter,
      String startAt,
      String endAt,
      TargetDto target,
      @JsonProperty("notify") List<NotifyDto> notifyRules,
      List<String> excludeCalendars,
      // What a job's GET shows but a write does not take: accepted and ignored, so that a job as
      // listed can be sent back as it is (jobs as code: export, then apply).
      JsonNode scheduleDescription,
      JsonNode status,
      JsonNode nextFireTimes,
      JsonNode lastScheduled,
      JsonNode lastRun,
      JsonNode managedBy,
      JsonNode stats,
      JsonNode backfill) {}

  public record ShellDto(
      String command,
      Map<String, String> env,
      String workingDir,
      @JsonInclude(JsonInclude.Include.NON_NULL) String user) {}

  public record HttpDto(
      String method,
      String url,
      Map<String, String> headers,
      String body,
      Integer timeoutSeconds,
      List<Integer> expectStatus) {}

  public record NoopDto() {}

  /** {@code window} is an ISO-8601 duration, e.g. {@code PT1H}. */
  public record CatchUpDto(String policy, String window, Integer maxRuns) {}

  /** Durations are ISO-8601, e.g. {@code PT10S}. */
  public record RetryDto(
      Integer maxAttempts, String backoff, Double multiplier, String maxBackoff) {}

  /** {@code mode}: {@code ANY} (the default), the least-loaded matching executor per run. */
  public record TargetDto(Map<String, String> nodeSelector, String mode) {}

  /**
   * An alert rule: {@code on} lists alert kinds; {@code lateAfter} (ISO-8601, with LATE) how late a
   * run may start.
   */
  public record NotifyDto(
      String channel,
      List<String> on,
      @JsonInclude(JsonInclude.Include.NON_NULL) String lateAfter) {}

  public record JobDto(
      String name,
      String description,
      Map<String, String> labels,
      String schedule,
      String scheduleDescription,
      String timezone,
      @JsonInclude(JsonInclude.Include.NON_NULL) ShellDto shell,
      @JsonInclude(JsonInclude.Include.NON_NULL) HttpDto http,
      @JsonInclude(JsonInclude.Include.NON_NULL) NoopDto noop,
      int timeoutSeconds,
      boolean enabled,
      String overlap,
      CatchUpDto catchUp,
      RetryDto retry,
      @JsonInclude(JsonInclude.Include.NON_NULL) String jitter,
      @JsonInclude(JsonInclude.Include.NON_NULL) Instant startAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) Instant endAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) TargetDto target,
      @JsonProperty("notify") @JsonInclude(JsonInclude.Include.NON_EMPTY)
          List<NotifyDto> notifyRules,
      @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> excludeCalendars,
      @JsonInclude(JsonInclude.Include.NON_NULL) String managedBy,
      String status,
      List<Instant> nextFireTimes,
      Instant lastScheduled,
      RunDto lastRun,
      @JsonInclude(JsonInclude.Include.NON_NULL) JobStats stats,
      @JsonInclude(JsonInclude.Include.NON_NULL) BackfillDto backfill) {}

  /**
   * A job's runs of the last {@code window} (ticks since {@code since}), on a job's own GET only.
   * Lateness in milliseconds: how long after its tick plus its jitter a tick's first run started;
   * null when none did.
   */
  public record JobStats(
      String window,
      Instant since,
      long runs,
      long succeeded,
      long failed,
      long unfinished,
      long skipped,
      Long latenessP50Ms,
      Long latenessP99Ms,
      Long latenessMaxMs,
      Long meanDurationMs) {

    static JobStats of(Duration window, RunStats s) {
      return new JobStats(
          window.toString(),
          s.since(),
          s.runs(),
          s.succeeded(),
          s.failed(),
          s.unfinished(),
          s.skipped(),
          s.latenessP50Ms(),
          s.latenessP99Ms(),
          s.latenessMaxMs(),
          s.meanDurationMs());
    }
  }

  /**
   * The job's latest backfill: {@code decided} of {@code ticks} are run or skipped; {@code going}
   * until all are and the latest has ended.
   */
  public record BackfillDto(
      Instant from, Instant to, String overlap, int ticks, int decided, boolean going) {}

  /** {@code POST /api/v1/jobs/{name}/backfill}: ISO-8601 instants; overlap defaults to QUEUE. */
  public record BackfillRequest(String from, String to, String overlap) {}

  /** {@code leftOut}: ticks in the range the live schedule or an earlier backfill owns. */
  public record BackfillAccepted(
      Instant from, Instant to, String overlap, int ticks, int leftOut) {}

  public record BackfillCancelled(int cancelled) {}

  public record RunDto(
      String id,
      String job,
      Instant scheduledAt,
      Instant firedAt,
      Instant startedAt,
      Instant finishedAt,
      Long durationMs,
      String node,
      int attempt,
      String reason,
      @JsonInclude(JsonInclude.Include.NON_NULL) String jitter,
      String status,
      Integer exitCode,
      String message,
      @JsonInclude(JsonInclude.Include.NON_NULL) String outputTail) {

    static RunDto of(RunRecord r, boolean withOutput) {
      Long duration =
          r.startedAt() != null && r.finishedAt() != null
              ? Duration.between(r.startedAt(), r.finishedAt()).toMillis()
              : null;
      return new RunDto(
          r.id(),
          r.job(),
          r.scheduledAt(),
          r.firedAt(),
          r.startedAt(),
          r.finishedAt(),
          duration,
          r.node(),
          r.attempt(),
          r.reason() == null ? null : r.reason().name(),
          r.jitter() == null ? null : r.jitter().toString(),
          r.status().name(),
          r.exitCode(),
          r.message(),
          withOutput ? (r.outputTail() == null ? "" : r.outputTail()) : null);
    }
  }

  public record Page<T>(List<T> items, String next) {}

  public record Items<T>(List<T> items) {}

  /** {@code name}: the job's, for the {@code H} of a schedule to hash. */
  public record PreviewRequest(String schedule, String timezone, Integer count, String name) {}

  public record Preview(List<Instant> next, String description) {}

  public record Triggered(String runId) {}

  public record Killing(String runId) {}

  public record Error(String error, String field) {}

  /** {@code POST /api/v1/apply}: prune and dryRun default to false. */
  public record ApplyRequest(
      List<JobRequest> jobs, String managedBy, Boolean prune, Boolean dryRun) {}

  /**
   * One job of an apply: its outcome, or why it was refused (field and error); for an update, the
   * fields it changed ({@code schedule}, {@code shell.command}).
   */
  public record ApplyItem(
      String name,
      String outcome,
      @JsonInclude(JsonInclude.Include.NON_NULL) String field,
      @JsonInclude(JsonInclude.Include.NON_NULL) String error,
      @JsonInclude(JsonInclude.Include.NON_NULL) List<String> changed) {}

  /** An apply's answer; error and field as in {@link Error} when it was refused. */
  public record ApplyResult(
      @JsonInclude(JsonInclude.Include.NON_NULL) String error,
      @JsonInclude(JsonInclude.Include.NON_NULL) String field,
      String managedBy,
      boolean dryRun,
      Map<String, Integer> summary,
      List<ApplyItem> jobs) {}

  /**
   * A channel as clients send it; {@code secretSet} and {@code health}, shown by GET, are accepted
   * and ignored so a channel can be sent back as it is. A secret left out keeps the stored one.
   */
  public record ChannelRequest(
      String name,
      String type,
      String url,
      String secret,
      EmailDto email,
      JsonNode secretSet,
      JsonNode health) {}

  /** {@code tls}: none, starttls or smtps; {@code password} is never shown. */
  public record EmailDto(
      String host,
      Integer port,
      String tls,
      @JsonInclude(JsonInclude.Include.NON_NULL) String username,
      @JsonInclude(JsonInclude.Include.NON_NULL) String password,
      String from,
      List<String> to) {}

  /** {@code healthy}: fewer failures in a row than the configured limit. */
  public record HealthDto(
      boolean healthy,
      int consecutiveFailures,
      String lastError,
      Instant lastFailureAt,
      Instant lastSuccessAt) {}

  public record ChannelDto(
      String name,
      String type,
      @JsonInclude(JsonInclude.Include.NON_NULL) String url,
      @JsonInclude(JsonInclude.Include.NON_NULL) EmailDto email,
      boolean secretSet,
      HealthDto health) {}

  /** A test send's outcome; {@code key}: the test alert's idempotency key. */
  public record ChannelTest(boolean delivered, String error, String key) {}

  /** Dates are ISO local dates ({@code 2026-12-25}) in the calendar's timezone. */
  public record CalendarRequest(
      String name,
      String description,
      String timezone,
      List<String> dates,
      List<DateRangeDto> ranges,
      String cron) {}

  /** Both ends included. */
  public record DateRangeDto(String from, String to) {}

  public record CalendarDto(
      String name,
      String description,
      String timezone,
      List<String> dates,
      List<DateRangeDto> ranges,
      @JsonInclude(JsonInclude.Include.NON_NULL) String cron) {}

  public record TokenRequest(String name, String role) {}

  /** {@code token} is the secret, shown once when the token is created. */
  public record TokenDto(
      String id,
      String name,
      String role,
      Instant createdAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) String token) {}

  /**
   * A cluster member; the load figures are null for a node that runs nothing (no executor role),
   * and its labels are null when unknown (they come with an executor's load).
   */
  public record NodeDto(
      String address,
      List<String> roles,
      String status,
      boolean self,
      Integer runsInProgress,
      Integer capacity,
      Double cpuLoad,
      Map<String, String> labels) {}
}
