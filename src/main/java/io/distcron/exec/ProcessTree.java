package io.distcron.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Finds and signals the processes of one run: the descendants of its shell, plus, on Linux, every
 * live member of its process group, which catches background children already orphaned by an exited
 * parent.
 */
final class ProcessTree {

  static final long NO_GROUP = -1;

  private static final Path PROC = Path.of("/proc");
  private static final Duration POLL = Duration.ofMillis(20);

  private ProcessTree() {}

  /**
   * The process group led by {@code pid}, or {@link #NO_GROUP}. Only a group the process leads is
   * ever signalled: without setsid the shell shares the JVM's group, and signalling that would kill
   * the JVM.
   */
  static long groupLedBy(long pid) {
    return stat(pid).filter(s -> s.pgrp() == pid).map(s -> pid).orElse(NO_GROUP);
  }

  /** Live processes: each root, its descendants, and the live members of {@code group}. */
  static Set<ProcessHandle> members(Collection<ProcessHandle> roots, long group) {
    Set<ProcessHandle> out = new LinkedHashSet<>();
    for (ProcessHandle root : roots) {
      if (root.isAlive()) {
        out.add(root);
        root.descendants().forEach(out::add);
      }
    }
    if (group != NO_GROUP) {
      for (long pid : livePidsInGroup(group)) {
        ProcessHandle.of(pid).ifPresent(out::add);
      }
    }
    out.removeIf(p -> !running(p));
    return out;
  }

  /** Signals every member, and the group as a whole so a process forked meanwhile gets it too. */
  static void signal(Set<ProcessHandle> members, long group, boolean force)
      throws InterruptedException {
    if (group != NO_GROUP) {
      signalGroup(group, force ? "KILL" : "TERM");
    }
    for (ProcessHandle p : members) {
      if (force) {
        p.destroyForcibly();
      } else {
        p.destroy();
      }
    }
  }

  /**
   * Waits until no process of {@code members} is running; false when the wait ran out.
   *
   * <p>This polls, because Java offers no wait for a process that is not its child, and because a
   * zombie must count as gone: an orphan's zombie lingers until init reaps it, which a container's
   * init may do late or never, and {@link ProcessHandle#isAlive()} still says true for it. Only
   * kills wait here.
   */
  static boolean awaitExit(Set<ProcessHandle> members, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    while (members.stream().anyMatch(ProcessTree::running)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      Thread.sleep(Math.max(1, Math.min(POLL.toMillis(), TimeUnit.NANOSECONDS.toMillis(left))));
    }
    return true;
  }

  /**
   * Alive and not a zombie. {@code isAlive} also guards against a reused pid (it checks start
   * time).
   */
  static boolean running(ProcessHandle p) {
    return p.isAlive() && stat(p.pid()).map(Stat::live).orElse(true);
  }

  /** Java cannot signal a group itself; the shell's kill builtin takes a negative pid for that. */
  private static void signalGroup(long group, String signal) throws InterruptedException {
    try {
      Process kill =
          new ProcessBuilder(
                  "/bin/sh", "-c", "kill -s " + signal + " -- -" + group + " 2>/dev/null")
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectErrorStream(true)
              .start();
      if (!kill.waitFor(2, TimeUnit.SECONDS)) {
        kill.destroyForcibly();
      }
    } catch (IOException e) {
      // Members are still signalled one by one; only a process forked at this instant could escape.
    }
  }

  private static Set<Long> livePidsInGroup(long group) {
    Set<Long> out = new LinkedHashSet<>();
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(PROC, "[0-9]*")) {
      for (Path dir : dirs) {
        long pid = Long.parseLong(dir.getFileName().toString());
        stat(pid).filter(s -> s.pgrp() == group && s.live()).ifPresent(s -> out.add(pid));
      }
    } catch (IOException | RuntimeException e) {
      // No /proc (not Linux): descendants are all we can find.
    }
    return out;
  }

  /**
   * When {@code pid} started, in clock ticks since boot (field 22 of /proc/[pid]/stat): with the
   * pid, it names one process for good, as a pid alone may be reused.
   */
  static OptionalLong startTime(long pid) {
    return stat(pid).map(s -> OptionalLong.of(s.startTime())).orElse(OptionalLong.empty());
  }

  private record Stat(char state, long pgrp, long startTime) {
    boolean live() {
      return state != 'Z' && state != 'X';
    }
  }

  /**
   * Parses /proc/[pid]/stat: "pid (comm) state ppid pgrp ... starttime ..."; comm may itself
   * contain ") ".
   */
  private static Optional<Stat> stat(long pid) {
    try {
      // Latin-1 decodes any byte, so an odd process name cannot fail the parse.
      String s =
          Files.readString(
              PROC.resolve(Long.toString(pid)).resolve("stat"), StandardCharsets.ISO_8859_1);
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return Optional.of(new Stat(f[0].charAt(0), Long.parseLong(f[2]), Long.parseLong(f[19])));
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // gone, or no /proc
    }
  }
}
