package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.run.RunStatus;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Every {@link ShellRunnerTest} again, with a watchdog fed all along and every run recorded; then
 * what the watchdog must not change: a command's exit code, output, input and environment are those
 * it has without one.
 */
class ShellRunnerWithWatchdogTest extends ShellRunnerTest {

  private static final Duration LONG = Duration.ofSeconds(10);
  private static final Heartbeats FED = new Heartbeats(() -> true);

  @TempDir static Path runs;

  @Override
  ShellRunner runner(int tailBytes) {
    return new ShellRunner(tailBytes, Duration.ofMillis(500), FED, runs);
  }

  @AfterAll
  static void stopFeeding() {
    FED.close();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "exit 3",
        "echo out; echo err >&2; exit 0",
        "printf 'no newline'",
        "echo \"double \\\"quoted\\\"\" 'single '\"'\"'quoted'\"'\"' $HOME \\$HOME `echo tick`",
        "echo one\necho 'two\nlines'\n  exit 4\n",
        "printf '%s|' \"a\\\\b\" '*' \"$(echo sub)\" '%d' '\t' ; echo",
        "echo héllo ✓ $0 \"$@\" $#",
        "read line; echo \"read=$? [$line]\"",
        "cat; echo cat=$?",
        "head -c 10 /dev/stdin | wc -c",
        "kill -TERM $$",
        "kill -KILL $$",
        "sh -c 'kill -INT $$'; echo after=$?",
        "exec 1>&-; echo gone",
        "ls /proc/self/fd | sort",
        "trap 'echo got HUP' HUP; kill -HUP $$; echo on",
      })
  void aCommandEndsAsItWouldWithoutTheWatchdog(String command) throws Exception {
    Result without =
        new ShellRunner(64 * 1024, Duration.ofMillis(500))
            .start(command, null, null, null)
            .await(LONG);

    Result with = runner.start(command, null, null, null).await(LONG);

    assertThat(with).isEqualTo(without);
  }

  @Test
  void theCommandSeesTheEnvironmentItWouldWithoutTheWatchdog(@TempDir Path dir) throws Exception {
    Path sourced = dir.resolve("sourced.sh");
    Files.writeString(sourced, "echo sourced by bash\n");
    Map<String, String> env = new HashMap<>();
    // bash would act on all these at startup, or change them.
    env.put("BASH_ENV", sourced.toString());
    env.put("SHELLOPTS", "xtrace");
    env.put("BASHOPTS", "xpg_echo");
    env.put("SHLVL", "7");
    env.put("BASH_FUNC_read%%", "() { echo fake read; }");
    env.put("_", "/usr/bin/something");
    env.put("ODD", "new\nline = 'q' \"dq\" $HOME \\");
    String command =
        "env | sort; printf '[%s]\\n' \"$ODD\" \"$BASH_ENV\"; bash -c 'echo $SHLVL $-'";

    Result without =
        new ShellRunner(64 * 1024, Duration.ofMillis(500))
            .start(command, env, null, null)
            .await(LONG);
    Result with = runner.start(command, env, null, null).await(LONG);

    assertThat(with).isEqualTo(without);
    assertThat(with.outputTail())
        .contains("SHELLOPTS=xtrace\n", "SHLVL=7\n", "[new\nline = 'q' \"dq\" $HOME \\]\n")
        .contains("[" + sourced + "]\n", "sourced by bash\n");
  }

  @Test
  void aVariableNamedLikeTheWatchdogsOwnIsDropped() throws Exception {
    Map<String, String> env = Map.of(Watchdog.KEEP + "0", "INJECTED=1");

    Result r = runner.start("env | grep -c INJECTED", env, null, null).await(LONG);

    assertThat(r.outputTail()).isEqualTo("0\n");
  }

  @Test
  void aRunIsRecordedWhileItRuns() throws Exception {
    String m = marker();
    Execution ex = runner.start("run-17", "sleep " + m, null, null, null);
    Path file = runs.resolve(ex.pid() + ".pid");

    assertThat(Files.readString(file))
        .isEqualTo(
            "pid "
                + ex.pid()
                + "\nstart "
                + ProcessTree.startTime(ex.pid()).orElseThrow()
                + "\nrun run-17\n");
    ex.kill();
    assertThat(ex.await(LONG).status()).isEqualTo(RunStatus.KILLED);
    assertThat(file).doesNotExist();
  }

  @Test
  void withoutBashARunHasNoWatchdogAndStillRuns() throws Exception {
    ShellRunner noBash =
        new ShellRunner(
            1024,
            Duration.ofMillis(500),
            ShellRunner.DEFAULT_OUTPUT_DRAIN,
            FED,
            null,
            "/nonexistent/bash");

    // No watchdog: the shell's parent is the JVM, and its stdin /dev/null.
    Execution ex = noBash.start("cat /proc/$PPID/comm; cat; exit 3", null, null, null);

    assertThat(ex.await(LONG)).isEqualTo(new Result(RunStatus.FAILED, 3, "java\n", "exit code 3"));
  }
}
