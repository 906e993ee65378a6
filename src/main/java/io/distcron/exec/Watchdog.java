package io.distcron.exec;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A run's watchdog: the bash script a shell run is started under, and, in the JVM, what the run
 * needs to end it ({@link #end}).
 *
 * <p>The JVM starts {@code setsid /bin/bash -c SCRIPT distcron-watchdog TIMEOUT COMMAND} with a
 * pipe from the JVM ({@link Heartbeats}) as stdin. setsid makes bash the leader of a new process
 * group, the run's. The script
 *
 * <ol>
 *   <li>starts the watcher, a background subshell that reads the pipe one byte at a time with
 *       {@code read -t TIMEOUT}; on EOF (every writer is gone: the JVM died) or on a timeout (the
 *       JVM stopped feeding) it sends SIGKILL to the whole group, itself and the script included.
 *       The script then gives up its own stdin, so the watcher holds the only reading end: once it
 *       is gone, the JVM's next write fails and the run is no longer fed;
 *   <li>runs {@code /bin/sh -c COMMAND} in the foreground (a background command would start with
 *       INT and QUIT ignored), in the same group, with stdin from /dev/null and the script's own
 *       stdout and stderr;
 *   <li>kills the watcher and exits with the command's status: its exit code, or 128 + the signal
 *       that ended it, the code Java reports for a process ended by a signal. So the run's exit
 *       code is what it would be without the watchdog. A background child the command leaves
 *       running is no longer watched, and lives on as it would under cron.
 * </ol>
 *
 * <p>The watcher ignores TERM, INT and HUP; the script catches them with a trap that does nothing,
 * so they wait until the command is over, and the command still starts with their default action.
 * So {@link Execution#kill()} ends the command (TERM, then KILL to the group) and the script exits
 * with the command's status. Whatever bash itself prints (job reports such as "Killed") goes to
 * /dev/null: only the command's output reaches the run. The command travels as an argument, never
 * inside the script's text.
 *
 * <p>bash reads some variables at startup that would change the script: {@code BASH_ENV} (a file it
 * sources), {@code SHELLOPTS} and {@code BASHOPTS} (options, e.g. xtrace) and exported functions
 * ({@code BASH_FUNC_*}), which could replace a builtin. And it sets {@code SHLVL} and {@code _}. So
 * those are taken out of bash's environment and passed through in {@code DISTCRON_WATCHDOG_KEEP_n}
 * variables, from which the script gives the command, through {@code /usr/bin/env}, exactly the
 * environment it would have had without the watchdog.
 */
final class Watchdog {

  static final String BASH = "/bin/bash";
  static final String ENV = "/usr/bin/env";
  static final String KEEP = "DISTCRON_WATCHDOG_KEEP_"; // spelled out in SCRIPT too

  // $1: the timeout in seconds, $2: the command. Every expansion is quoted: IFS is never relied on.
  static final String SCRIPT =
      """
      t=$1 c=$2 k=()
      for v in "${!DISTCRON_WATCHDOG_KEEP_@}"; do k+=("${!v}"); unset "$v"; done
      trap : TERM INT HUP
      (trap '' TERM INT HUP
       while read -r -n 1 -t "$t" _; do :; done
       kill -KILL -- "-$$") <&0 >/dev/null 2>&1 &
      w=$!
      exec </dev/null 3>&2 2>/dev/null
      /usr/bin/env -u _ -u SHLVL "${k[@]}" /bin/sh -c "$c" 2>&3 3>&-
      r=$?
      kill -KILL "$w"
      exit "$r"
      """;

  private final Heartbeats.Feed feed; // null: not fed (no watchdog)
  private final Path pidFile; // null: not recorded

  Watchdog(Heartbeats.Feed feed, Path pidFile) {
    this.feed = feed;
    this.pidFile = pidFile;
  }

  /** True when this machine has what the watchdog needs. */
  static boolean available(String bash) {
    return Files.isExecutable(Path.of(bash)) && Files.isExecutable(Path.of(ENV));
  }

  /** The argv, after setsid, of a run of {@code command} whose watchdog waits {@code timeout}. */
  static List<String> argv(String bash, Duration timeout, String command) {
    long ms = timeout.toMillis();
    String seconds = String.format(Locale.ROOT, "%d.%03d", ms / 1000, ms % 1000);
    return List.of(bash, "-c", SCRIPT, "distcron-watchdog", seconds, command);
  }

  /**
   * Moves what bash would act on, or change, out of its environment into {@code KEEP} variables,
   * for the script to hand back to the command.
   */
  static void shelter(Map<String, String> env) {
    env.keySet().removeIf(name -> name.startsWith(KEEP));
    List<String> kept = new ArrayList<>();
    for (Iterator<Map.Entry<String, String>> it = env.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, String> e = it.next();
      if (bashReads(e.getKey())) {
        kept.add(e.getKey() + "=" + e.getValue());
        it.remove();
      }
    }
    for (int i = 0; i < kept.size(); i++) {
      env.put(KEEP + i, kept.get(i));
    }
  }

  private static boolean bashReads(String name) {
    return switch (name) {
      case "BASH_ENV", "SHELLOPTS", "BASHOPTS", "SHLVL", "_" -> true;
      default -> name.startsWith("BASH_FUNC_");
    };
  }

  /**
   * Why the watchdog killed the run, if it did: the run was ended by SIGKILL at {@code exitedAt} (a
   * {@link System#nanoTime()}) after going unfed for longer than the watchdog waits.
   */
  Optional<String> killedItAt(long exitedAt) {
    return feed == null ? Optional.empty() : feed.starvedAt(exitedAt);
  }

  /**
   * The run is over: stop feeding it, close its pipe (a watchdog still reading it would kill what
   * is left of the group) and forget its pid file.
   */
  void end() {
    if (feed != null) {
      feed.stop();
    }
    if (pidFile != null) {
      Leftovers.forget(pidFile);
    }
  }
}
