package io.distcron.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** crontab(5) files as distcron jobs: what each kind of line becomes. */
class CrontabTest {

  /** A user's crontab as people write them: a header, environment, names, ranges, steps. */
  static final String ALICE =
      """
      # Edit this file to introduce tasks to be run by cron.
      # m h  dom mon dow   command
      SHELL=/bin/bash
      PATH=/usr/local/bin:/usr/bin:/bin
      MAILTO=ops@example.com
      CRON_TZ=Europe/Berlin

      # name: db-backup
      30 2 * * * pg_dump app > /backups/app-$(date +\\%F).sql
      */15 9-17 * * 1-5 /usr/local/bin/poll.sh --quiet
      @daily   find /tmp -mtime +7 -delete
      0 8 * * mon mail -s "weekly" ops%Hello,%the report.
      LOG_LEVEL="debug"
      5 4 1,15 * * /opt/report.sh 2>&1 | logger -t report
      """;

  private static final Crontab.Options ANYWHERE = new Crontab.Options("alice-", null, null, false);

  private static List<ObjectNode> jobs(String text, Crontab.Options options) {
    return Crontab.parse(text, "alice", options).jobs();
  }

  @Test
  void everyEntryBecomesAJobWithItsScheduleZoneAndEnvironment() {
    Crontab.Parsed parsed = Crontab.parse(ALICE, "alice", ANYWHERE);
    List<ObjectNode> jobs = parsed.jobs();
    assertThat(jobs)
        .extracting(j -> j.get("name").asText())
        .containsExactly(
            "alice-db-backup", "alice-line-10", "alice-line-11", "alice-line-12", "alice-line-14");
    assertThat(jobs)
        .extracting(j -> j.get("schedule").asText())
        .containsExactly(
            "30 2 * * *", "*/15 9-17 * * 1-5", "@daily", "0 8 * * mon", "5 4 1,15 * *");
    assertThat(jobs)
        .allSatisfy(j -> assertThat(j.get("timezone").asText()).isEqualTo("Europe/Berlin"));
    assertThat(jobs.get(0).at("/shell/env/PATH").asText())
        .isEqualTo("/usr/local/bin:/usr/bin:/bin");
    // An environment line counts for the entries after it only, as in Vixie cron.
    assertThat(jobs.get(3).at("/shell/env/LOG_LEVEL").isMissingNode()).isTrue();
    assertThat(jobs.get(4).at("/shell/env/LOG_LEVEL").asText()).isEqualTo("debug");
    assertThat(jobs.get(0).has("target")).isFalse();
    assertThat(jobs.get(0).get("description").asText())
        .isEqualTo("from alice: 30 2 * * * pg_dump app > /backups/app-$(date +\\%F).sql");
    assertThat(parsed.warnings()).singleElement().asString().contains("alice:5", "MAILTO");
  }

  @Test
  void theShellLineHandsCommandsToThatShell() {
    String command = jobs(ALICE, ANYWHERE).get(0).at("/shell/command").asText();
    assertThat(command).isEqualTo("exec /bin/bash -c 'pg_dump app > /backups/app-$(date +%F).sql'");
  }

  @Test
  void percentSignsGiveStandardInputAsCrontabDefinesThem() throws Exception {
    String command = Crontab.command("tr a-z A-Z%one%two \\% three%", null);
    assertThat(run(command)).isEqualTo("ONE\nTWO % THREE\n\n");
    assertThat(run(Crontab.command("echo 100\\%", null))).isEqualTo("100%\n");
    assertThat(run(Crontab.command("echo 'it''s'%ignored", "/bin/bash"))).isEqualTo("its\n");
  }

  private static String run(String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("/bin/sh", "-c", command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
  }

  @Test
  void hostUserAndSystemCrontabs() {
    JsonNode pinned = jobs(ALICE, new Crontab.Options("a-", "alice", "web1", false)).get(1);
    assertThat(pinned.at("/target/nodeSelector/host").asText()).isEqualTo("web1");
    assertThat(pinned.at("/shell/user").asText()).isEqualTo("alice");
    assertThat(pinned.get("name").asText()).isEqualTo("a-line-10");

    String system =
        """
        17 *  * * *  root    cd / && run-parts --report /etc/cron.hourly
        @weekly      backup  /usr/local/bin/full-backup
        """;
    List<ObjectNode> jobs = jobs(system, new Crontab.Options("etc-", null, null, true));
    assertThat(jobs)
        .extracting(j -> j.at("/shell/user").asText(), j -> j.at("/shell/command").asText())
        .containsExactly(
            org.assertj.core.groups.Tuple.tuple(
                "root", "cd / && run-parts --report /etc/cron.hourly"),
            org.assertj.core.groups.Tuple.tuple("backup", "/usr/local/bin/full-backup"));
  }

  @Test
  void linesThatCannotBeImportedAreAllNamedAndNothingIsImported() {
    String bad =
        """
        @reboot /usr/local/bin/start-agent
        # name: twice
        0 * * * * a
        # name: twice
        1 * * * * b
        0 12 * *
        @fortnightly c
        """;
    assertThatThrownBy(() -> jobs(bad, ANYWHERE))
        .isInstanceOf(CliException.class)
        .hasMessageContaining("alice:1: @reboot has no distcron equivalent")
        .hasMessageContaining("alice:5: a second job named alice-twice")
        .hasMessageContaining("alice:6: expected 5 time fields and a command")
        .hasMessageContaining("alice:7: unknown macro @fortnightly")
        .hasMessageStartingWith("nothing imported");
  }

  @Test
  void aPrefixComesFromTheFilesName() {
    assertThat(Crontab.prefixOf("alice")).isEqualTo("alice-");
    assertThat(Crontab.prefixOf(".Hidden Tab")).isEqualTo("hidden-tab-");
    assertThat(Crontab.prefixOf("---")).isEqualTo("crontab-");
  }
}
