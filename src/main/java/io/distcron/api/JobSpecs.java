package io.distcron.api;

import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import io.distcron.run.Action;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.InvalidScheduleException;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.stream.Stream;

/** Turns a client's job into a valid {@link JobSpec}, or an {@link ApiError} naming the field. */
final class JobSpecs {
  private static final int MAX_DESCRIPTION = 2000;
  private static final int MAX_LABELS = 64;
  private static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
  private static final int MAX_CATCHUP_RUNS = 1000;
  private static final int MAX_ATTEMPTS = 100;
  private static final List<String> METHODS =
      List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

  private JobSpecs() {}

  /** {@code pathName} is the name in the URL of a PUT (null for a POST). */
  static JobSpec toSpec(Dtos.JobRequest r, String pathName) {
    String name = r.name() != null ? r.name() : pathName;
    if (name == null || name.isBlank()) throw ApiError.badRequest("name", "name is required");
    if (pathName != null && !pathName.equals(name)) {
      throw ApiError.badRequest(
          "name", "name '" + name + "' does not match the URL's '" + pathName + "'");
    }
    checkName(name);
    if (r.description() != null && r.description().length() > MAX_DESCRIPTION) {
      throw ApiError.badRequest("description", "description is longer than " + MAX_DESCRIPTION);
    }
    checkLabels(r.labels());
    if (r.schedule() == null || r.schedule().isBlank()) {
      throw ApiError.badRequest("schedule", "schedule is required");
    }
    String zone = r.timezone() == null || r.timezone().isBlank() ? "UTC" : r.timezone();
    try {
      CronSchedule.parse(r.schedule(), zone);
    } catch (InvalidScheduleException e) {
      throw ApiError.badRequest(e.field(), e.getMessage());
    }
    int timeout = r.timeoutSeconds() == null ? JobSpec.DEFAULT_TIMEOUT_SECONDS : r.timeoutSeconds();
    if (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw ApiError.badRequest(
          "timeoutSeconds", "timeoutSeconds must be between 1 and " + MAX_TIMEOUT_SECONDS);
    }
    return new JobSpec(
        name,
        r.description(),
        r.labels(),
        r.schedule().trim(),
        zone,
        action(r),
        timeout,
        r.enabled() == null || r.enabled(),
        overlap(r.overlap()),
        catchUp(r.catchUp()),
        retry(r.retry()));
  }

  private static OverlapPolicy overlap(String overlap) {
    return overlap == null ? null : enumValue(OverlapPolicy.class, overlap, "overlap");
  }

  private static CatchUpPolicy catchUp(Dtos.CatchUpDto c) {
    if (c == null) return null;
    CatchUpPolicy.Mode mode =
        c.policy() == null
            ? null
            : enumValue(CatchUpPolicy.Mode.class, c.policy(), "catchUp.policy");
    Duration window = c.window() == null ? null : positive(c.window(), "catchUp.window");
    if (c.maxRuns() != null && (c.maxRuns() < 1 || c.maxRuns() > MAX_CATCHUP_RUNS)) {
      throw ApiError.badRequest(
          "catchUp.maxRuns", "catchUp.maxRuns must be from 1 to " + MAX_CATCHUP_RUNS);
    }
    return new CatchUpPolicy(mode, window, c.maxRuns() == null ? 0 : c.maxRuns());
  }

  private static RetryPolicy retry(Dtos.RetryDto r) {
    if (r == null) return null;
    if (r.maxAttempts() != null && (r.maxAttempts() < 1 || r.maxAttempts() > MAX_ATTEMPTS)) {
      throw ApiError.badRequest(
          "retry.maxAttempts", "retry.maxAttempts must be from 1 to " + MAX_ATTEMPTS);
    }
    if (r.multiplier() != null && (r.multiplier() < 1.0 || r.multiplier() > 10.0)) {
      throw ApiError.badRequest("retry.multiplier", "retry.multiplier must be from 1.0 to 10.0");
    }
    return new RetryPolicy(
        r.maxAttempts() == null ? 1 : r.maxAttempts(),
        r.backoff() == null ? null : positive(r.backoff(), "retry.backoff"),
        r.multiplier() == null ? 0 : r.multiplier(),
        r.maxBackoff() == null ? null : positive(r.maxBackoff(), "retry.maxBackoff"));
  }

  private static Duration positive(String iso, String field) {
    try {
      Duration d = Duration.parse(iso);
      if (!d.isNegative() && !d.isZero()) return d;
    } catch (DateTimeParseException e) {
      // falls through to the error below
    }
    throw ApiError.badRequest(field, field + " must be a positive ISO-8601 duration such as PT10S");
  }

  private static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(
          field, field + " must be one of " + Arrays.toString(type.getEnumConstants()));
    }
  }

  static void checkName(String name) {
    if (!JobSpec.NAME.matcher(name).matches()) {
      throw ApiError.badRequest(
          "name",
          "name must match [a-z0-9][a-z0-9._-]{0,99}: lower-case letters, digits, '.', '_', '-'");
    }
  }

  private static void checkLabels(Map<String, String> labels) {
    if (labels == null) return;
    if (labels.size() > MAX_LABELS) {
      throw ApiError.badRequest("labels", "at most " + MAX_LABELS + " labels");
    }
    labels.forEach(
        (k, v) -> {
          if (k.isBlank() || k.length() > 100 || k.contains("=")) {
            throw ApiError.badRequest(
                "labels", "label key '" + k + "' must be 1-100 characters without '='");
          }
          if (v == null || v.length() > 200) {
            throw ApiError.badRequest(
                "labels." + k, "label value must be a string of at most 200 characters");
          }
        });
  }

  private static Action action(Dtos.JobRequest r) {
    long actions = Stream.of(r.shell(), r.http(), r.noop()).filter(Objects::nonNull).count();
    if (actions > 1) {
      throw ApiError.badRequest("action", "give exactly one action: shell, http or noop");
    }
    if (actions == 0) {
      throw ApiError.badRequest("action", "an action is required: shell, http or noop");
    }
    if (r.noop() != null) return new Action.Noop();
    if (r.http() != null) return http(r.http());
    if (r.shell().command() == null || r.shell().command().isBlank()) {
      throw ApiError.badRequest("shell.command", "shell.command is required");
    }
    return new Action.Shell(r.shell().command(), r.shell().env(), r.shell().workingDir());
  }

  private static Action.Http http(Dtos.HttpDto h) {
    if (h.url() == null || h.url().isBlank())
      throw ApiError.badRequest("http.url", "http.url is required");
    try {
      URI uri = new URI(h.url());
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw ApiError.badRequest(
            "http.url", "http.url must be an absolute http:// or https:// URL");
      }
    } catch (URISyntaxException e) {
      throw ApiError.badRequest("http.url", "http.url is not a valid URL: " + e.getReason());
    }
    String method = h.method() == null ? "GET" : h.method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw ApiError.badRequest("http.method", "http.method must be one of " + METHODS);
    }
    if (h.timeoutSeconds() != null
        && (h.timeoutSeconds() < 1 || h.timeoutSeconds() > MAX_TIMEOUT_SECONDS)) {
      throw ApiError.badRequest(
          "http.timeoutSeconds", "http.timeoutSeconds must be from 1 to " + MAX_TIMEOUT_SECONDS);
    }
    if (h.expectStatus() != null
        && h.expectStatus().stream().anyMatch(c -> c == null || c < 100 || c > 599)) {
      throw ApiError.badRequest(
          "http.expectStatus", "http.expectStatus must hold HTTP status codes (100-599)");
    }
    return new Action.Http(
        method, h.url(), h.headers(), h.body(), h.timeoutSeconds(), h.expectStatus());
  }

  /** The wire form of a spec, as the API shows it back. */
  static Dtos.JobDto toDto(
      JobSpec s, JobEntity.JobView view, String description, Dtos.RunDto lastRun) {
    Dtos.ShellDto shell = null;
    Dtos.HttpDto http = null;
    Dtos.NoopDto noop = null;
    if (s.action() instanceof Action.Shell sh) {
      shell = new Dtos.ShellDto(sh.command(), sh.env(), sh.workingDir());
    } else if (s.action() instanceof Action.Http h) {
      http =
          new Dtos.HttpDto(
              h.method(), h.url(), h.headers(), h.body(), h.timeoutSeconds(), h.expectStatus());
    } else {
      noop = new Dtos.NoopDto();
    }
    CatchUpPolicy c = s.catchUp();
    RetryPolicy r = s.retry();
    return new Dtos.JobDto(
        s.name(),
        s.description(),
        s.labels(),
        s.schedule(),
        description,
        s.timezone(),
        shell,
        http,
        noop,
        s.timeoutSeconds(),
        s.enabled(),
        s.overlap().name(),
        new Dtos.CatchUpDto(c.policy().name(), c.window().toString(), c.maxRuns()),
        new Dtos.RetryDto(
            r.maxAttempts(), r.backoff().toString(), r.multiplier(), r.maxBackoff().toString()),
        view.paused() ? "PAUSED" : "ACTIVE",
        view.nextFireTimes(),
        view.lastScheduled(),
        lastRun);
  }
}
