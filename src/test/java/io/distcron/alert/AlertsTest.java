package io.distcron.alert;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Alerts end to end on a real node: channels through the API, jobs that fail for real, the
 * projection's outbox, and the deliverer sending to a local webhook receiver (signature checked)
 * and a real SMTP server (GreenMail).
 */
class AlertsTest {
  private static final Duration WAIT = Duration.ofSeconds(30);

  @RegisterExtension static GreenMailExtension mail = new GreenMailExtension(ServerSetupTest.SMTP);

  private static Node node;
  private static ApiClient api;
  private static WebhookReceiver hooks;

  @BeforeAll
  static void start() throws Exception {
    hooks = new WebhookReceiver("s3cret");
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "alerts"),
            Map.of("distcron.alerts.poll-interval", "100ms", "distcron.alerts.backoff", "200ms"));
    api = new ApiClient(node.apiUrl());
    assertThat(
            api.post(
                    "/channels",
                    """
                    {"name": "hooks", "type": "webhook", "url": "%s", "secret": "s3cret"}
                    """
                        .formatted(hooks.url()))
                .status())
        .isEqualTo(201);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
    hooks.close();
  }

  private static String job(String name, String command, String notify) {
    return """
        {"name": "%s", "schedule": "0 0 1 1 *", "shell": {"command": "%s"}, "notify": %s}
        """
        .formatted(name, command, notify);
  }

  @Test
  void aFailureIsSentOnceSignedAndTheRecoveryAfterIt() {
    String rule = "[{\"channel\": \"hooks\", \"on\": [\"FAILED\", \"RECOVERED\"]}]";
    assertThat(api.post("/jobs", job("flaky", "exit 3", rule)).status()).isEqualTo(201);
    String runId = api.post("/jobs/flaky/trigger", "").json().get("runId").asText();

    Await.until(WAIT, "the FAILED alert", () -> !hooks.accepted("flaky", "FAILED").isEmpty());
    WebhookReceiver.Received failed = hooks.accepted("flaky", "FAILED").get(0);
    assertThat(failed.signed()).isTrue();
    assertThat(failed.key()).isEqualTo(failed.body().get("key").asText());
    assertThat(failed.key()).isEqualTo(AlertRules.key("flaky", runId, 1, "FAILED"));
    assertThat(failed.body().get("runId").asText()).isEqualTo(runId);
    assertThat(failed.body().get("status").asText()).isEqualTo("FAILED");
    assertThat(failed.body().get("attempt").asInt()).isEqualTo(1);
    assertThat(failed.body().get("node").asText()).isNotEmpty();

    assertThat(api.put("/jobs/flaky", job("flaky", "true", rule)).status()).isEqualTo(200);
    String second = api.post("/jobs/flaky/trigger", "").json().get("runId").asText();
    Await.until(WAIT, "the RECOVERED alert", () -> !hooks.accepted("flaky", "RECOVERED").isEmpty());
    assertThat(hooks.accepted("flaky", "RECOVERED").get(0).body().get("runId").asText())
        .isEqualTo(second);

    // Alerts go out in the order they were decided: by now a second FAILED would have come.
    assertThat(hooks.accepted("flaky", "FAILED")).hasSize(1);
    assertThat(hooks.accepted("flaky", "RECOVERED")).hasSize(1);
  }

  @Test
  void aRefusedAlertIsSentAgainWithTheSameKeyAndTheChannelShowsIt() {
    String rule = "[{\"channel\": \"hooks\", \"on\": [\"FAILED\"]}]";
    assertThat(api.post("/jobs", job("refused", "exit 1", rule)).status()).isEqualTo(201);
    hooks.refuseNext(2);
    api.post("/jobs/refused/trigger", "");

    Await.until(WAIT, "the alert, at last", () -> !hooks.accepted("refused", "FAILED").isEmpty());
    String key = hooks.accepted("refused", "FAILED").get(0).key();
    List<WebhookReceiver.Received> refusedOnes =
        hooks.refused().stream().filter(r -> key.equals(r.key())).toList();
    assertThat(refusedOnes).hasSize(2);
    assertThat(refusedOnes).allMatch(WebhookReceiver.Received::signed);
    assertThat(hooks.accepted("refused", "FAILED")).hasSize(1);

    JsonNode channel = api.get("/channels/hooks").json();
    assertThat(channel.get("health").get("healthy").asBoolean()).isTrue();
    assertThat(channel.get("health").get("consecutiveFailures").asInt()).isZero();
    assertThat(channel.get("health").get("lastError").asText()).contains("HTTP 500");
    assertThat(channel.get("health").get("lastSuccessAt").isNull()).isFalse();
  }

  @Test
  void anEmailArrivesWithAMessageIdFromTheKey() throws Exception {
    String channel =
        """
        {"name": "mail", "type": "email",
         "email": {"host": "127.0.0.1", "port": %d, "tls": "none", "username": "distcron",
                   "password": "pw", "from": "distcron@example.org", "to": ["ops@example.org"]}}
        """
            .formatted(ServerSetupTest.SMTP.getPort());
    mail.setUser("distcron", "pw");
    assertThat(api.put("/channels/mail", channel).status()).isEqualTo(201);
    JsonNode shown = api.get("/channels/mail").json();
    assertThat(shown.get("secretSet").asBoolean()).isTrue();
    assertThat(shown.get("email").has("password")).isFalse();

    String rule = "[{\"channel\": \"mail\", \"on\": [\"FAILED\"]}]";
    assertThat(api.post("/jobs", job("mailed", "exit 2", rule)).status()).isEqualTo(201);
    String runId = api.post("/jobs/mailed/trigger", "").json().get("runId").asText();

    Await.until(WAIT, "the mail", () -> mail.getReceivedMessages().length > 0);
    MimeMessage m = mail.getReceivedMessages()[0];
    assertThat(m.getSubject()).contains("mailed").contains("FAILED");
    assertThat(m.getMessageID())
        .isEqualTo(Senders.messageId(AlertRules.key("mailed", runId, 1, "FAILED")));
    assertThat(Arrays.stream(m.getAllRecipients()).map(Object::toString))
        .containsExactly("ops@example.org");
  }

  @Test
  void channelsKeepSecretsAndRefuseWhatIsWrong() {
    JsonNode hooksShown = api.get("/channels/hooks").json();
    assertThat(hooksShown.get("secretSet").asBoolean()).isTrue();
    assertThat(hooksShown.toString()).doesNotContain("s3cret");
    assertThat(api.get("/channels").json().get("items").toString()).doesNotContain("s3cret");

    // Sent back as GET shows it, without the secret: the secret is kept.
    assertThat(api.put("/channels/hooks", hooksShown.toString()).status()).isEqualTo(200);
    assertThat(api.get("/channels/hooks").json().get("secretSet").asBoolean()).isTrue();

    ApiClient.Response dup =
        api.post("/channels", "{\"name\": \"hooks\", \"type\": \"slack\", \"url\": \"http://x\"}");
    assertThat(dup.status()).isEqualTo(409);
    ApiClient.Response badType = api.post("/channels", "{\"name\": \"x\", \"type\": \"pager\"}");
    assertThat(badType.json().get("field").asText()).isEqualTo("type");
    ApiClient.Response badMail =
        api.post(
            "/channels",
            "{\"name\": \"x\", \"type\": \"email\", \"email\": {\"host\": \"h\", \"from\":"
                + " \"not an address\", \"to\": [\"a@b.c\"]}}");
    assertThat(badMail.json().get("field").asText()).isEqualTo("email.from");
    assertThat(api.get("/channels/nope").status()).isEqualTo(404);

    ApiClient.Response unknown =
        api.post("/jobs", job("ruled", "true", "[{\"channel\": \"nope\", \"on\": [\"FAILED\"]}]"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("field").asText()).isEqualTo("notify[0].channel");
    ApiClient.Response badKind =
        api.post("/jobs", job("ruled", "true", "[{\"channel\": \"hooks\", \"on\": [\"SAD\"]}]"));
    assertThat(badKind.json().get("field").asText()).isEqualTo("notify[0].on[0]");

    String rule = "[{\"channel\": \"doomed\", \"on\": [\"LATE\"], \"lateAfter\": \"PT1M\"}]";
    assertThat(
            api.put("/channels/doomed", "{\"type\": \"slack\", \"url\": \"http://127.0.0.1:9/\"}")
                .status())
        .isEqualTo(201);
    ApiClient.Response ruled = api.post("/jobs", job("ruled", "true", rule));
    assertThat(ruled.status()).isEqualTo(201);
    JsonNode notify = ruled.json().get("notify").get(0);
    assertThat(notify.get("channel").asText()).isEqualTo("doomed");
    assertThat(notify.get("lateAfter").asText()).isEqualTo("PT1M");
    // A job as read goes back as it is, one at a time or applied in bulk.
    JsonNode asRead = api.get("/jobs/ruled").json();
    assertThat(api.put("/jobs/ruled", asRead.toString()).json().get("notify"))
        .isEqualTo(asRead.get("notify"));
    String apply =
        "{\"managedBy\": \"alerts-test\", \"jobs\": ["
            + asRead
            + ", "
            + job("ruled-2", "true", "[{\"channel\": \"gone\", \"on\": [\"LOST\"]}]")
            + "]}";
    ApiClient.Response refused = api.post("/apply", apply);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().get("jobs").get(0).get("field").asText())
        .isEqualTo("jobs[1].notify[0].channel");
    ApiClient.Response applied = api.post("/apply", apply.replace("gone", "doomed"));
    assertThat(applied.status()).isEqualTo(200);
    assertThat(api.get("/jobs/ruled-2").json().get("notify").get(0).get("on").get(0).asText())
        .isEqualTo("LOST");
    assertThat(api.delete("/jobs/ruled-2").status()).isEqualTo(204);
    // The job index and the channels' users are written in one transaction.
    Await.until(WAIT, "the job in the read side", () -> listed("ruled"));
    assertThat(api.delete("/channels/doomed").status()).isEqualTo(409);
    assertThat(api.delete("/jobs/ruled").status()).isEqualTo(204);
    Await.until(WAIT, "the job gone from the read side", () -> !listed("ruled"));
    assertThat(api.delete("/channels/doomed").status()).isEqualTo(204);
  }

  private static boolean listed(String job) {
    return api.get("/jobs?limit=500").body().contains("\"name\":\"" + job + "\"");
  }

  @Test
  void aTestSendReportsTheOutcome() {
    JsonNode ok = api.post("/channels/hooks/test", "").json();
    assertThat(ok.get("delivered").asBoolean()).isTrue();
    String key = ok.get("key").asText();
    Await.until(
        WAIT,
        "the test message",
        () -> hooks.accepted().stream().anyMatch(r -> key.equals(r.key())));

    assertThat(
            api.put("/channels/dead", "{\"type\": \"webhook\", \"url\": \"http://127.0.0.1:9/\"}")
                .status())
        .isEqualTo(201);
    JsonNode failed = api.post("/channels/dead/test", "").json();
    assertThat(failed.get("delivered").asBoolean()).isFalse();
    assertThat(failed.get("error").asText()).isNotBlank();
    JsonNode health = api.get("/channels/dead").json().get("health");
    assertThat(health.get("consecutiveFailures").asInt()).isEqualTo(1);
    assertThat(api.post("/channels/nope/test", "").status()).isEqualTo(404);
  }
}
