package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Tokens and roles, the audit log, the change rate limit, and the refusal to run open off loopback.
 */
class AuthTest {
  private static final String ADMIN = "test-admin-secret-0123456789";
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "auth"),
            Map.of(
                "distcron.auth.admin-token",
                ADMIN,
                "distcron.auth.burst",
                8,
                "distcron.auth.changes-per-second",
                0.5));
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String token(String name, String role) throws Exception {
    ApiClient.Response created =
        api.request(
            "POST", "/tokens", ADMIN, "{\"name\": \"" + name + "\", \"role\": \"" + role + "\"}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    assertThat(created.json().get("role").asText()).isEqualTo(role);
    return created.json().get("token").asText();
  }

  @Test
  void everyRequestNeedsATokenWhoseRoleAllowsIt() throws Exception {
    assertThat(api.request("GET", "/jobs", null, null).status()).isEqualTo(401);
    assertThat(api.request("GET", "/jobs", "not-a-token", null).status()).isEqualTo(401);

    String viewer = token("vera", "viewer");
    String operator = token("otto", "operator");
    String job = "{\"name\": \"secured\", \"schedule\": \"@daily\", \"noop\": {}}";

    assertThat(api.request("POST", "/jobs", viewer, job).status()).isEqualTo(403);
    assertThat(api.request("POST", "/jobs", operator, job).status()).isEqualTo(403);
    assertThat(api.request("POST", "/jobs", ADMIN, job).status()).isEqualTo(201);

    assertThat(api.request("GET", "/jobs/secured", viewer, null).status()).isEqualTo(200);
    assertThat(api.request("POST", "/jobs/secured/trigger", viewer, null).status()).isEqualTo(403);
    assertThat(api.request("POST", "/jobs/secured/trigger", operator, null).status())
        .isEqualTo(202);
    assertThat(api.request("POST", "/jobs/secured/pause", operator, null).status()).isEqualTo(200);
    assertThat(api.request("DELETE", "/jobs/secured", operator, null).status()).isEqualTo(403);
    assertThat(api.request("GET", "/tokens", operator, null).status()).isEqualTo(403);

    JsonNode tokens = api.request("GET", "/tokens", ADMIN, null).json().get("items");
    assertThat(tokens.findValuesAsText("name")).contains("vera", "otto");
    assertThat(tokens.toString()).doesNotContain("dct_");
    String veraId = null;
    for (JsonNode t : tokens)
      if (t.get("name").asText().equals("vera")) veraId = t.get("id").asText();
    assertThat(api.request("DELETE", "/tokens/" + veraId, ADMIN, null).status()).isEqualTo(204);
    assertThat(api.request("GET", "/jobs", viewer, null).status()).isEqualTo(401);

    Await.until(
        Duration.ofSeconds(5), "audit entries for the job", () -> auditOf("secured").size() >= 2);
    JsonNode audit = api.request("GET", "/audit?job=secured", ADMIN, null).json().get("items");
    assertThat(audit.findValuesAsText("actor")).containsOnly("otto");
    assertThat(audit.findValuesAsText("action"))
        .containsExactly("POST /api/v1/jobs/secured/pause", "POST /api/v1/jobs/secured/trigger");
    assertThat(audit.get(0).get("remote").asText()).contains("127.0.0.1");
    JsonNode all = api.request("GET", "/audit?limit=500", ADMIN, null).json().get("items");
    assertThat(all.findValuesAsText("action")).contains("POST /api/v1/jobs", "POST /api/v1/tokens");
    assertThat(all.findValuesAsText("actor")).contains("admin");

    JsonNode byOtto = api.request("GET", "/audit?actor=otto", ADMIN, null).json().get("items");
    assertThat(byOtto.findValuesAsText("actor")).containsOnly("otto");
    assertThat(byOtto.findValuesAsText("action")).hasSize(2);
    String pausedAt = audit.get(0).get("at").asText();
    JsonNode fromThePause =
        api.request("GET", "/audit?actor=otto&since=" + pausedAt, ADMIN, null).json().get("items");
    assertThat(fromThePause.findValuesAsText("action"))
        .containsExactly("POST /api/v1/jobs/secured/pause");
    JsonNode beforeThePause =
        api.request("GET", "/audit?actor=otto&until=" + pausedAt, ADMIN, null).json().get("items");
    assertThat(beforeThePause.findValuesAsText("action"))
        .containsExactly("POST /api/v1/jobs/secured/trigger");
    ApiClient.Response bad = api.request("GET", "/audit?since=yesterday", ADMIN, null);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(bad.json().get("field").asText()).isEqualTo("since");
  }

  private static java.util.List<String> auditOf(String job) {
    try {
      return api.request("GET", "/audit?job=" + job, ADMIN, null)
          .json()
          .get("items")
          .findValuesAsText("action");
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void changesAreRateLimitedPerToken() throws Exception {
    String operator = token("rita", "operator");
    int limited = 0;
    for (int i = 0; i < 15; i++) {
      int status = api.request("POST", "/jobs/none-such/pause", operator, null).status();
      assertThat(status).isIn(404, 429);
      if (status == 429) limited++;
    }
    assertThat(limited).isGreaterThanOrEqualTo(5);
    assertThat(api.request("GET", "/jobs", operator, null).status()).isEqualTo(200);
  }

  @Test
  void badTokenRequestsAreRefused() throws Exception {
    ApiClient.Response noRole =
        api.request("POST", "/tokens", ADMIN, "{\"name\": \"x\", \"role\": \"root\"}");
    assertThat(noRole.status()).isEqualTo(400);
    assertThat(noRole.json().get("field").asText()).isEqualTo("role");
    assertThat(api.request("DELETE", "/tokens/none", ADMIN, null).status()).isEqualTo(404);
  }

  @Test
  void anOpenApiOffLoopbackRefusesToStart() {
    assertThatThrownBy(
            () ->
                TestNodes.start(
                    TestNodes.dbConfig("h2", "open"), Map.of("distcron.http.host", "0.0.0.0")))
        .hasMessageContaining("DISTCRON_ADMIN_TOKEN");
  }
}
