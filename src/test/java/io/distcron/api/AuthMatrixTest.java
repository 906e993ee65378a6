package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every endpoint of the API × no token / viewer / operator / admin: 401, 403 or allowed (anything
 * else) as the roles say; each allowed change leaves exactly one audit entry under the token's
 * name; a revoked token stops working at once.
 */
class AuthMatrixTest {
  private static final String BOOTSTRAP = "matrix-bootstrap-secret-0123456789";
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node =
        TestNodes.start(
            TestNodes.dbConfig("h2", "authmatrix"),
            Map.of("distcron.auth.admin-token", BOOTSTRAP, "distcron.auth.burst", 1000));
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  private static JsonNode token(String name, String role) throws Exception {
    ApiClient.Response created =
        api.request(
            "POST",
            "/tokens",
            BOOTSTRAP,
            "{\"name\": \"" + name + "\", \"role\": \"" + role + "\"}");
    assertThat(created.status()).as(created.body()).isEqualTo(201);
    return created.json();
  }

  private static String job(String name) {
    return "{\"name\": \"" + name + "\", \"schedule\": \"@daily\", \"noop\": {}}";
  }

  /**
   * One request of the matrix; {@code path} and {@code body} may use {@code {c}} for the caller.
   */
  private record Endpoint(String method, String path, String body, Role needs) {
    boolean changes() {
      return !method.equals("GET") && !path.endsWith("/schedule/preview");
    }
  }

  /** The whole API, in an order where each caller's requests find what they act on. */
  private static final List<Endpoint> API =
      List.of(
          new Endpoint("GET", "/jobs", null, Role.VIEWER),
          new Endpoint("POST", "/jobs", "JOB:c-{c}", Role.ADMIN),
          new Endpoint("GET", "/jobs/m-{c}", null, Role.VIEWER),
          new Endpoint("PUT", "/jobs/m-{c}", "JOB:m-{c}", Role.ADMIN),
          new Endpoint("POST", "/jobs/m-{c}/pause", null, Role.OPERATOR),
          new Endpoint("POST", "/jobs/m-{c}/resume", null, Role.OPERATOR),
          new Endpoint("POST", "/jobs/m-{c}/trigger", null, Role.OPERATOR),
          new Endpoint("GET", "/jobs/m-{c}/runs", null, Role.VIEWER),
          new Endpoint("GET", "/runs/{run}", null, Role.VIEWER),
          new Endpoint("GET", "/runs/{run}/output", null, Role.VIEWER),
          new Endpoint("POST", "/runs/{run}/kill", null, Role.OPERATOR),
          new Endpoint(
              "POST", "/schedule/preview", "{\"schedule\": \"@daily\", \"count\": 3}", Role.VIEWER),
          new Endpoint("GET", "/nodes", null, Role.VIEWER),
          new Endpoint("GET", "/tokens", null, Role.ADMIN),
          new Endpoint(
              "POST", "/tokens", "{\"name\": \"new-{c}\", \"role\": \"viewer\"}", Role.ADMIN),
          new Endpoint("DELETE", "/tokens/{spare}", null, Role.ADMIN),
          new Endpoint("GET", "/audit", null, Role.VIEWER),
          new Endpoint("DELETE", "/jobs/m-{c}", null, Role.ADMIN));

  @Test
  void everyEndpointForEveryRole() throws Exception {
    Map<String, Role> roles = new java.util.LinkedHashMap<>();
    roles.put("anon", null);
    roles.put("viewer", Role.VIEWER);
    roles.put("operator", Role.OPERATOR);
    roles.put("admin", Role.ADMIN);

    Map<String, String> secrets = new HashMap<>();
    Map<String, String> names = new HashMap<>();
    Map<String, String> spares = new HashMap<>();
    for (var e : roles.entrySet()) {
      String c = e.getKey();
      assertThat(api.request("POST", "/jobs", BOOTSTRAP, job("m-" + c)).status()).isEqualTo(201);
      spares.put(c, token("spare-" + c, "viewer").get("id").asText());
      if (e.getValue() != null) {
        String name = "matrix-" + c;
        secrets.put(c, token(name, e.getValue().name().toLowerCase()).get("token").asText());
        names.put(c, name);
      }
    }
    // A real run to read and kill.
    assertThat(api.request("POST", "/jobs/m-anon/trigger", BOOTSTRAP, null).status())
        .isEqualTo(202);
    String[] run = new String[1];
    Await.until(
        Duration.ofSeconds(20),
        "a run of m-anon",
        () -> {
          JsonNode items =
              quietly(
                  () ->
                      api.request("GET", "/jobs/m-anon/runs", BOOTSTRAP, null).json().get("items"));
          if (items == null || items.isEmpty()) return false;
          run[0] = items.get(0).get("id").asText();
          return true;
        });

    SoftAssertions soft = new SoftAssertions();
    Map<String, List<String>> expectedAudit = new HashMap<>();
    for (var e : roles.entrySet()) {
      String c = e.getKey();
      Role role = e.getValue();
      for (Endpoint ep : API) {
        String path =
            ep.path().replace("{c}", c).replace("{run}", run[0]).replace("{spare}", spares.get(c));
        String body = ep.body() == null ? null : ep.body().replace("{c}", c);
        if (body != null && body.startsWith("JOB:")) body = job(body.substring(4));
        ApiClient.Response r = api.request(ep.method(), path, secrets.get(c), body);
        String what = c + " " + ep.method() + " " + path + " -> " + r.status() + " " + r.body();
        if (role == null) {
          soft.assertThat(r.status()).as(what).isEqualTo(401);
        } else if (!role.allows(ep.needs())) {
          soft.assertThat(r.status()).as(what).isEqualTo(403);
        } else {
          soft.assertThat(r.status()).as(what).isNotIn(401, 403).isLessThan(500);
          if (ep.changes()) {
            expectedAudit
                .computeIfAbsent(names.get(c), k -> new ArrayList<>())
                .add(ep.method() + " /api/v1" + path + " " + r.status());
          }
        }
      }
    }
    soft.assertAll();

    // Audit: exactly one entry per allowed change, under the token's name; none for refused ones.
    int expectedCount = expectedAudit.values().stream().mapToInt(List::size).sum();
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (matrixAudit(names).values().stream().mapToInt(List::size).sum() < expectedCount
        && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    Thread.sleep(300); // any duplicate would arrive by now
    Map<String, List<String>> actual = matrixAudit(names);
    for (String c : List.of("viewer", "operator", "admin")) {
      String name = names.get(c);
      assertThat(actual.getOrDefault(name, List.of()))
          .as("audit of " + name)
          .containsExactlyInAnyOrderElementsOf(expectedAudit.getOrDefault(name, List.of()));
    }
    assertThat(actual.get("matrix-viewer")).isNullOrEmpty();
    assertThat(expectedAudit.get("matrix-operator")).hasSize(4);
    assertThat(expectedAudit.get("matrix-admin")).hasSize(9);
  }

  /** Audit entries by actor, as "action status", of the matrix's tokens. */
  private static Map<String, List<String>> matrixAudit(Map<String, String> names) throws Exception {
    JsonNode items = api.request("GET", "/audit?limit=500", BOOTSTRAP, null).json().get("items");
    Map<String, List<String>> byActor = new HashMap<>();
    for (JsonNode e : items) {
      String actor = e.get("actor").asText();
      if (!names.containsValue(actor)) continue;
      String action = e.get("action").asText();
      String job = Auth.jobOf(action.substring(action.indexOf(' ') + 1));
      JsonNode recordedJob = e.get("job");
      assertThat(recordedJob == null || recordedJob.isNull() ? null : recordedJob.asText())
          .as("job of " + action)
          .isEqualTo(job);
      byActor
          .computeIfAbsent(actor, k -> new ArrayList<>())
          .add(action + " " + e.get("status").asInt());
    }
    return byActor;
  }

  interface Io<T> {
    T get() throws Exception;
  }

  private static <T> T quietly(Io<T> io) {
    try {
      return io.get();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aRevokedTokenStopsWorkingAtOnce() throws Exception {
    JsonNode t = token("short-lived", "operator");
    String secret = t.get("token").asText();
    assertThat(api.request("GET", "/jobs", secret, null).status()).isEqualTo(200);
    assertThat(api.request("POST", "/jobs/none/pause", secret, null).status()).isNotIn(401, 403);
    assertThat(api.request("DELETE", "/tokens/" + t.get("id").asText(), BOOTSTRAP, null).status())
        .isEqualTo(204);
    assertThat(api.request("GET", "/jobs", secret, null).status()).isEqualTo(401);
    assertThat(api.request("POST", "/jobs/none/pause", secret, null).status()).isEqualTo(401);
  }
}
