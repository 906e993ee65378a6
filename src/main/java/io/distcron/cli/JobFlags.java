package io.distcron.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The job fields as flags, shared by {@code job add} and {@code job edit}. Flags are laid over a
 * base (a file, the current job, or nothing), so a file can be reused with one field changed and an
 * edit only names what changes. The result is the API's JSON; the server does all validation.
 */
final class JobFlags {
  @Spec(Spec.Target.MIXEE)
  CommandSpec mixee;

  @Option(
      names = {"-f", "--file"},
      paramLabel = "FILE",
      description = "Job definition in JSON or YAML (- for stdin).")
  String file;

  @Option(
      names = "--name",
      paramLabel = "NAME",
      description = "Job name: [a-z0-9][a-z0-9._-]{0,99}.")
  String name;

  @Option(names = "--description", paramLabel = "TEXT", description = "Free text.")
  String description;

  @Option(
      names = "--schedule",
      paramLabel = "CRON",
      description = "e.g. '*/5 * * * *', 'H H(1-5) * * *', '@daily', '@every 30s'.")
  String schedule;

  @Option(
      names = {"--tz", "--timezone"},
      paramLabel = "ZONE",
      description = "IANA zone, e.g. Europe/Berlin (default UTC).")
  String timezone;

  @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label (repeatable).")
  Map<String, String> labels;

  @Option(names = "--shell", paramLabel = "CMD", description = "Run CMD with /bin/sh -c.")
  String shell;

  @Option(
      names = "--env",
      paramLabel = "KEY=VALUE",
      description = "Environment for --shell (repeatable).")
  Map<String, String> env;

  @Option(names = "--workdir", paramLabel = "DIR", description = "Working directory for --shell.")
  String workdir;

  @Option(names = "--http-url", paramLabel = "URL", description = "Send an HTTP request to URL.")
  String httpUrl;

  @Option(
      names = "--http-method",
      paramLabel = "METHOD",
      description = "GET (default), POST, PUT, ...")
  String httpMethod;

  @Option(
      names = "--http-header",
      paramLabel = "NAME=VALUE",
      description = "Request header (repeatable).")
  Map<String, String> httpHeaders;

  @Option(names = "--http-body", paramLabel = "TEXT", description = "Request body.")
  String httpBody;

  @Option(
      names = "--http-expect",
      paramLabel = "STATUS",
      split = ",",
      description = "Statuses that mean success (default any 2xx).")
  List<Integer> httpExpect;

  @Option(names = "--noop", description = "Run nothing: record the tick (heartbeats).")
  boolean noop;

  @Option(
      names = "--timeout",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Kill a run after this long: 90, 30s, 10m, 1h (default 1h).")
  Duration timeout;

  @Option(
      names = "--enabled",
      paramLabel = "BOOL",
      arity = "1",
      description = "false: keep the job but never tick.")
  Boolean enabled;

  @Option(
      names = "--overlap",
      paramLabel = "POLICY",
      description = "SKIP (default), ALLOW, QUEUE_ONE or REPLACE.")
  String overlap;

  @Option(
      names = "--catch-up",
      paramLabel = "POLICY",
      description = "ALL (default), LATEST or NONE.")
  String catchUp;

  @Option(
      names = "--catch-up-window",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Missed ticks older than this are skipped (default 1h).")
  Duration catchUpWindow;

  @Option(names = "--catch-up-max", paramLabel = "N", description = "At most N catch-up runs.")
  Integer catchUpMax;

  @Option(
      names = "--retry-max",
      paramLabel = "N",
      description = "Attempts in all, the first included (default 1).")
  Integer retryMax;

  @Option(
      names = "--retry-backoff",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Wait before the first retry (default 10s).")
  Duration retryBackoff;

  @Option(
      names = "--retry-multiplier",
      paramLabel = "X",
      description = "Backoff growth per attempt (default 2.0).")
  Double retryMultiplier;

  @Option(
      names = "--retry-max-backoff",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Longest wait between attempts (default 5m).")
  Duration retryMaxBackoff;

  @Option(
      names = "--jitter",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Start each scheduled run up to this long after its tick, e.g. 5m.")
  Duration jitter;

  @Option(
      names = "--start-at",
      paramLabel = "INSTANT",
      description = "No ticks before this, e.g. 2027-01-01T00:00:00Z.")
  String startAt;

  @Option(names = "--end-at", paramLabel = "INSTANT", description = "No ticks after this.")
  String endAt;

  @Option(
      names = "--target",
      paramLabel = "KEY=VALUE",
      description =
          "Run only on executors with this node label (repeatable: all must match), e.g."
              + " zone=eu1 or host=web1.")
  Map<String, String> target;

  @Option(
      names = "--target-mode",
      paramLabel = "MODE",
      description = "ANY (default): the least-loaded matching executor.")
  String targetMode;

  @Option(
      names = "--exclude-calendar",
      paramLabel = "NAME",
      description =
          "Skip the ticks in the times this calendar excludes (repeatable; replaces the job's list).")
  List<String> excludeCalendars;

  /** Whether any field flag was given (not counting {@code -f}). */
  boolean any() {
    return name != null
        || description != null
        || schedule != null
        || timezone != null
        || labels != null
        || shell != null
        || env != null
        || workdir != null
        || httpUrl != null
        || httpMethod != null
        || httpHeaders != null
        || httpBody != null
        || httpExpect != null
        || noop
        || timeout != null
        || enabled != null
        || overlap != null
        || catchUp != null
        || catchUpWindow != null
        || catchUpMax != null
        || retryMax != null
        || retryBackoff != null
        || retryMultiplier != null
        || retryMaxBackoff != null
        || jitter != null
        || startAt != null
        || endAt != null
        || target != null
        || targetMode != null
        || excludeCalendars != null;
  }

  /** Lays the flags over {@code spec} in place and returns it. */
  ObjectNode applyTo(ObjectNode spec) {
    List<String> actions = new ArrayList<>();
    if (shell != null) actions.add("--shell");
    if (httpUrl != null) actions.add("--http-url");
    if (noop) actions.add("--noop");
    if (actions.size() > 1) throw usage("give one action, not " + String.join(" and ", actions));

    set(spec, "name", name);
    set(spec, "description", description);
    set(spec, "schedule", schedule);
    set(spec, "timezone", timezone);
    if (labels != null) spec.set("labels", Api.JSON.valueToTree(labels));
    if (timeout != null) spec.put("timeoutSeconds", timeout.toSeconds());
    if (enabled != null) spec.put("enabled", enabled);
    set(spec, "overlap", overlap);
    if (jitter != null) spec.put("jitter", jitter.toString());
    set(spec, "startAt", startAt);
    set(spec, "endAt", endAt);
    if (excludeCalendars != null) {
      spec.set("excludeCalendars", Api.JSON.valueToTree(excludeCalendars));
    }

    // A new action replaces the old one: the API takes exactly one.
    if (shell != null) switchAction(spec, "shell").put("command", shell);
    if (httpUrl != null) switchAction(spec, "http").put("url", httpUrl);
    if (noop) switchAction(spec, "noop");
    if (env != null) actionObject(spec, "shell", "--env").set("env", Api.JSON.valueToTree(env));
    if (workdir != null) actionObject(spec, "shell", "--workdir").put("workingDir", workdir);
    if (httpMethod != null) actionObject(spec, "http", "--http-method").put("method", httpMethod);
    if (httpHeaders != null) {
      actionObject(spec, "http", "--http-header").set("headers", Api.JSON.valueToTree(httpHeaders));
    }
    if (httpBody != null) actionObject(spec, "http", "--http-body").put("body", httpBody);
    if (httpExpect != null) {
      actionObject(spec, "http", "--http-expect")
          .set("expectStatus", Api.JSON.valueToTree(httpExpect));
    }

    if (catchUp != null || catchUpWindow != null || catchUpMax != null) {
      withObject(
          spec,
          "catchUp",
          c -> {
            set(c, "policy", catchUp);
            if (catchUpWindow != null) c.put("window", catchUpWindow.toString());
            if (catchUpMax != null) c.put("maxRuns", catchUpMax);
          });
    }
    if (retryMax != null
        || retryBackoff != null
        || retryMultiplier != null
        || retryMaxBackoff != null) {
      withObject(
          spec,
          "retry",
          r -> {
            if (retryMax != null) r.put("maxAttempts", retryMax);
            if (retryBackoff != null) r.put("backoff", retryBackoff.toString());
            if (retryMultiplier != null) r.put("multiplier", retryMultiplier);
            if (retryMaxBackoff != null) r.put("maxBackoff", retryMaxBackoff.toString());
          });
    }
    if (target != null || targetMode != null) {
      withObject(
          spec,
          "target",
          t -> {
            if (target != null) t.set("nodeSelector", Api.JSON.valueToTree(target));
            set(t, "mode", targetMode);
          });
    }
    return spec;
  }

  private static void set(ObjectNode node, String field, String value) {
    if (value != null) node.put(field, value);
  }

  private static ObjectNode switchAction(ObjectNode spec, String action) {
    for (String other : new String[] {"shell", "http", "noop"}) {
      if (!other.equals(action)) spec.remove(other);
    }
    return spec.get(action) instanceof ObjectNode o ? o : spec.putObject(action);
  }

  /**
   * The action a detail flag belongs to must be there already (from the base or from its own flag).
   */
  private ObjectNode actionObject(ObjectNode spec, String action, String flag) {
    if (spec.get(action) instanceof ObjectNode o) return o;
    String what = action.equals("shell") ? "--shell" : "--http-url";
    throw usage(flag + " only applies to a " + action + " job: give " + what + " too");
  }

  private static void withObject(ObjectNode spec, String field, Consumer<ObjectNode> fill) {
    fill.accept(spec.get(field) instanceof ObjectNode o ? o : spec.putObject(field));
  }

  private CommandLine.ParameterException usage(String message) {
    return new CommandLine.ParameterException(mixee.commandLine(), message);
  }
}
