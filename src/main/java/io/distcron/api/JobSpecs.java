package io.distcron.api;

import io.distcron.alert.AlertKind;
import io.distcron.alert.NotifyRule;
import io.distcron.exec.HttpRunner;
import io.distcron.exec.RunAs;
import io.distcron.job.JobEntity;
import io.distcron.job.JobSpec;
import io.distcron.placement.JobTarget;
import io.distcron.placement.NodeLabels;
import io.distcron.run.Action;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.InvalidScheduleException;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.pekko.http.javadsl.model.ContentTypes;
import org.apache.pekko.http.javadsl.model.Uri;
import org.apache.pekko.http.scaladsl.model.IllegalUriException;

/**
 * Turns a client's job into a valid {@link JobSpec}, or an {@link ApiError} naming the field.
 *
 * <p>Valid means that nothing in it can fail later: every string is storable ({@link Inputs#text}),
 * an environment can be handed to a process, headers can be sent, durations can be added to any
 * instant, and the whole spec stays small enough for one cluster message (Artery's frame is 256
 * KiB), a job-index row, and the kernel's limit on one argument or environment string (128 KiB).
 */
final class JobSpecs {
  private static final int MAX_DESCRIPTION = 2000;
  private static final int MAX_LABELS = 64;
  private static final int MAX_LABEL_KEY = 100;
  private static final int MAX_LABEL_VALUE = 200;
  private static final int MAX_SCHEDULE = 200;
  private static final int MAX_TIMEZONE = 100;
  private static final int MAX_COMMAND = 32 * 1024;
  private static final int MAX_ENV = 100;
  private static final int MAX_ENV_NAME = 256;
  private static final int MAX_ENV_VALUE = 32 * 1024;
  private static final int MAX_PATH = 4096;
  private static final int MAX_URL = 8192;
  private static final int MAX_HEADERS = 100;
  private static final int MAX_HEADER_NAME = 256;
  private static final int MAX_HEADER_VALUE = 8192;
  private static final int MAX_HTTP_BODY = 64 * 1024;
  private static final int MAX_EXPECT_STATUS = 100;
  private static final int MAX_SPEC_BYTES = 128 * 1024;
  private static final int MAX_TIMEOUT_SECONDS = 7 * 24 * 3600;
  private static final int MAX_CATCHUP_RUNS = 1000;
  private static final int MAX_ATTEMPTS = 100;
  private static final int MAX_RULES = 20;
  private static final int MAX_CALENDARS = 20;
  private static final Duration MAX_DURATION = Duration.ofDays(366);
  private static final Duration MAX_JITTER = Duration.ofDays(1);

  /** How many of a schedule's next ticks a jitter must fit between. */
  private static final int JITTER_GAPS = 100;

  private static final List<String> METHODS =
      List.of("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD");

  private JobSpecs() {}

  /**
   * {@code pathName} is the name in the URL of a PUT (null for a POST); {@code now} is when the
   * schedule must fire after.
   */
  static JobSpec toSpec(Dtos.JobRequest r, String pathName, Instant now) {
    String name = nameOf(r.name(), pathName);
    Inputs.text(r.description(), "description", MAX_DESCRIPTION);
    checkLabels(r.labels());
    String zone = zone(r.timezone());
    CronSchedule schedule = schedule(r.schedule(), zone, name, now);
    Instant startAt = instant(r.startAt(), "startAt");
    Instant endAt = instant(r.endAt(), "endAt");
    if (startAt != null && endAt != null && !endAt.isAfter(startAt)) {
      throw ApiError.badRequest("endAt", "endAt must be after startAt");
    }
    int timeout = r.timeoutSeconds() == null ? JobSpec.DEFAULT_TIMEOUT_SECONDS : r.timeoutSeconds();
    if (timeout < 1 || timeout > MAX_TIMEOUT_SECONDS) {
      throw ApiError.badRequest(
          "timeoutSeconds", "timeoutSeconds must be between 1 and " + MAX_TIMEOUT_SECONDS);
    }
    JobSpec spec =
        new JobSpec(
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
            retry(r.retry()),
            jitter(r.jitter(), schedule, now),
            startAt,
            endAt,
            null,
            target(r),
            notify(r.notifyRules()),
            excludeCalendars(r.excludeCalendars()));
    int bytes = textBytes(spec);
    if (bytes > MAX_SPEC_BYTES) {
      throw ApiError.badRequest(
          null, "the job's text comes to " + bytes + " bytes (UTF-8); at most " + MAX_SPEC_BYTES);
    }
    return spec;
  }

  /** The zone a job or preview means: UTC when none is given. */
  static String zone(String timezone) {
    return timezone == null || timezone.isBlank() ? "UTC" : timezone;
  }

  /**
   * The one test of a schedule, for jobs and previews alike: it parses in {@code zone} and fires at
   * least once after {@code now}. A schedule that never fires ({@code 0 0 30 2 *}, or a Quartz year
   * in the past) is refused rather than kept as a job that silently does nothing.
   */
  static CronSchedule schedule(String expression, String zone, String name, Instant now) {
    if (expression == null || expression.isBlank()) {
      throw ApiError.badRequest("schedule", "schedule is required");
    }
    Inputs.text(expression, "schedule", MAX_SCHEDULE);
    Inputs.text(zone, "timezone", MAX_TIMEZONE);
    CronSchedule schedule;
    Optional<Instant> first;
    try {
      schedule = CronSchedule.parse(expression, zone, name);
      first = schedule.nextAfter(now);
    } catch (InvalidScheduleException e) {
      throw ApiError.badRequest(e.field(), e.getMessage());
    } catch (RuntimeException e) {
      // The cron library's own failures on input it did not foresee, or an interval's overflow.
      throw ApiError.badRequest("schedule", "invalid schedule '" + expression.trim() + "'");
    }
    if (first.isEmpty()) {
      throw ApiError.badRequest(
          "schedule", "schedule '" + expression.trim() + "' never fires after " + now);
    }
    return schedule;
  }

  /** An ISO-8601 instant, with {@code Z} or an offset; null when not given. */
  static Instant instant(String iso, String field) {
    if (iso == null) return null;
    try {
      return Instant.parse(iso.trim());
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest(
          field, field + " must be an ISO-8601 instant such as 2027-01-01T00:00:00Z");
    }
  }

  /**
   * A jitter shorter than the schedule's shortest gap, so a tick's run always starts before the
   * next tick is due: the jitter spreads a job's runs, it does not merge its ticks.
   */
  private static Duration jitter(String iso, CronSchedule schedule, Instant now) {
    if (iso == null) return null;
    Duration jitter = positive(iso, "jitter");
    if (jitter.compareTo(MAX_JITTER) > 0) {
      throw ApiError.badRequest("jitter", "jitter must be at most " + MAX_JITTER);
    }
    List<Instant> ticks = schedule.next(now, JITTER_GAPS);
    for (int i = 1; i < ticks.size(); i++) {
      Duration gap = Duration.between(ticks.get(i - 1), ticks.get(i));
      if (jitter.compareTo(gap) >= 0) {
        throw ApiError.badRequest(
            "jitter",
            "jitter "
                + jitter
                + " must be shorter than the time between the schedule's ticks ("
                + gap
                + " at "
                + ticks.get(i - 1)
                + ")");
      }
    }
    return jitter;
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

  /**
   * At most {@link #MAX_DURATION}, so that adding it to any instant or in millis cannot overflow.
   */
  private static Duration positive(String iso, String field) {
    try {
      Duration d = Duration.parse(iso);
      if (!d.isNegative() && !d.isZero() && d.compareTo(MAX_DURATION) <= 0) return d;
    } catch (DateTimeParseException e) {
      // falls through to the error below
    }
    throw ApiError.badRequest(
        field,
        field + " must be a positive ISO-8601 duration such as PT10S, at most " + MAX_DURATION);
  }

  static <E extends Enum<E>> E enumValue(Class<E> type, String value, String field) {
    try {
      return Enum.valueOf(type, value.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest(
          field, field + " must be one of " + Arrays.toString(type.getEnumConstants()));
    }
  }

  /**
   * The name a job, calendar or channel is written under: the body's, else the URL's (a PUT); both
   * given must agree, and it must be a valid name.
   */
  static String nameOf(String given, String pathName) {
    String name = given != null ? given : pathName;
    if (name == null || name.isBlank()) throw ApiError.badRequest("name", "name is required");
    if (pathName != null && !pathName.equals(name)) {
      throw ApiError.badRequest(
          "name", "name '" + name + "' does not match the URL's '" + pathName + "'");
    }
    checkName(name);
    return name;
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
          if (k.isBlank() || k.length() > MAX_LABEL_KEY || k.contains("=")) {
            throw ApiError.badRequest(
                "labels",
                "label key '" + k + "' must be 1-" + MAX_LABEL_KEY + " characters without '='");
          }
          Inputs.text(k, "labels", MAX_LABEL_KEY);
          if (v == null) {
            throw ApiError.badRequest("labels." + k, "label value must be a string");
          }
          Inputs.text(v, "labels." + k, MAX_LABEL_VALUE);
        });
  }

  /**
   * Names a calendar may have, each once. Whether the calendars exist is the route's check, against
   * the calendars table.
   */
  private static List<String> excludeCalendars(List<String> names) {
    if (names == null) return null;
    if (names.size() > MAX_CALENDARS) {
      throw ApiError.badRequest(
          "excludeCalendars", "excludeCalendars holds at most " + MAX_CALENDARS + " calendars");
    }
    for (int i = 0; i < names.size(); i++) {
      String field = "excludeCalendars[" + i + "]";
      String name = names.get(i);
      if (name == null || !JobSpec.NAME.matcher(name).matches()) {
        throw ApiError.badRequest(field, field + " must be a calendar's name");
      }
      if (names.subList(0, i).contains(name)) {
        throw ApiError.badRequest(field, "calendar '" + name + "' is listed twice");
      }
    }
    return names;
  }

  /**
   * Null for no target: none given, or an empty selector (which every node matches). A selector
   * entry no node label can equal could never match, so it is refused rather than left to fail
   * every run.
   */
  private static JobTarget target(Dtos.JobRequest r) {
    Dtos.TargetDto t = r.target();
    if (t == null) return null;
    if (r.noop() != null) {
      throw ApiError.badRequest("target", "a noop job runs nothing anywhere: it takes no target");
    }
    JobTarget.Mode mode = null;
    if (t.mode() != null) {
      if (t.mode().trim().equalsIgnoreCase("ALL")) {
        throw ApiError.badRequest("target.mode", "target.mode ALL is not supported yet");
      }
      mode = enumValue(JobTarget.Mode.class, t.mode(), "target.mode");
    }
    Map<String, String> selector = t.nodeSelector();
    if (selector == null || selector.isEmpty()) return null;
    if (selector.size() > NodeLabels.MAX) {
      throw ApiError.badRequest(
          "target.nodeSelector", "target.nodeSelector holds at most " + NodeLabels.MAX + " labels");
    }
    selector.forEach(
        (k, v) -> {
          Inputs.text(k, "target.nodeSelector", NodeLabels.MAX_KEY);
          if (!NodeLabels.KEY.matcher(k).matches()) {
            throw ApiError.badRequest(
                "target.nodeSelector",
                "target.nodeSelector key '"
                    + k
                    + "' is not a node label key: "
                    + NodeLabels.SYNTAX);
          }
          String field = "target.nodeSelector." + k;
          if (v == null) throw ApiError.badRequest(field, field + " must be a string");
          Inputs.text(v, field, NodeLabels.MAX_VALUE);
          if (!NodeLabels.VALUE.matcher(v).matches()) {
            throw ApiError.badRequest(
                field, field + " '" + v + "' is not a node label value: " + NodeLabels.SYNTAX);
          }
        });
    return new JobTarget(selector, mode);
  }

  /**
   * The job's alert rules: each names an existing channel (checked by the route, which can read
   * them) once, and at least one kind; {@code lateAfter} goes with LATE, which takes {@link
   * NotifyRule#DEFAULT_LATE} without one.
   */
  private static List<NotifyRule> notify(List<Dtos.NotifyDto> rules) {
    if (rules == null) return null;
    if (rules.size() > MAX_RULES) {
      throw ApiError.badRequest("notify", "notify holds at most " + MAX_RULES + " rules");
    }
    List<NotifyRule> out = new ArrayList<>();
    for (int i = 0; i < rules.size(); i++) {
      String at = "notify[" + i + "]";
      Dtos.NotifyDto n = rules.get(i);
      if (n == null) throw ApiError.badRequest(at, at + " must be an object");
      if (n.channel() == null || n.channel().isBlank()) {
        throw ApiError.badRequest(at + ".channel", at + ".channel is required");
      }
      Inputs.text(n.channel(), at + ".channel", 100);
      if (out.stream().anyMatch(r -> r.channel().equals(n.channel()))) {
        throw ApiError.badRequest(
            at + ".channel", "channel '" + n.channel() + "' has a rule already");
      }
      if (n.on() == null || n.on().isEmpty()) {
        throw ApiError.badRequest(at + ".on", at + ".on must list alert kinds");
      }
      List<AlertKind> kinds = new ArrayList<>();
      for (int k = 0; k < n.on().size(); k++) {
        String kind = n.on().get(k);
        String field = at + ".on[" + k + "]";
        if (kind == null) throw ApiError.badRequest(field, field + " must be a string");
        AlertKind parsed = enumValue(AlertKind.class, kind, field);
        if (!kinds.contains(parsed)) kinds.add(parsed);
      }
      Duration late = n.lateAfter() == null ? null : positive(n.lateAfter(), at + ".lateAfter");
      if (late != null && !kinds.contains(AlertKind.LATE)) {
        throw ApiError.badRequest(at + ".lateAfter", at + ".lateAfter goes with LATE in on");
      }
      if (late == null && kinds.contains(AlertKind.LATE)) late = NotifyRule.DEFAULT_LATE;
      out.add(new NotifyRule(n.channel(), kinds, late));
    }
    return out;
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
    return shell(r.shell());
  }

  private static Action.Shell shell(Dtos.ShellDto s) {
    if (s.command() == null || s.command().isBlank()) {
      throw ApiError.badRequest("shell.command", "shell.command is required");
    }
    Inputs.text(s.command(), "shell.command", MAX_COMMAND);
    Inputs.text(s.workingDir(), "shell.workingDir", MAX_PATH);
    if (s.workingDir() != null && s.workingDir().isBlank()) {
      throw ApiError.badRequest("shell.workingDir", "shell.workingDir must not be blank");
    }
    checkEnv(s.env());
    checkUser(s.user());
    return new Action.Shell(s.command(), s.env(), s.workingDir(), s.user());
  }

  /** Checked where it is given: an executor that cannot switch users would fail every run. */
  private static void checkUser(String user) {
    if (user == null) return;
    Inputs.text(user, "shell.user", 32);
    if (!RunAs.USER.matcher(user).matches()) {
      throw ApiError.badRequest(
          "shell.user", "shell.user must be a user name such as backup: [a-z_][a-z0-9_.-]{0,31}");
    }
    if (!RunAs.possible()) {
      throw ApiError.badRequest(
          "shell.user", "shell.user needs distcron to run as root (it switches with runuser)");
    }
  }

  /** What a process's environment can hold: {@code NAME=value} strings, so no '=' in a name. */
  private static void checkEnv(Map<String, String> env) {
    if (env == null) return;
    if (env.size() > MAX_ENV) {
      throw ApiError.badRequest("shell.env", "at most " + MAX_ENV + " environment variables");
    }
    env.forEach(
        (k, v) -> {
          Inputs.text(k, "shell.env", MAX_ENV_NAME);
          if (k.isEmpty() || k.contains("=")) {
            throw ApiError.badRequest(
                "shell.env",
                "environment variable name '"
                    + k
                    + "' must be 1-"
                    + MAX_ENV_NAME
                    + " characters without '='");
          }
          if (v == null) {
            throw ApiError.badRequest("shell.env." + k, "shell.env." + k + " must be a string");
          }
          Inputs.text(v, "shell.env." + k, MAX_ENV_VALUE);
        });
  }

  private static Action.Http http(Dtos.HttpDto h) {
    if (h.url() == null || h.url().isBlank())
      throw ApiError.badRequest("http.url", "http.url is required");
    Inputs.text(h.url(), "http.url", MAX_URL);
    try {
      URI uri = new URI(h.url());
      if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())
          || uri.getHost() == null) {
        throw ApiError.badRequest(
            "http.url", "http.url must be an absolute http:// or https:// URL");
      }
      // The runner sends with Pekko's client: what its parser refuses could never run.
      Uri.create(h.url().trim());
    } catch (URISyntaxException e) {
      throw ApiError.badRequest("http.url", "http.url is not a valid URL: " + e.getReason());
    } catch (IllegalUriException e) {
      throw ApiError.badRequest("http.url", "http.url is not a valid URL: " + e.info().summary());
    }
    checkHeaders(h.headers());
    Inputs.text(h.body(), "http.body", MAX_HTTP_BODY);
    String method = h.method() == null ? "GET" : h.method().toUpperCase(Locale.ROOT);
    if (!METHODS.contains(method)) {
      throw ApiError.badRequest("http.method", "http.method must be one of " + METHODS);
    }
    if (h.timeoutSeconds() != null
        && (h.timeoutSeconds() < 1 || h.timeoutSeconds() > MAX_TIMEOUT_SECONDS)) {
      throw ApiError.badRequest(
          "http.timeoutSeconds", "http.timeoutSeconds must be from 1 to " + MAX_TIMEOUT_SECONDS);
    }
    if (h.expectStatus() != null && h.expectStatus().size() > MAX_EXPECT_STATUS) {
      throw ApiError.badRequest(
          "http.expectStatus", "http.expectStatus holds at most " + MAX_EXPECT_STATUS + " codes");
    }
    if (h.expectStatus() != null
        && h.expectStatus().stream().anyMatch(c -> c == null || c < 100 || c > 599)) {
      throw ApiError.badRequest(
          "http.expectStatus", "http.expectStatus must hold HTTP status codes (100-599)");
    }
    return new Action.Http(
        method, h.url(), h.headers(), h.body(), h.timeoutSeconds(), h.expectStatus());
  }

  /**
   * Headers as HTTP/1.1 can carry them: a token for a name, no control character but tab in a
   * value, and a {@code Content-Type} that is one.
   */
  private static void checkHeaders(Map<String, String> headers) {
    if (headers == null) return;
    if (headers.size() > MAX_HEADERS) {
      throw ApiError.badRequest("http.headers", "at most " + MAX_HEADERS + " headers");
    }
    headers.forEach(
        (k, v) -> {
          Inputs.text(k, "http.headers", MAX_HEADER_NAME);
          if (!HttpRunner.isToken(k)) {
            throw ApiError.badRequest(
                "http.headers", "header name '" + k + "' is not a valid HTTP header name");
          }
          String field = "http.headers." + k;
          if (v == null) throw ApiError.badRequest(field, field + " must be a string");
          Inputs.text(v, field, MAX_HEADER_VALUE);
          if (v.chars().anyMatch(c -> (c < 0x20 && c != '\t') || c == 0x7f)) {
            throw ApiError.badRequest(field, field + " must not contain control characters");
          }
          if (k.equalsIgnoreCase("Content-Type")) {
            try {
              ContentTypes.parse(v);
            } catch (RuntimeException e) {
              throw ApiError.badRequest(field, field + " is not a valid media type");
            }
          }
        });
  }

  /** The UTF-8 size of every string a spec holds. */
  private static int textBytes(JobSpec s) {
    List<String> texts = new ArrayList<>();
    texts.addAll(List.of(s.name(), s.description(), s.schedule(), s.timezone()));
    s.labels().forEach((k, v) -> texts.addAll(List.of(k, v)));
    if (s.target() != null)
      s.target().nodeSelector().forEach((k, v) -> texts.addAll(List.of(k, v)));
    if (s.action() instanceof Action.Shell sh) {
      texts.add(sh.command());
      if (sh.workingDir() != null) texts.add(sh.workingDir());
      if (sh.user() != null) texts.add(sh.user());
      sh.env().forEach((k, v) -> texts.addAll(List.of(k, v)));
    } else if (s.action() instanceof Action.Http h) {
      texts.addAll(List.of(h.method(), h.url()));
      if (h.body() != null) texts.add(h.body());
      h.headers().forEach((k, v) -> texts.addAll(List.of(k, v)));
    }
    int bytes = 0;
    for (String t : texts) bytes += t.getBytes(StandardCharsets.UTF_8).length;
    return bytes;
  }

  /** The wire form of a spec, as the API shows it back. */
  static Dtos.JobDto toDto(
      JobSpec s,
      JobEntity.JobView view,
      String description,
      Dtos.RunDto lastRun,
      Dtos.JobStats stats,
      Instant now) {
    Dtos.ShellDto shell = null;
    Dtos.HttpDto http = null;
    Dtos.NoopDto noop = null;
    if (s.action() instanceof Action.Shell sh) {
      shell = new Dtos.ShellDto(sh.command(), sh.env(), sh.workingDir(), sh.user());
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
        s.jitter() == null ? null : s.jitter().toString(),
        s.startAt(),
        s.endAt(),
        s.target() == null
            ? null
            : new Dtos.TargetDto(
                new TreeMap<>(s.target().nodeSelector()), s.target().mode().name()),
        s.notifyRules().stream()
            .map(
                n ->
                    new Dtos.NotifyDto(
                        n.channel(),
                        n.on().stream().map(Enum::name).toList(),
                        n.lateAfter() == null ? null : n.lateAfter().toString()))
            .toList(),
        s.excludeCalendars(),
        s.managedBy(),
        s.endedBy(now) ? "ENDED" : view.paused() ? "PAUSED" : "ACTIVE",
        view.nextFireTimes(),
        view.lastScheduled(),
        lastRun,
        stats,
        view.backfill() == null
            ? null
            : new Dtos.BackfillDto(
                view.backfill().from(),
                view.backfill().to(),
                view.backfill().overlap().name(),
                view.backfill().ticks(),
                view.backfill().decided(),
                view.backfill().going()));
  }
}
