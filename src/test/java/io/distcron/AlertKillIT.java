package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.alert.AlertRules;
import io.distcron.alert.WebhookReceiver;
import io.distcron.store.Outbox;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * An alert survives the SIGKILL of the node sending it, and arrives once. Three nodes of the built
 * jar on PostgreSQL (three, so the survivors keep the majority whichever node dies); a job's run
 * fails and its FAILED alert goes to a webhook in this JVM that holds the first request unanswered.
 * The node whose claim is on the outbox row is SIGKILLed mid-send; once its claim runs out another
 * node sends the alert again, with the same key, body and signature, and the receiver accepts it:
 * one 2xx for the key, and the row ends delivered. Node logs are in {@code target/alert-kill-it/}.
 */
class AlertKillIT {
  private static final Path LOGS = Path.of("target", "alert-kill-it");
  private static final String SECRET = "alert-kill-secret";

  /**
   * Just over the fixed send timeout (10 s), which the node requires: the resend comes about this
   * long after the claim.
   */
  private static final String CLAIM = "12s";

  private static final Duration WAIT = Duration.ofSeconds(45);

  private JarCluster cluster;
  private WebhookReceiver hooks;
  private String dbUrl;

  @AfterEach
  void stop() {
    if (cluster != null) cluster.close();
    if (hooks != null) hooks.close();
  }

  @Test
  @Timeout(300)
  void anAlertWhoseSenderIsKilledArrivesOnceByKey() throws Exception {
    Files.createDirectories(LOGS);
    dbUrl = TestDatabases.postgresUrl(TestDatabases.uniqueName("alert_kill_it"));
    cluster = new JarCluster("AlertKillIT", 3, LOGS, dbUrl, Map.of("DISTCRON_ALERTS_CLAIM", CLAIM));
    cluster.start();
    hooks = new WebhookReceiver(SECRET);
    hooks.hangNext(1);

    ApiClient api = cluster.node(1).api();
    created(
        api,
        "PUT",
        "/channels/hooks",
        "{\"type\": \"webhook\", \"url\": \"%s\", \"secret\": \"%s\"}"
            .formatted(hooks.url(), SECRET));
    created(
        api,
        "POST",
        "/jobs",
        "{\"name\": \"doomed\", \"schedule\": \"0 0 1 1 *\", \"shell\": {\"command\": \"exit 3\"},"
            + " \"notify\": [{\"channel\": \"hooks\", \"on\": [\"FAILED\"]}]}");
    ApiClient.Response trigger = api.post("/jobs/doomed/trigger", "");
    assertThat(trigger.status()).as("trigger: %s", trigger.body()).isEqualTo(202);
    String key = AlertRules.key("doomed", trigger.json().get("runId").asText(), 1, "FAILED");

    Await.until(WAIT, "the first send, held", () -> !hooks.held().isEmpty());
    OutboxRow claimed = row(key);
    assertThat(claimed.state()).isEqualTo(Outbox.PENDING);
    assertThat(claimed.claimedBy()).as("the sender's claim").isNotNull();
    JarCluster.Node sender = nodeOf(claimed.claimedBy());
    sender.kill();
    assertThat(row(key))
        .as("the row after the kill: still claimed by the dead node, not delivered")
        .isEqualTo(claimed);

    Await.until(WAIT, "the alert resent by a survivor", () -> !hooks.accepted().isEmpty());
    Await.until(WAIT, "the row delivered", () -> row(key).state().equals(Outbox.DELIVERED));

    List<WebhookReceiver.Received> all = new ArrayList<>(hooks.held());
    all.addAll(hooks.refused());
    all.addAll(hooks.accepted());
    assertThat(all).as("every request").hasSizeGreaterThanOrEqualTo(2);
    WebhookReceiver.Received first = all.get(0);
    assertThat(first.key()).isEqualTo(key);
    assertThat(all).allSatisfy(r -> assertThat(r.key()).isEqualTo(key));
    assertThat(all).allSatisfy(r -> assertThat(r.body()).isEqualTo(first.body()));
    assertThat(all)
        .as("signed with the channel's secret")
        .allMatch(WebhookReceiver.Received::signed);
    assertThat(hooks.accepted()).as("2xx answers for the key").hasSize(1);
    assertThat(first.body().path("kind").asText()).isEqualTo("FAILED");
    // The killed node recorded nothing: the one send on the record is the survivor's.
    OutboxRow delivered = row(key);
    assertThat(delivered.attempts()).isEqualTo(1);
    assertThat(delivered.claimedBy()).isNull();
  }

  /** Retries a write the cluster refuses while it is still forming. */
  private static void created(ApiClient api, String method, String path, String body) {
    Await.until(
        WAIT,
        method + " " + path,
        JarCluster.every(
            JarCluster.POLL,
            () -> {
              ApiClient.Response r = api.request(method, path, null, body);
              if (r.status() == 503) return false;
              assertThat(r.status()).as("%s %s: %s", method, path, r.body()).isEqualTo(201);
              return true;
            }));
  }

  /** The node whose cluster address ({@code host:port}) a claim names. */
  private JarCluster.Node nodeOf(String claimedBy) {
    return cluster.nodes().stream()
        .filter(n -> claimedBy.endsWith(":" + n.cluster))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no node claims as " + claimedBy));
  }

  private record OutboxRow(String state, String claimedBy, String claimUntil, int attempts) {}

  private OutboxRow row(String key) {
    try (Connection c = DriverManager.getConnection(dbUrl, TestDatabases.POSTGRES_USER, "");
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT state, claimed_by, claim_until, attempts FROM alert_outbox"
                    + " WHERE alert_key = ?")) {
      ps.setString(1, key);
      try (ResultSet rs = ps.executeQuery()) {
        assertThat(rs.next()).as("the alert's outbox row").isTrue();
        OutboxRow row =
            new OutboxRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4));
        assertThat(rs.next()).as("one outbox row for the alert").isFalse();
        return row;
      }
    } catch (SQLException e) {
      throw new AssertionError("reading the outbox", e);
    }
  }
}
