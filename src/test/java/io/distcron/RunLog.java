package io.distcron;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** A job's run history as the API shows it, and the checks end-to-end tests make on it. */
public final class RunLog {
  private RunLog() {}

  /**
   * Creates a job. A node that has just started (on a busy machine) may still be starting its job
   * shard, and answer 503 when the ask times out although the job then gets defined: so 503 is
   * asked again, and a 409 after a 503 counts as created.
   */
  public static void define(ApiClient api, String body) {
    boolean retried = false;
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (true) {
      ApiClient.Response r = api.post("/jobs", body);
      if (r.status() == 201 || (retried && r.status() == 409)) return;
      if (r.status() != 503 || System.nanoTime() > deadline) {
        throw new AssertionError("creating a job: " + r.status() + " " + r.body() + " for " + body);
      }
      retried = true;
    }
  }

  /** The job's runs, newest first (at most 500). */
  public static List<JsonNode> runs(ApiClient api, String job) {
    ApiClient.Response r = api.get("/jobs/" + job + "/runs?limit=500");
    if (r.status() != 200)
      throw new AssertionError("runs of " + job + ": " + r.status() + " " + r.body());
    List<JsonNode> all = new ArrayList<>();
    r.json().get("items").forEach(all::add);
    return all;
  }

  public static String status(JsonNode run) {
    return run.get("status").asText();
  }

  public static String reason(JsonNode run) {
    return run.path("reason").asText(null);
  }

  public static Instant instant(JsonNode run, String field) {
    JsonNode v = run.get(field);
    return v == null || v.isNull() ? null : Instant.parse(v.asText());
  }

  public static long count(List<JsonNode> runs, String status) {
    return runs.stream().filter(r -> status(r).equals(status)).count();
  }

  /**
   * Runs per nominal tick: the scheduled runs (first attempts of SCHEDULE and CATCHUP ticks, and
   * SKIPPED ticks) by their scheduled second.
   */
  public static Map<Instant, List<JsonNode>> byTick(List<JsonNode> runs) {
    Map<Instant, List<JsonNode>> ticks = new TreeMap<>();
    for (JsonNode r : runs) {
      String reason = reason(r);
      boolean tick = "SCHEDULE".equals(reason) || "CATCHUP".equals(reason);
      if (tick && r.get("attempt").asInt() == 1) {
        ticks.computeIfAbsent(instant(r, "scheduledAt"), k -> new ArrayList<>()).add(r);
      }
    }
    return ticks;
  }

  /**
   * For a job ticking every second: every second from the first tick to the last has exactly one
   * run (fired or SKIPPED). Returns a description of what is wrong, or the empty string.
   */
  public static String everySecondOnce(List<JsonNode> runs) {
    Map<Instant, List<JsonNode>> ticks = byTick(runs);
    if (ticks.isEmpty()) return "no ticks at all";
    Instant first = ((TreeMap<Instant, List<JsonNode>>) ticks).firstKey();
    Instant last = ((TreeMap<Instant, List<JsonNode>>) ticks).lastKey();
    List<String> problems = new ArrayList<>();
    for (Instant t = first; !t.isAfter(last); t = t.plusSeconds(1)) {
      List<JsonNode> at = ticks.getOrDefault(t, List.of());
      if (at.size() != 1) {
        problems.add(
            t
                + ": "
                + at.size()
                + " runs "
                + at.stream().map(r -> reason(r) + "/" + status(r)).collect(Collectors.toList()));
      }
    }
    ticks.keySet().stream()
        .filter(t -> !t.equals(t.truncatedTo(ChronoUnit.SECONDS)))
        .forEach(t -> problems.add(t + ": not a whole second"));
    return String.join("; ", problems);
  }

  /** Pids of live processes whose command line contains {@code marker} (Linux /proc). */
  public static List<Long> processesWith(String marker) {
    List<Long> found = new ArrayList<>();
    try (DirectoryStream<Path> procs = Files.newDirectoryStream(Path.of("/proc"), "[0-9]*")) {
      for (Path p : procs) {
        try {
          String cmd =
              new String(Files.readAllBytes(p.resolve("cmdline")), StandardCharsets.UTF_8)
                  .replace('\0', ' ');
          if (cmd.contains(marker)) found.add(Long.parseLong(p.getFileName().toString()));
        } catch (IOException | RuntimeException e) {
          // the process ended while we looked
        }
      }
    } catch (IOException e) {
      throw new AssertionError("cannot list /proc", e);
    }
    return found;
  }
}
