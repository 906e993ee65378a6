package io.distcron.alert;

import static io.distcron.Await.every;
import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Two nodes in one JVM on one PostgreSQL schema. A failure's alert is decided; the node that claims
 * it sends it to a receiver that never answers, and that node is stopped (its ActorSystem
 * terminated) with the alert claimed and unsent. Once the claim runs out the surviving node sends
 * it: the receiver gets it again, with the same key, and accepts it once.
 */
class AlertFailoverTest {
  private static final String HOST = "127.0.0.1";
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final List<Node> nodes = new ArrayList<>();
  private WebhookReceiver hooks;

  @AfterEach
  void stop() {
    for (int i = nodes.size() - 1; i >= 0; i--) {
      try {
        nodes.get(i).close();
      } catch (Exception e) {
        // already stopped by the test, or the outcome is decided anyway
      }
    }
    if (hooks != null) hooks.close();
  }

  @Test
  void anAlertClaimedByANodeThatDiesIsSentByAnotherOnceByKey() throws Exception {
    hooks = new WebhookReceiver("k");
    Map<String, Object> db = TestNodes.dbConfig("postgres", "alertfail");
    int[] ports = TestNodes.freePorts(2);
    List<String> seeds = List.of("pekko://distcron@" + HOST + ":" + ports[0]);
    Node first = start(db, seeds, ports[0]);
    Node second = start(db, seeds, ports[1]);
    ApiClient api = new ApiClient(first.apiUrl());
    Await.until(WAIT, "2 members Up", every(() -> upMembers(api) == 2));

    assertThat(
            api.put(
                    "/channels/hooks",
                    "{\"type\": \"webhook\", \"url\": \"" + hooks.url() + "\", \"secret\": \"k\"}")
                .status())
        .isEqualTo(201);
    hooks.hangNext(1);
    String job =
        "{\"name\": \"doomed\", \"schedule\": \"0 0 1 1 *\", \"shell\": {\"command\": \"exit 4\"},"
            + " \"notify\": [{\"channel\": \"hooks\", \"on\": [\"FAILED\"]}]}";
    assertThat(api.post("/jobs", job).status()).isEqualTo(201);
    String runId = api.post("/jobs/doomed/trigger", "").json().get("runId").asText();
    String key = AlertRules.key("doomed", runId, 1, "FAILED");

    Await.until(WAIT, "the first send, held", () -> !hooks.held().isEmpty());
    assertThat(hooks.held().get(0).key()).isEqualTo(key);
    String sender = claimedBy(db, key);
    Node dying = sender.endsWith(":" + ports[0]) ? first : second;
    dying.system().terminate();
    dying.system().getWhenTerminated().toCompletableFuture().get(60, TimeUnit.SECONDS);

    Await.until(WAIT, "the alert from the survivor", () -> !hooks.accepted().isEmpty());
    assertThat(hooks.accepted()).hasSize(1);
    WebhookReceiver.Received got = hooks.accepted().get(0);
    assertThat(got.key()).isEqualTo(key);
    assertThat(got.signed()).isTrue();
    assertThat(got.body()).isEqualTo(hooks.held().get(0).body());
    Await.until(WAIT, "the row released", () -> claimedBy(db, key) == null);
  }

  private static String claimedBy(Map<String, Object> db, String key) {
    try (Connection c =
            DriverManager.getConnection(
                (String) db.get("distcron.db.url"),
                (String) db.get("distcron.db.user"),
                (String) db.get("distcron.db.password"));
        PreparedStatement ps =
            c.prepareStatement("SELECT claimed_by FROM alert_outbox WHERE alert_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("the alert's outbox row").isTrue();
        return rs.getString(1);
      }
    } catch (java.sql.SQLException e) {
      throw new AssertionError("reading the outbox", e);
    }
  }

  private Node start(Map<String, Object> db, List<String> seeds, int port) throws Exception {
    Map<String, Object> extra = new HashMap<>();
    extra.put("pekko.cluster.seed-nodes", seeds);
    extra.put("pekko.remote.artery.canonical.port", port);
    extra.put("distcron.executor.drain-grace", "2s");
    extra.put("distcron.alerts.poll-interval", "200ms");
    // The held send outlasts the node; the claim runs out soon after.
    extra.put("distcron.alerts.send-timeout", "10s");
    extra.put("distcron.alerts.claim", "12s");
    Node node = TestNodes.start(db, extra);
    nodes.add(node);
    return node;
  }

  private static int upMembers(ApiClient api) {
    int[] up = {0};
    api.get("/nodes")
        .json()
        .get("items")
        .forEach(n -> up[0] += n.get("status").asText().equals("Up") ? 1 : 0);
    return up[0];
  }
}
