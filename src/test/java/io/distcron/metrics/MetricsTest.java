package io.distcron.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalDouble;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** After a few runs of a job, the Prometheus scrape on the management port has plausible values. */
class MetricsTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static Node node;
  private static int managementPort;

  @BeforeAll
  static void start() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      managementPort = s.getLocalPort();
    }
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "metrics"),
            Map.of("pekko.management.http.port", managementPort));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private static HttpResponse<String> send(String url, String method, String body)
      throws Exception {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(30))
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static String scrape() {
    try {
      HttpResponse<String> r = send("http://127.0.0.1:" + managementPort + "/metrics", "GET", null);
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /** The value of the first sample whose name and labels start with {@code series}. */
  static OptionalDouble value(String scrape, String series) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(series) + "(?:\\{[^}]*\\}|)\\s+(\\S+)")
            .matcher(scrape);
    if (!m.find()) {
      // A series with labels given in full, e.g. name{job="x",outcome="Y"}, or with more labels.
      Matcher m2 = Pattern.compile("(?m)^" + Pattern.quote(series) + "\\s+(\\S+)").matcher(scrape);
      return m2.find()
          ? OptionalDouble.of(Double.parseDouble(m2.group(1)))
          : OptionalDouble.empty();
    }
    return OptionalDouble.of(Double.parseDouble(m.group(1)));
  }

  /** A counter with exactly these labels, in any order Micrometer writes them. */
  static OptionalDouble labelled(String scrape, String name, Map<String, String> labels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(name) + "\\{([^}]*)\\}\\s+(\\S+)").matcher(scrape);
    while (m.find()) {
      String ls = m.group(1);
      boolean all =
          labels.entrySet().stream()
              .allMatch(e -> ls.contains(e.getKey() + "=\"" + e.getValue() + "\""));
      if (all) return OptionalDouble.of(Double.parseDouble(m.group(2)));
    }
    return OptionalDouble.empty();
  }

  @Test
  void theScrapeShowsRunsLatenessJournalAndJvm() throws Exception {
    HttpResponse<String> created =
        send(
            node.apiUrl() + "/jobs",
            "POST",
            "{\"name\": \"metered\", \"schedule\": \"@every 1s\", \"noop\": {}}");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

    Map<String, String> succeeded = Map.of("job", "metered", "outcome", "SUCCEEDED");
    Await.until(
        Duration.ofSeconds(40),
        "two succeeded runs in the scrape",
        () -> {
          String s = scrape();
          return labelled(s, "distcron_runs_total", succeeded).orElse(0) >= 2
              && value(s, "distcron_fire_lateness_seconds_count").orElse(0) >= 2;
        });

    String s = scrape();
    assertThat(labelled(s, "distcron_runs_total", succeeded).getAsDouble())
        .isGreaterThanOrEqualTo(2);
    double count = value(s, "distcron_fire_lateness_seconds_count").getAsDouble();
    double sum = value(s, "distcron_fire_lateness_seconds_sum").getAsDouble();
    assertThat(count).isGreaterThanOrEqualTo(2);
    assertThat(sum / count).as("mean fire lateness in seconds").isBetween(0.0, 1.0);
    assertThat(s).contains("distcron_fire_lateness_seconds_bucket{");
    assertThat(value(s, "distcron_runs_in_progress")).isPresent();
    assertThat(value(s, "distcron_runs_in_progress").getAsDouble()).isBetween(0.0, 1.0);
    assertThat(value(s, "distcron_journal_write_seconds_count").orElse(0)).isGreaterThan(0);
    assertThat(s).contains("distcron_journal_write_seconds_bucket{");
    assertThat(s)
        .contains(
            "distcron_runs_skipped_total",
            "distcron_runs_catchup_total",
            "distcron_runs_lost_total",
            "distcron_job_recoveries_total");
    assertThat(labelled(s, "jvm_memory_used_bytes", Map.of("area", "heap")).orElse(0))
        .isGreaterThan(0);
    alertRulesUseOnlyWhatTheScrapeHas(s);
  }

  /**
   * ops/prometheus/rules.yml, checked without promtool: each rule is complete, and every distcron
   * series its expressions name is in a real node's scrape.
   */
  private static void alertRulesUseOnlyWhatTheScrapeHas(String scrape) throws Exception {
    JsonNode rules =
        new ObjectMapper(new YAMLFactory())
            .readTree(Files.readString(Path.of("ops/prometheus/rules.yml")));
    List<String> alerts = new ArrayList<>();
    for (JsonNode group : rules.get("groups")) {
      for (JsonNode rule : group.get("rules")) {
        String alert = rule.path("alert").asText();
        alerts.add(alert);
        assertThat(rule.path("labels").path("severity").asText())
            .as(alert)
            .isIn("warning", "critical");
        assertThat(rule.path("annotations").path("summary").asText()).as(alert).isNotBlank();
        Matcher series = Pattern.compile("distcron_[a-z_]+").matcher(rule.path("expr").asText());
        while (series.find()) {
          assertThat(scrape).as(alert + " uses " + series.group()).contains(series.group());
        }
      }
    }
    assertThat(alerts)
        .contains(
            "DistcronNodeDown",
            "DistcronNoNodeUp",
            "DistcronTicksMissed",
            "DistcronFireLatenessHigh",
            "DistcronRunsLost",
            "DistcronJournalWritesSlow");
  }
}
