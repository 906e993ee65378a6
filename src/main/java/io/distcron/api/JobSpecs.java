package io.distcron.api;

import io.distcron.job.Action;
import io.distcron.job.JobSpec;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.InvalidScheduleException;
import java.util.Map;

/** Turns a client's job into a valid {@link JobSpec}, or an {@link ApiError} naming the field. */
final class JobSpecs {
  private static final int MAX_DESCRIPTION = 2000;
  private static final int MAX_LABELS = 64;
  private static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;

  private JobSpecs() {}

  /** {@code pathName} is the name in the URL of a PUT (null for a POST). */
  static JobSpec toSpec(Dtos.JobRequest r, String pathName) {
    String name = r.name() != null ? r.name() : pathName;
    if (name == null || name.isBlank()) throw ApiError.badRequest("name", "name is required");
    if (pathName != null && !pathName.equals(name)) {
      throw ApiError.badRequest("name", "name '" + name + "' does not match the URL's '" + pathName + "'");
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
        name, r.description(), r.labels(), r.schedule().trim(), zone, action(r), timeout,
        r.enabled() == null || r.enabled());
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
            throw ApiError.badRequest("labels", "label key '" + k + "' must be 1-100 characters without '='");
          }
          if (v == null || v.length() > 200) {
            throw ApiError.badRequest("labels." + k, "label value must be a string of at most 200 characters");
          }
        });
  }

  private static Action action(Dtos.JobRequest r) {
    if (r.shell() != null && r.noop() != null) {
      throw ApiError.badRequest("action", "give exactly one action, shell or noop, not both");
    }
    if (r.noop() != null) return new Action.Noop();
    if (r.shell() == null) {
      throw ApiError.badRequest("action", "an action is required: shell or noop");
    }
    if (r.shell().command() == null || r.shell().command().isBlank()) {
      throw ApiError.badRequest("shell.command", "shell.command is required");
    }
    return new Action.Shell(r.shell().command(), r.shell().env(), r.shell().workingDir());
  }
}
