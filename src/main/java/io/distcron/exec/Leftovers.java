package io.distcron.exec;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;

/**
 * The runs of a previous life of this node that may still be running, found by the pid files its
 * {@link ShellRunner} left: one file per started run, {@code <pid>.pid} in the runs directory,
 * deleted when the run ends. It holds three lines:
 *
 * <pre>
 * pid 4242            the run's process group leader, so also its process group id
 * start 81234567      the leader's start time (/proc/[pid]/stat field 22, clock ticks since boot)
 * run 0193-...-a7     the run id, for the log
 * </pre>
 *
 * <p>The start time is what makes a pid safe to kill after a restart: a pid that now names another
 * process never matches it. The watchdog normally kills a run when its node dies; this is the
 * second line of defence, for a watchdog that was itself killed, or a machine without bash.
 */
public final class Leftovers {

  /**
   * A leftover run that was killed.
   *
   * @param runId as recorded; empty for a run started without one
   * @param processGroup the group it ran in
   * @param processes how many live processes it had
   */
  public record Killed(String runId, long processGroup, int processes) {
    @Override
    public String toString() {
      return "run "
          + (runId.isEmpty() ? "?" : runId)
          + " (process group "
          + processGroup
          + ", "
          + processes
          + (processes == 1 ? " process)" : " processes)");
    }
  }

  private static final String SUFFIX = ".pid";
  private static final Duration KILL_WAIT = Duration.ofSeconds(2);

  private Leftovers() {}

  /**
   * Kills every recorded run whose process group leader is still the process that was recorded
   * (same pid, same start time): SIGKILL to its group and to its descendants, then waits (at most 2
   * s) until they are gone. Deletes every pid file, alive or not. A missing directory has no
   * leftovers.
   *
   * @return the runs killed, for a log line
   * @throws IOException when the directory cannot be read
   */
  public static List<Killed> kill(Path dir) throws IOException, InterruptedException {
    List<Killed> killed = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return killed;
    }
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*" + SUFFIX + "*")) {
      ds.forEach(files::add);
    }
    for (Path file : files) {
      Optional<Entry> entry = file.toString().endsWith(SUFFIX) ? read(file) : Optional.empty();
      if (entry.isPresent()) {
        killIfAlive(entry.get()).ifPresent(killed::add);
      }
      Files.deleteIfExists(file);
    }
    return killed;
  }

  /**
   * Records a run that just started; a temporary file moved into place, so a crash never leaves
   * half a file. Empty when there was nothing to record: the process is already gone.
   */
  static Optional<Path> record(Path dir, long pid, String runId) throws IOException {
    OptionalLong start = ProcessTree.startTime(pid);
    if (start.isEmpty()) {
      return Optional.empty();
    }
    Files.createDirectories(dir);
    Path file = dir.resolve(pid + SUFFIX);
    Path tmp = dir.resolve(pid + SUFFIX + ".tmp");
    String run = runId == null ? "" : runId.replaceAll("\\s", "_");
    Files.writeString(tmp, "pid " + pid + "\nstart " + start.getAsLong() + "\nrun " + run + "\n");
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    return Optional.of(file);
  }

  /** The run has ended: its file goes. */
  static void forget(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // Harmless: the next start finds the pid gone or reused, and deletes the file.
    }
  }

  private record Entry(long pid, long start, String runId) {}

  private static Optional<Entry> read(Path file) {
    try {
      long pid = -1;
      long start = -1;
      String run = "";
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        int space = line.indexOf(' ');
        String key = space < 0 ? line : line.substring(0, space);
        String value = space < 0 ? "" : line.substring(space + 1);
        switch (key) {
          case "pid" -> pid = Long.parseLong(value);
          case "start" -> start = Long.parseLong(value);
          case "run" -> run = value;
          default -> {}
        }
      }
      return pid > 1 && start >= 0 ? Optional.of(new Entry(pid, start, run)) : Optional.empty();
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException | RuntimeException e) {
      return Optional.empty(); // unreadable or malformed: nothing can be proven about it
    }
  }

  private static Optional<Killed> killIfAlive(Entry e) throws InterruptedException {
    OptionalLong start = ProcessTree.startTime(e.pid());
    if (start.isEmpty() || start.getAsLong() != e.start()) {
      return Optional.empty(); // gone, or the pid now names another process
    }
    Optional<ProcessHandle> leader = ProcessHandle.of(e.pid());
    if (leader.isEmpty()) {
      return Optional.empty();
    }
    // Normally the leader of its own group; if not (setsid was missing), never signal a group.
    long group = ProcessTree.groupLedBy(e.pid());
    Set<ProcessHandle> members = ProcessTree.members(List.of(leader.get()), group);
    if (members.isEmpty()) {
      return Optional.empty();
    }
    ProcessTree.signal(members, group, true);
    ProcessTree.awaitExit(members, KILL_WAIT);
    return Optional.of(new Killed(e.runId(), e.pid(), members.size()));
  }
}
