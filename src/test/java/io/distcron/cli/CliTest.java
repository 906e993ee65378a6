package io.distcron.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every CLI command, in-process, against a really running node; output asserted, not just exit
 * codes.
 */
class CliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String HOST = "127.0.0.1";
  private static final Pattern RUN_ID = Pattern.compile("run ([0-9a-f-]{36})");

  private static Node node;
  private static String url;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "cli"), Map.of());
    url = node.apiUrl().replace("/api/v1", "");
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  record Result(int code, String out, String err) {
    JsonNode json() {
      try {
        return JSON.readTree(out);
      } catch (IOException e) {
        throw new AssertionError("stdout is not JSON: " + out, e);
      }
    }

    List<String> lines() {
      return out.lines().toList();
    }

    Result ok() {
      assertThat(code).as("exit code; stderr: %s", err).isZero();
      assertThat(err).isEmpty();
      return this;
    }
  }

  /** The CLI as a user runs it, with DISTCRON_URL pointing at the test node. */
  private static Result cli(String... args) {
    return cli(Map.of("DISTCRON_URL", url), new StringWriter(), args);
  }

  private static Result cli(Map<String, String> env, Writer out, String... args) {
    StringWriter err = new StringWriter();
    int code =
        new CommandLine(new Cli(env, () -> 42))
            .setOut(new PrintWriter(out, true))
            .setErr(new PrintWriter(err, true))
            .execute(args);
    return new Result(code, out.toString(), err.toString());
  }

  /** One line on stderr, "distcron: ...", nothing on stdout, the given exit code. */
  private static String oneLineError(Result r, int code) {
    assertThat(r.code()).isEqualTo(code);
    assertThat(r.out()).isEmpty();
    assertThat(r.err()).startsWith("distcron: ").endsWith("\n");
    assertThat(r.err().lines()).hasSize(1);
    assertThat(r.err()).doesNotContain("Exception").doesNotContain("\tat ");
    return r.err().strip();
  }

  private static String trigger(String job) {
    Result r = cli("job", "trigger", job).ok();
    Matcher m = RUN_ID.matcher(r.out());
    assertThat(m.find()).as("a run id in: %s", r.out()).isTrue();
    return m.group(1);
  }

  private static String runStatus(String id) {
    Result r = cli("run", "show", id, "--json");
    return r.code() == 0 ? r.json().get("status").asText() : "ABSENT";
  }

  private static void awaitStatus(String id, String... statuses) {
    Await.until(
        Duration.ofSeconds(60),
        "run " + id + " in " + List.of(statuses),
        () -> List.of(statuses).contains(runStatus(id)));
  }

  @Test
  void channelsAreSetListedTestedAndRemoved() throws Exception {
    com.sun.net.httpserver.HttpServer receiver =
        com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress(HOST, 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          exchange.sendResponseHeaders(204, -1);
          exchange.close();
        });
    receiver.start();
    try {
      String hook = "http://" + HOST + ":" + receiver.getAddress().getPort() + "/hook";
      assertThat(
              cli(
                      "channel",
                      "set",
                      "cli-hook",
                      "--type",
                      "webhook",
                      "--endpoint",
                      hook,
                      "--secret",
                      "cli-s3cret")
                  .ok()
                  .out())
          .isEqualTo("saved channel cli-hook\n");
      assertThat(cli("channel", "ls").ok().out()).contains("cli-hook").contains(hook);
      assertThat(cli("channel", "show", "cli-hook").ok().out())
          .contains("set")
          .doesNotContain("cli-s3cret");
      assertThat(cli("channel", "test", "cli-hook").ok().out())
          .isEqualTo("delivered a test alert to cli-hook\n");

      cli("channel", "set", "cli-dead", "--type", "slack", "--endpoint", "http://" + HOST + ":9/")
          .ok();
      assertThat(oneLineError(cli("channel", "test", "cli-dead"), 1))
          .startsWith("distcron: test alert to cli-dead failed: ");
      assertThat(cli("channel", "show", "cli-dead", "--json").ok().json().at("/health/healthy"))
          .isNotNull();
      cli("channel", "rm", "cli-dead").ok();
      oneLineError(cli("channel", "show", "cli-dead"), 1);
      oneLineError(cli("channel", "set", "cli-x"), 2);
    } finally {
      receiver.stop(0);
    }
  }

  @Test
  void addFromFlagsThenListAndShow() {
    Result added =
        cli(
                "job",
                "add",
                "--name",
                "flags-job",
                "--schedule",
                "*/5 * * * *",
                "--tz",
                "Europe/Berlin",
                "--shell",
                "echo hi",
                "--env",
                "A=1",
                "--label",
                "team=ops",
                "--label",
                "tier=1",
                "--timeout",
                "10m",
                "--overlap",
                "ALLOW",
                "--retry-max",
                "3",
                "--retry-backoff",
                "10s",
                "--catch-up",
                "LATEST",
                "--jitter",
                "90s",
                "--end-at",
                "2099-01-01T00:00:00Z",
                "--description",
                "from flags",
                "--target",
                "zone=eu1",
                "--target",
                "disk=ssd",
                "--target-mode",
                "ANY")
            .ok();
    assertThat(added.out()).startsWith("created job flags-job (next: ");

    JsonNode job = cli("job", "show", "flags-job", "--json").ok().json();
    assertThat(job.get("schedule").asText()).isEqualTo("*/5 * * * *");
    assertThat(job.get("timezone").asText()).isEqualTo("Europe/Berlin");
    assertThat(job.get("shell").get("command").asText()).isEqualTo("echo hi");
    assertThat(job.get("shell").get("env").get("A").asText()).isEqualTo("1");
    assertThat(job.get("labels").get("tier").asText()).isEqualTo("1");
    assertThat(job.get("timeoutSeconds").asInt()).isEqualTo(600);
    assertThat(job.get("overlap").asText()).isEqualTo("ALLOW");
    assertThat(job.get("retry").get("maxAttempts").asInt()).isEqualTo(3);
    assertThat(job.get("retry").get("backoff").asText()).isEqualTo("PT10S");
    assertThat(job.get("catchUp").get("policy").asText()).isEqualTo("LATEST");
    assertThat(job.get("jitter").asText()).isEqualTo("PT1M30S");
    assertThat(job.get("endAt").asText()).isEqualTo("2099-01-01T00:00:00Z");
    assertThat(job.get("target").get("nodeSelector").get("zone").asText()).isEqualTo("eu1");
    assertThat(job.get("target").get("nodeSelector").get("disk").asText()).isEqualTo("ssd");
    assertThat(job.get("target").get("mode").asText()).isEqualTo("ANY");

    String shown = cli("job", "show", "flags-job").ok().out();
    assertThat(shown)
        .contains("name:", "flags-job", "from flags", "team=ops", "Europe/Berlin", "echo hi", "A=1")
        .contains("status:", "ACTIVE", "timeout:", "600s", "overlap:", "ALLOW", "next:")
        .contains("target:", "disk=ssd,zone=eu1 (ANY)");
    assertThat(shown).containsPattern("schedule: +\\*/5 \\* \\* \\* \\* +\\(.*5.*\\)");

    cli("job", "add", "--name", "unlabelled", "--schedule", "@daily", "--noop").ok();
    Result ls = cli("job", "ls").ok();
    String header = ls.lines().get(0);
    assertThat(header).matches("NAME +SCHEDULE +TZ +STATUS +NEXT +LAST");
    String row =
        ls.lines().stream().filter(l -> l.startsWith("flags-job ")).findFirst().orElseThrow();
    assertThat(row).contains("*/5 * * * *", "Europe/Berlin", "ACTIVE");
    // Aligned: every column starts where its header does.
    assertThat(row.indexOf("*/5")).isEqualTo(header.indexOf("SCHEDULE"));
    assertThat(row.indexOf("ACTIVE")).isEqualTo(header.indexOf("STATUS"));
    assertThat(row.substring(header.indexOf("NEXT")))
        .matches("\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d +-");

    JsonNode all = cli("job", "ls", "--json").ok().json();
    assertThat(all.get("items").findValuesAsText("name")).contains("flags-job", "unlabelled");

    Result ops = cli("job", "ls", "--label", "team=ops").ok();
    assertThat(ops.out()).contains("flags-job").doesNotContain("unlabelled");
    JsonNode limited = cli("job", "ls", "--limit", "1", "--json").ok().json();
    assertThat(limited.get("items")).hasSize(1);
  }

  @Test
  void calendarAddLsShowRmAndAJobThatExcludesOne() {
    Result added =
        cli(
                "calendar",
                "add",
                "cli-holidays",
                "--timezone",
                "Europe/Berlin",
                "--date",
                "2026-12-26",
                "--date",
                "2026-12-25",
                "--range",
                "2026-12-24..2027-01-01",
                "--cron",
                "* * 0-6 * * ?",
                "--description",
                "office closed")
            .ok();
    assertThat(added.out()).isEqualTo("created calendar cli-holidays\n");
    String listed = cli("calendar", "ls").ok().out();
    assertThat(listed)
        .containsPattern("cli-holidays +Europe/Berlin +2 +1 +\\* \\* 0-6 \\* \\* \\?");
    String shown = cli("calendar", "show", "cli-holidays").ok().out();
    assertThat(shown)
        .contains("2026-12-25, 2026-12-26")
        .contains("2026-12-24..2027-01-01")
        .contains("office closed");
    Result badRange = cli("calendar", "add", "cli-bad", "--range", "2026-12-24..2026-12-01");
    assertThat(badRange.code()).isNotZero();
    assertThat(badRange.err()).contains("ranges[0]");

    cli(
            "job",
            "add",
            "--name",
            "cli-closed",
            "--schedule",
            "@daily",
            "--noop",
            "--exclude-calendar",
            "cli-holidays")
        .ok();
    assertThat(cli("job", "show", "cli-closed").ok().out()).contains("cli-holidays");
    Result unknown = cli("job", "edit", "cli-closed", "--exclude-calendar", "cli-nope");
    assertThat(unknown.code()).isNotZero();
    assertThat(unknown.err()).contains("excludeCalendars[0]");

    cli("calendar", "add", "cli-holidays", "--replace", "--date", "2027-05-01").ok();
    assertThat(
            cli("calendar", "show", "cli-holidays", "--json").ok().json().get("timezone").asText())
        .isEqualTo("UTC");
    Await.until(
        Duration.ofSeconds(10),
        "the delete refused while a job excludes it",
        () -> cli("calendar", "rm", "cli-holidays").err().contains("cli-closed"));
    cli("job", "rm", "cli-closed").ok();
    Await.until(
        Duration.ofSeconds(10),
        "the calendar deleted",
        () -> cli("calendar", "rm", "cli-holidays").code() == 0);
    assertThat(cli("calendar", "ls", "--json").ok().json().get("items").toString())
        .doesNotContain("cli-holidays");
  }

  @Test
  void applyADirectoryOfJobFilesAgainAndWithPrune(@TempDir Path dir) throws IOException {
    Path jobs = Files.createDirectory(dir.resolve("jobs"));
    Files.writeString(
        jobs.resolve("a.yaml"),
        """
        name: gitops-a
        schedule: "@daily"
        shell:
          command: echo a
        ---
        name: gitops-b
        schedule: "0 * * * *"
        noop: {}
        """);
    Files.writeString(
        jobs.resolve("c.json"),
        "[{\"name\": \"gitops-c\", \"schedule\": \"@hourly\", \"noop\": {}}]");
    Files.writeString(jobs.resolve("README.md"), "not a job");

    Result first = cli("apply", "-f", jobs.toString()).ok();
    assertThat(first.lines())
        .containsExactly(
            "created gitops-a",
            "created gitops-b",
            "created gitops-c",
            "3 created, 0 updated, 0 unchanged, 0 deleted");
    assertThat(cli("job", "show", "gitops-a", "--json").ok().json().get("managedBy").asText())
        .isEqualTo("file:jobs");
    assertThat(cli("apply", "-f", jobs.toString()).ok().lines())
        .containsExactly("0 created, 0 updated, 3 unchanged, 0 deleted");

    // An update names the fields it changes, as the API names them.
    Files.writeString(
        jobs.resolve("a.yaml"),
        """
        name: gitops-a
        labels: {team: ops}
        schedule: "@hourly"
        shell:
          command: echo A
        ---
        name: gitops-b
        schedule: "0 * * * *"
        noop: {}
        """);
    assertThat(cli("apply", "-f", jobs.toString(), "--dry-run").ok().lines())
        .containsExactly(
            "would be updated gitops-a: labels.team, schedule, shell.command",
            "0 created, 1 updated, 2 unchanged, 0 deleted (dry run: nothing changed)");
    assertThat(cli("apply", "-f", jobs.toString()).ok().lines())
        .containsExactly(
            "updated gitops-a: labels.team, schedule, shell.command",
            "0 created, 1 updated, 2 unchanged, 0 deleted");
    Files.writeString(
        jobs.resolve("a.yaml"),
        """
        name: gitops-a
        schedule: "@hourly"
        http:
          url: http://127.0.0.1:9/ping
        ---
        name: gitops-b
        schedule: "0 * * * *"
        noop: {}
        """);
    JsonNode asJson = cli("apply", "-f", jobs.toString(), "--json").ok().json();
    assertThat(asJson.get("jobs").get(0).get("changed"))
        .extracting(JsonNode::asText)
        .containsExactly("labels.team", "shell", "http");
    assertThat(asJson.get("jobs").get(1).has("changed")).isFalse();

    Files.delete(jobs.resolve("c.json"));
    assertThat(cli("apply", "-f", jobs.toString(), "--prune", "--dry-run").ok().lines())
        .containsExactly(
            "would be deleted gitops-c",
            "0 created, 0 updated, 2 unchanged, 1 deleted (dry run: nothing changed)");
    cli("job", "show", "gitops-c").ok();
    assertThat(cli("apply", "-f", jobs.toString(), "--prune").ok().lines())
        .containsExactly("deleted gitops-c", "0 created, 0 updated, 2 unchanged, 1 deleted");
    assertThat(cli("job", "show", "gitops-c").code()).isEqualTo(1);

    // One invalid job: exit 1, each refused job on a line of its own, nothing applied.
    Files.writeString(
        jobs.resolve("d.yaml"), "name: gitops-d\nschedule: \"61 * * * *\"\nnoop: {}\n");
    Files.writeString(jobs.resolve("e.yaml"), "name: gitops-e\nschedule: \"@daily\"\nnoop: {}\n");
    Result bad = cli("apply", "-f", jobs.toString());
    assertThat(bad.code()).isEqualTo(1);
    assertThat(bad.out()).isEmpty();
    assertThat(bad.err())
        .startsWith("distcron: 1 of 4 jobs are invalid")
        .contains("  jobs[2].schedule: ");
    assertThat(cli("job", "show", "gitops-e").code()).isEqualTo(1);
    Result stdin = cli("apply", "-f", "-");
    assertThat(stdin.code()).isEqualTo(2);
    assertThat(stdin.err()).startsWith("give --owner when reading standard input");
  }

  /**
   * A crontab imported twice changes nothing; a deleted line is pruned; jobs are pinned to this
   * machine's host label, and a pinned job really runs here.
   */
  @Test
  void importCrontabTwiceChangesNothingAndPruneRemovesDeletedLines(@TempDir Path dir)
      throws IOException {
    Path tab = dir.resolve("alice");
    Files.writeString(tab, CrontabTest.ALICE);
    Result first = cli("import", "crontab", tab.toString());
    assertThat(first.code()).as(first.err()).isZero();
    assertThat(first.out()).contains("created alice-db-backup", "5 created");
    assertThat(first.err()).contains("warning", "MAILTO");
    JsonNode job = cli("job", "show", "alice-line-14", "--json").ok().json();
    assertThat(job.at("/target/nodeSelector/host").asText())
        .isEqualTo(io.distcron.placement.NodeLabels.hostname());
    assertThat(job.get("managedBy").asText()).startsWith("crontab:").endsWith("/alice");
    assertThat(job.at("/shell/env/LOG_LEVEL").asText()).isEqualTo("debug");

    Result again = cli("import", "crontab", tab.toString());
    assertThat(again.out()).isEqualTo("0 created, 0 updated, 5 unchanged, 0 deleted\n");

    String shorter =
        CrontabTest.ALICE.replace("@daily   find /tmp -mtime +7 -delete\n", "# (removed)\n");
    Files.writeString(tab, shorter);
    Result dry = cli("import", "crontab", tab.toString(), "--prune", "--dry-run");
    assertThat(dry.out()).contains("would be deleted alice-line-11");
    Result pruned = cli("import", "crontab", tab.toString(), "--prune");
    assertThat(pruned.out())
        .isEqualTo("deleted alice-line-11\n0 created, 0 updated, 4 unchanged, 1 deleted\n");
    assertThat(cli("job", "show", "alice-line-11").code()).isEqualTo(CliException.API);

    Path boot = dir.resolve("boot");
    Files.writeString(boot, "@reboot /usr/local/bin/agent\n");
    Result refused = cli("import", "crontab", boot.toString());
    assertThat(refused.code()).isEqualTo(CliException.USAGE);
    assertThat(refused.err()).contains("boot:1: @reboot");

    // A pinned shell job of the import runs on this machine's node.
    Path echo = dir.resolve("echo");
    Files.writeString(echo, "# name: hello\n0 0 1 1 * echo pinned%ignored\n");
    cli("import", "crontab", echo.toString(), "--prefix", "tab-").ok();
    String run = trigger("tab-hello");
    awaitStatus(run, "SUCCEEDED");
  }

  /** What export writes, apply takes back unchanged: every field, YAML and JSON, and ls --json. */
  @Test
  void exportThenApplyChangesNothing(@TempDir Path dir) throws IOException {
    Path jobs = dir.resolve("full.yaml");
    Files.writeString(
        jobs,
        """
        name: full-shell
        description: every field
        labels: {set: full, team: ops}
        schedule: "H/10 H(1-5) * * *"
        timezone: Europe/Paris
        jitter: PT2M
        startAt: "2026-01-01T00:00:00Z"
        endAt: "2099-06-30T12:00:00Z"
        shell:
          command: ./run.sh --all
          env: {MODE: full, LEVEL: "3"}
          workingDir: /tmp
        timeoutSeconds: 120
        enabled: false
        overlap: QUEUE_ONE
        catchUp: {policy: LATEST, window: PT6H, maxRuns: 7}
        retry: {maxAttempts: 4, backoff: PT5S, multiplier: 1.5, maxBackoff: PT1M}
        target: {nodeSelector: {zone: eu1, host: web1}}
        ---
        name: full-http
        labels: {set: full}
        schedule: "0 7 * * MON-FRI"
        http:
          method: POST
          url: http://127.0.0.1:9/hook
          headers: {X-A: b}
          body: "{}"
          timeoutSeconds: 5
          expectStatus: [200, 204]
        ---
        name: full-noop
        labels: {set: full}
        schedule: "@every 30s"
        noop: {}
        """);
    assertThat(cli("apply", "-f", jobs.toString(), "--owner", "git:full").ok().out())
        .contains("3 created");

    Path yaml = dir.resolve("exported.yaml");
    Files.writeString(yaml, cli("export", "--label", "set=full").ok().out());
    Path json = dir.resolve("exported.json");
    Files.writeString(json, cli("export", "--label", "set=full", "-o", "json").ok().out());
    Path listed = dir.resolve("listed.json");
    Files.writeString(
        listed,
        cli("job", "ls", "--label", "set=full", "--json").ok().json().get("items").toString());
    for (Path back : List.of(yaml, json, listed)) {
      assertThat(cli("apply", "-f", back.toString(), "--owner", "git:full").ok().lines())
          .as(back.getFileName().toString())
          .containsExactly("0 created, 0 updated, 3 unchanged, 0 deleted");
    }
    assertThat(Files.readString(yaml))
        .doesNotContain("status", "nextFireTimes", "managedBy", "null");
    Result xml = cli("export", "-o", "xml");
    assertThat(xml.code()).isEqualTo(2);
    assertThat(xml.err()).startsWith("-o must be yaml or json");
  }

  /** The GitOps example in ops/ is valid as it stands: a dry run would create each of its jobs. */
  @Test
  void theGitOpsExampleApplies() {
    Result dry =
        cli("apply", "-f", "ops/gitops/jobs", "--owner", "git:ops-jobs", "--dry-run", "--json")
            .ok();
    List<String> outcomes = new ArrayList<>();
    dry.json().get("jobs").forEach(j -> outcomes.add(j.get("outcome").asText()));
    assertThat(outcomes).hasSize(4).containsOnly("created");
  }

  @Test
  void addFromJsonAndYamlFiles(@TempDir Path dir) throws IOException {
    Path json = dir.resolve("job.json");
    Files.writeString(
        json,
        """
        {"name": "from-json", "schedule": "0 5 * * *", "timezone": "America/New_York",
         "http": {"method": "POST", "url": "http://127.0.0.1:9/hook", "headers": {"X-A": "b"}, "expectStatus": [200, 204]},
         "labels": {"src": "json"}}
        """);
    JsonNode created = cli("job", "add", "-f", json.toString(), "--json").ok().json();
    assertThat(created.get("name").asText()).isEqualTo("from-json");
    assertThat(created.get("http").get("method").asText()).isEqualTo("POST");
    assertThat(created.get("http").get("expectStatus").toString()).isEqualTo("[200,204]");
    assertThat(cli("job", "show", "from-json").ok().out())
        .contains("POST http://127.0.0.1:9/hook", "X-A=b");

    Path yaml = dir.resolve("job.yaml");
    Files.writeString(
        yaml,
        """
        # the same fields as the API's JSON
        name: from-yaml
        description: nightly report
        schedule: "*/10 * * * *"
        timezone: Europe/Paris
        labels:
          team: data
        shell:
          command: ./report.sh --all
          env:
            MODE: full
        timeoutSeconds: 120
        retry:
          maxAttempts: 2
          backoff: PT5S
        catchUp:
          policy: NONE
        """);
    Result added = cli("job", "add", "-f", yaml.toString()).ok();
    assertThat(added.out()).startsWith("created job from-yaml");
    JsonNode job = cli("job", "show", "from-yaml", "--json").ok().json();
    assertThat(job.get("shell").get("command").asText()).isEqualTo("./report.sh --all");
    assertThat(job.get("shell").get("env").get("MODE").asText()).isEqualTo("full");
    assertThat(job.get("timezone").asText()).isEqualTo("Europe/Paris");
    assertThat(job.get("timeoutSeconds").asInt()).isEqualTo(120);
    assertThat(job.get("retry").get("backoff").asText()).isEqualTo("PT5S");
    assertThat(job.get("catchUp").get("policy").asText()).isEqualTo("NONE");

    // Flags win over the file: one file, a second job.
    cli("job", "add", "-f", yaml.toString(), "--name", "from-yaml-2", "--tz", "UTC").ok();
    JsonNode copy = cli("job", "show", "from-yaml-2", "--json").ok().json();
    assertThat(copy.get("timezone").asText()).isEqualTo("UTC");
    assertThat(copy.get("description").asText()).isEqualTo("nightly report");

    Path unquoted = dir.resolve("unquoted.yaml");
    Files.writeString(unquoted, "name: x\nschedule: */5 * * * *\nnoop: {}\n");
    assertThat(oneLineError(cli("job", "add", "-f", unquoted.toString()), 2))
        .startsWith("distcron: cannot parse " + unquoted + " at line 2")
        .endsWith("(quote a value that starts with '*')");

    Path broken = dir.resolve("broken.yaml");
    Files.writeString(broken, "name: [unclosed\n");
    assertThat(oneLineError(cli("job", "add", "-f", broken.toString()), 2))
        .startsWith("distcron: cannot parse");
    assertThat(oneLineError(cli("job", "add", "-f", dir.resolve("none.json").toString()), 2))
        .isEqualTo("distcron: cannot read " + dir.resolve("none.json") + ": no such file");
  }

  @Test
  void editWithFlagsKeepsTheRestAndEditWithAFileReplaces(@TempDir Path dir) throws IOException {
    cli(
            "job",
            "add",
            "--name",
            "editable",
            "--schedule",
            "0 5 * * *",
            "--shell",
            "echo one",
            "--env",
            "K=v",
            "--label",
            "team=ops",
            "--retry-max",
            "4")
        .ok();

    Result edited = cli("job", "edit", "editable", "--schedule", "0 6 * * *").ok();
    assertThat(edited.out()).startsWith("updated job editable");
    JsonNode job = cli("job", "show", "editable", "--json").ok().json();
    assertThat(job.get("schedule").asText()).isEqualTo("0 6 * * *");
    assertThat(job.get("shell").get("env").get("K").asText()).isEqualTo("v");
    assertThat(job.get("labels").get("team").asText()).isEqualTo("ops");
    assertThat(job.get("retry").get("maxAttempts").asInt()).isEqualTo(4);

    JsonNode noop = cli("job", "edit", "editable", "--noop", "--json").ok().json();
    assertThat(noop.has("shell")).isFalse();
    assertThat(noop.get("noop").isObject()).isTrue();

    Path yaml = dir.resolve("edit.yaml");
    Files.writeString(yaml, "schedule: '@hourly'\nshell:\n  command: echo replaced\n");
    JsonNode replaced = cli("job", "edit", "editable", "-f", yaml.toString(), "--json").ok().json();
    assertThat(replaced.get("schedule").asText()).isEqualTo("@hourly");
    assertThat(replaced.get("shell").get("command").asText()).isEqualTo("echo replaced");
    assertThat(replaced.get("labels").isNull() || replaced.get("labels").isEmpty()).isTrue();

    Result nothing = cli("job", "edit", "editable");
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("nothing to change");
    assertThat(oneLineError(cli("job", "edit", "no-such-job", "--schedule", "@daily"), 1))
        .isEqualTo("distcron: job 'no-such-job' not found");
  }

  @Test
  void pauseAndResume() {
    cli("job", "add", "--name", "pausable", "--schedule", "@hourly", "--noop").ok();
    assertThat(cli("job", "pause", "pausable").ok().out()).isEqualTo("paused job pausable\n");
    assertThat(cli("job", "show", "pausable", "--json").ok().json().get("status").asText())
        .isEqualTo("PAUSED");
    String row =
        cli("job", "ls").ok().lines().stream()
            .filter(l -> l.startsWith("pausable "))
            .findFirst()
            .orElseThrow();
    assertThat(row).contains("PAUSED");

    JsonNode resumed = cli("job", "resume", "pausable", "--json").ok().json();
    assertThat(resumed.get("status").asText()).isEqualTo("ACTIVE");
    assertThat(cli("job", "resume", "pausable").ok().out())
        .startsWith("resumed job pausable (next: ");
  }

  @Test
  void backfillRunsThePastTicksAndCancelSkipsWhatIsLeft() {
    cli("job", "add", "--name", "filler", "--schedule", "@hourly", "--shell", "sleep 30").ok();
    Result usage = cli("job", "backfill", "filler", "--from", "2026-11-01T00:00:00Z");
    assertThat(usage.code()).isEqualTo(2);
    assertThat(usage.err()).startsWith("--from and --to are required");
    assertThat(
            oneLineError(
                cli(
                    "job",
                    "backfill",
                    "filler",
                    "--from",
                    "2026-11-01T00:00:00Z",
                    "--to",
                    "2026-11-01T00:00:00Z"),
                1))
        .contains("to must be after from");
    assertThat(
            cli(
                    "job",
                    "backfill",
                    "filler",
                    "--from",
                    "2026-11-01T00:00:00Z",
                    "--to",
                    "2026-11-01T03:00:00Z",
                    "--overlap",
                    "queue")
                .ok()
                .out())
        .isEqualTo("backfill of job filler: 3 ticks to run, 0 left out\n");
    assertThat(
            cli("job", "show", "filler", "--json").ok().json().get("backfill").get("ticks").asInt())
        .isEqualTo(3);
    Result cancelled = cli("job", "backfill", "filler", "--cancel", "--json").ok();
    // The first tick may have started, or not yet.
    assertThat(cancelled.json().get("cancelled").asInt()).isBetween(2, 3);
  }

  @Test
  void triggerThenListShowAndReadTheRun() {
    cli(
            "job",
            "add",
            "--name",
            "echoer",
            "--schedule",
            "@yearly",
            "--shell",
            "echo hello-from-cli; echo second")
        .ok();
    String first = trigger("echoer");
    awaitStatus(first, "SUCCEEDED");
    String second = trigger("echoer");
    awaitStatus(second, "SUCCEEDED");

    Result ls = cli("run", "ls", "echoer").ok();
    assertThat(ls.lines().get(0))
        .matches("ID +STATUS +REASON +ATTEMPT +SCHEDULED +STARTED +DURATION +NODE +EXIT");
    assertThat(ls.lines()).hasSize(3);
    assertThat(ls.lines().get(1)).startsWith(second + "  SUCCEEDED  MANUAL").endsWith(" 0");
    assertThat(ls.lines().get(2)).startsWith(first);

    JsonNode page = cli("run", "ls", "echoer", "--json").ok().json();
    assertThat(page.get("items").get(0).get("id").asText()).isEqualTo(second);

    Result one = cli("run", "ls", "echoer", "--limit", "1");
    assertThat(one.code()).isZero();
    assertThat(one.lines()).hasSize(2);
    assertThat(one.err()).startsWith("more: distcron run ls echoer --cursor ");

    String shown = cli("run", "show", first).ok().out();
    assertThat(shown)
        .contains("id:", first, "job:", "echoer", "status:", "SUCCEEDED", "reason:", "MANUAL")
        .contains("exit code:", "node:", "duration:", "--- output (tail) ---", "hello-from-cli");
    assertThat(cli("run", "show", first, "--json").ok().json().get("exitCode").asInt()).isZero();

    assertThat(cli("run", "logs", first).ok().out()).isEqualTo("hello-from-cli\nsecond\n");

    JsonNode last = cli("job", "show", "echoer", "--json").ok().json().get("lastRun");
    assertThat(last.get("id").asText()).isEqualTo(second);
    assertThat(cli("job", "show", "echoer").ok().out())
        .containsPattern("last run: +SUCCEEDED .* exit 0");
  }

  /** Calls back once the first line has come through, while the rest of the output is pending. */
  private static final class FirstLineWriter extends StringWriter {
    private final Runnable onFirstLine;
    private boolean seen;

    FirstLineWriter(Runnable onFirstLine) {
      this.onFirstLine = onFirstLine;
    }

    @Override
    public void write(char[] cbuf, int off, int len) {
      super.write(cbuf, off, len);
      if (!seen && toString().contains("line-1\n")) {
        seen = true;
        onFirstLine.run();
      }
    }
  }

  /**
   * The job prints its first line, then waits for a file that the test creates only once that line
   * has reached the CLI's stdout, then prints four more over ~2 s. A CLI that printed the body at
   * the end would see nothing until the job's 30 s safety limit ran out.
   */
  @Test
  void logsFollowStreamsWhileTheRunGoes(@TempDir Path dir) {
    Path go = dir.resolve("go");
    String script =
        "echo line-1; n=0; while [ ! -e '%s' ] && [ $n -lt 300 ]; do sleep 0.1; n=$((n+1)); done;"
                .formatted(go)
            + " for i in 2 3 4 5; do echo line-$i; sleep 0.5; done";
    cli("job", "add", "--name", "talker", "--schedule", "@yearly", "--shell", script).ok();
    String id = trigger("talker");
    awaitStatus(id, "PENDING", "RUNNING");

    AtomicReference<String> statusAtFirstLine = new AtomicReference<>();
    FirstLineWriter out =
        new FirstLineWriter(
            () -> {
              statusAtFirstLine.set(runStatus(id));
              try {
                Files.createFile(go);
              } catch (IOException e) {
                throw new AssertionError(e);
              }
            });
    long start = System.nanoTime();
    Result followed = cli(Map.of("DISTCRON_URL", url), out, "run", "logs", id, "-f");
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(followed.code()).isZero();
    assertThat(followed.err()).isEmpty();
    assertThat(followed.out()).isEqualTo("line-1\nline-2\nline-3\nline-4\nline-5\n");
    assertThat(statusAtFirstLine.get()).isEqualTo("RUNNING");
    assertThat(took).isGreaterThan(Duration.ofMillis(1500)).isLessThan(Duration.ofSeconds(25));
    assertThat(runStatus(id)).isEqualTo("SUCCEEDED");
    // A finished run: follow answers at once with the whole output.
    assertThat(cli("run", "logs", "--follow", id).ok().out())
        .startsWith("line-1\n")
        .endsWith("line-5\n");
  }

  @Test
  void killALongRun() {
    cli("job", "add", "--name", "sleeper", "--schedule", "@yearly", "--shell", "sleep 30").ok();
    String id = trigger("sleeper");
    awaitStatus(id, "RUNNING");

    assertThat(cli("run", "kill", id).ok().out()).isEqualTo("killing run " + id + "\n");
    awaitStatus(id, "KILLED");
    assertThat(cli("run", "ls", "sleeper").ok().lines().get(1)).startsWith(id + "  KILLED");
    assertThat(oneLineError(cli("run", "kill", id), 1)).contains("has already finished: KILLED");
  }

  @Test
  void nodes() {
    Result table = cli("nodes").ok();
    assertThat(table.lines().get(0))
        .matches("ADDRESS +ROLES +STATUS +RUNNING +CAPACITY +CPU +SELF +LABELS");
    assertThat(table.lines()).hasSize(2);
    assertThat(table.lines().get(1))
        .matches("127\\.0\\.0\\.1:\\d+ +executor,scheduler +Up +\\d+ +\\d+ +.+ +\\* +host=.+");

    JsonNode json = cli("--json", "nodes").ok().json();
    assertThat(json.get("items")).hasSize(1);
    assertThat(json.get("items").get(0).get("self").asBoolean()).isTrue();
  }

  @Test
  void rm() {
    cli("job", "add", "--name", "doomed", "--schedule", "@daily", "--noop").ok();
    assertThat(cli("job", "rm", "doomed").ok().out()).isEqualTo("deleted job doomed\n");
    assertThat(oneLineError(cli("job", "show", "doomed"), 1))
        .isEqualTo("distcron: job 'doomed' not found");
    assertThat(cli("job", "ls").ok().out()).doesNotContain("doomed");
  }

  @Test
  void apiErrorsAreOneLineAndExitOne() {
    String badCron =
        oneLineError(cli("job", "add", "--name", "bad", "--schedule", "not a cron", "--noop"), 1);
    assertThat(badCron).endsWith("(field: schedule)");
    String badZone =
        oneLineError(
            cli(
                "job",
                "add",
                "--name",
                "bad",
                "--schedule",
                "@daily",
                "--tz",
                "Mars/Base",
                "--noop"),
            1);
    assertThat(badZone).endsWith("(field: timezone)");
    assertThat(oneLineError(cli("job", "add", "--name", "bad", "--schedule", "@daily"), 1))
        .endsWith("(field: action)");
    assertThat(oneLineError(cli("job", "pause", "nope"), 1))
        .isEqualTo("distcron: job 'nope' not found");
    assertThat(oneLineError(cli("job", "trigger", "nope"), 1))
        .isEqualTo("distcron: job 'nope' not found");
    assertThat(oneLineError(cli("run", "show", "no-such-run"), 1))
        .isEqualTo("distcron: run 'no-such-run' not found");
    assertThat(oneLineError(cli("run", "logs", "-f", "no-such-run"), 1))
        .isEqualTo("distcron: run 'no-such-run' not found");
    cli("job", "add", "--name", "twice", "--schedule", "@daily", "--noop").ok();
    assertThat(
            oneLineError(cli("job", "add", "--name", "twice", "--schedule", "@daily", "--noop"), 1))
        .endsWith("(field: name)");
  }

  @Test
  void usageErrorsExitTwo() {
    Result bogus = cli("job", "ls", "--bogus");
    assertThat(bogus.code()).isEqualTo(2);
    assertThat(bogus.err())
        .startsWith("Unknown option: '--bogus'")
        .contains("Usage: distcron job ls");
    assertThat(bogus.out()).isEmpty();

    Result twoActions =
        cli("job", "add", "--name", "x", "--schedule", "@daily", "--shell", "true", "--noop");
    assertThat(twoActions.code()).isEqualTo(2);
    assertThat(twoActions.err()).startsWith("give one action, not --shell and --noop");

    Result envWithoutShell =
        cli("job", "add", "--name", "x", "--schedule", "@daily", "--noop", "--env", "A=1");
    assertThat(envWithoutShell.code()).isEqualTo(2);
    assertThat(envWithoutShell.err()).startsWith("--env only applies to a shell job");

    Result badTimeout =
        cli("job", "add", "--name", "x", "--schedule", "@daily", "--noop", "--timeout", "soon");
    assertThat(badTimeout.code()).isEqualTo(2);
    assertThat(badTimeout.err()).contains("--timeout", "'soon' is not a duration");

    Result group = cli("job");
    assertThat(group.code()).isEqualTo(2);
    assertThat(group.err())
        .startsWith("Missing subcommand: add, ls, show, edit, rm, pause, resume, trigger");
    assertThat(cli("run", "logs").code()).isEqualTo(2);
    assertThat(cli("nope").code()).isEqualTo(2);

    assertThat(oneLineError(cli("--url", "ftp://x", "nodes"), 2))
        .isEqualTo("distcron: --url must be an http:// or https:// URL, not 'ftp://x'");
  }

  @Test
  void unreachableNode() throws IOException {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    String dead = "http://127.0.0.1:" + port;
    assertThat(oneLineError(cli("--url", dead, "job", "ls"), 1))
        .isEqualTo("distcron: cannot reach " + dead + ": connection refused");
    assertThat(
            oneLineError(
                cli(Map.of("DISTCRON_URL", dead), new StringWriter(), "run", "logs", "-f", "x"), 1))
        .isEqualTo("distcron: cannot reach " + dead + ": connection refused");
  }

  @Test
  void urlFromFlagAnywhereOrEnvAndTheDefault() {
    cli("job", "add", "--name", "reach", "--schedule", "@daily", "--noop").ok();
    Map<String, String> noEnv = Map.of();
    assertThat(cli(noEnv, new StringWriter(), "--url", url, "job", "ls").ok().out())
        .contains("reach ");
    assertThat(cli(noEnv, new StringWriter(), "job", "ls", "--url", url + "/api/v1/").ok().out())
        .contains("reach ");
    // No flag: the environment; neither: the documented default. Checked without a request, as
    // anything may listen on 8080 on a shared machine.
    Cli fromEnv = new Cli(Map.of("DISTCRON_URL", "http://example.test:9000/"), () -> 0);
    new CommandLine(fromEnv).parseArgs("nodes");
    assertThat(fromEnv.api().baseUrl()).isEqualTo("http://example.test:9000");
    Cli bare = new Cli(Map.of(), () -> 0);
    new CommandLine(bare).parseArgs("nodes");
    assertThat(bare.api().baseUrl()).isEqualTo("http://127.0.0.1:8080");
  }

  @Test
  void tokenIsSentAsBearerAndForeignErrorsStayOneLine() throws IOException {
    AtomicReference<String> auth = new AtomicReference<>();
    HttpServer fake = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    fake.createContext(
        "/",
        ex -> {
          auth.set(ex.getRequestHeaders().getFirst("Authorization"));
          byte[] body =
              "<html>\n<h1>502 Bad Gateway</h1>\n</html>".getBytes(StandardCharsets.UTF_8);
          ex.sendResponseHeaders(502, body.length);
          ex.getResponseBody().write(body);
          ex.close();
        });
    fake.start();
    try {
      String base = "http://127.0.0.1:" + fake.getAddress().getPort();
      assertThat(oneLineError(cli("--url", base, "--token", "s3cret", "nodes"), 1))
          .isEqualTo("distcron: HTTP 502: <html>");
      assertThat(auth.get()).isEqualTo("Bearer s3cret");

      Map<String, String> env = new HashMap<>();
      env.put("DISTCRON_URL", base);
      env.put("DISTCRON_TOKEN", "from-env");
      cli(env, new StringWriter(), "nodes");
      assertThat(auth.get()).isEqualTo("Bearer from-env");

      cli("--url", base, "nodes");
      assertThat(auth.get()).isNull();
    } finally {
      fake.stop(0);
    }
  }

  @Test
  void tokenFromFlagOrEnvAgainstASecuredNode() throws Exception {
    String admin = "cli-test-admin-secret-0123456789";
    try (Node secured =
        TestNodes.start(
            TestNodes.dbConfig("h2", "cliauth"), Map.of("distcron.auth.admin-token", admin))) {
      String base = secured.apiUrl().replace("/api/v1", "");
      Map<String, String> env = new HashMap<>(Map.of("DISTCRON_URL", base));

      assertThat(oneLineError(cli(env, new StringWriter(), "job", "ls"), 1))
          .isEqualTo(
              "distcron: a valid bearer token is required (field: Authorization);"
                  + " give --token or set DISTCRON_TOKEN");
      assertThat(oneLineError(cli(env, new StringWriter(), "--token", "wrong", "nodes"), 1))
          .endsWith("; check the token");

      Result added =
          cli(
              env,
              new StringWriter(),
              "job",
              "add",
              "--token",
              admin,
              "--name",
              "guarded",
              "--schedule",
              "@daily",
              "--noop");
      assertThat(added.code()).as(added.err()).isZero();
      assertThat(added.out()).startsWith("created job guarded");

      env.put("DISTCRON_TOKEN", admin);
      Result ls = cli(env, new StringWriter(), "job", "ls");
      assertThat(ls.code()).as(ls.err()).isZero();
      assertThat(ls.out()).contains("guarded ");
    }
  }

  @Test
  void serverCommandRunsTheInjectedServer() {
    assertThat(cli("server").code()).isEqualTo(42);
    Result help = cli("--help");
    assertThat(help.code()).isZero();
    assertThat(help.out()).contains("server", "job", "run", "nodes", "--url", "--json");
  }
}
