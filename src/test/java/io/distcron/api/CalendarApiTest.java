package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code /api/v1/calendars} and a job's {@code excludeCalendars}, against a really bound node. */
class CalendarApiTest {
  private static Node node;
  private static ApiClient api;

  @BeforeAll
  static void start() throws Exception {
    node = TestNodes.start(TestNodes.dbConfig("h2", "calendars"), Map.of());
    api = new ApiClient(node.apiUrl());
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  private static String calendar(String name) {
    return """
        {"name": "%s", "description": "public holidays", "timezone": "Europe/Berlin",
         "dates": ["2026-12-26", "2026-12-25"],
         "ranges": [{"from": "2026-12-24", "to": "2027-01-01"}], "cron": "* * 0-6 * * ?"}
        """
        .formatted(name);
  }

  private static String job(String name, String calendars) {
    return """
        {"name": "%s", "schedule": "@daily", "noop": {}, "excludeCalendars": %s}
        """
        .formatted(name, calendars);
  }

  @Test
  void createShowListReplaceDelete() {
    ApiClient.Response created = api.post("/calendars", calendar("crud"));
    assertThat(created.status()).isEqualTo(201);
    JsonNode body = created.json();
    assertThat(body.get("timezone").asText()).isEqualTo("Europe/Berlin");
    assertThat(body.get("dates").toString()).isEqualTo("[\"2026-12-25\",\"2026-12-26\"]");
    assertThat(body.get("ranges").get(0).get("to").asText()).isEqualTo("2027-01-01");
    assertThat(body.get("cron").asText()).isEqualTo("* * 0-6 * * ?");
    assertThat(api.post("/calendars", calendar("crud")).status()).isEqualTo(409);

    assertThat(api.get("/calendars/crud").json()).isEqualTo(body);
    assertThat(api.get("/calendars").json().get("items").findValuesAsText("name")).contains("crud");

    ApiClient.Response replaced =
        api.put("/calendars/crud", "{\"dates\": [\"2027-05-01\"], \"description\": \"may\"}");
    assertThat(replaced.status()).isEqualTo(200);
    assertThat(replaced.json().get("timezone").asText()).isEqualTo("UTC");
    assertThat(replaced.json().get("dates").toString()).isEqualTo("[\"2027-05-01\"]");
    assertThat(replaced.json().has("cron")).isFalse();
    assertThat(api.get("/calendars/crud").json().get("description").asText()).isEqualTo("may");
    assertThat(api.put("/calendars/nope", "{}").status()).isEqualTo(404);

    assertThat(api.delete("/calendars/crud").status()).isEqualTo(204);
    assertThat(api.get("/calendars/crud").status()).isEqualTo(404);
    assertThat(api.delete("/calendars/crud").status()).isEqualTo(404);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "{\"name\": \"Bad Name\"}|name",
        "{\"name\": \"c\", \"timezone\": \"Mars/Olympus\"}|timezone",
        "{\"name\": \"c\", \"dates\": [\"2026-12-25\", \"2026-13-01\"]}|dates[1]",
        "{\"name\": \"c\", \"dates\": [null]}|dates[0]",
        "{\"name\": \"c\", \"ranges\": [{\"from\": \"2026-12-24\", \"to\": \"2026-12-23\"}]}|ranges[0]",
        "{\"name\": \"c\", \"ranges\": [{\"from\": \"24.12.2026\", \"to\": \"2026-12-23\"}]}|ranges[0].from",
        "{\"name\": \"c\", \"ranges\": [{\"from\": \"2026-12-24\"}]}|ranges[0].to",
        "{\"name\": \"c\", \"cron\": \"61 * * * *\"}|cron",
        "{\"name\": \"c\", \"cron\": \"\"}|cron",
        "{\"name\": \"c\", \"dates\": \"2026-12-25\"}|dates",
      })
  void badCalendarsAreRefusedNamingTheField(String body, String field) {
    ApiClient.Response r = api.post("/calendars", body);
    assertThat(r.status()).as(body).isEqualTo(400);
    assertThat(r.json().get("field").asText()).isEqualTo(field);
  }

  @Test
  void tooManyEntriesAreRefused() {
    List<String> dates = new ArrayList<>();
    for (int i = 0; i < 1001; i++) dates.add("\"2026-01-01\"");
    ApiClient.Response r =
        api.post(
            "/calendars", "{\"name\": \"many\", \"dates\": [" + String.join(",", dates) + "]}");
    assertThat(r.status()).isEqualTo(400);
    assertThat(r.json().get("field").asText()).isEqualTo("dates");
    assertThat(api.put("/calendars/other", "{\"name\": \"another\"}").json().get("field").asText())
        .isEqualTo("name");
  }

  @Test
  void aJobMayOnlyExcludeCalendarsThatExist() {
    assertThat(api.post("/calendars", calendar("used")).status()).isEqualTo(201);
    ApiClient.Response unknown = api.post("/jobs", job("uses-unknown", "[\"used\", \"nope\"]"));
    assertThat(unknown.status()).isEqualTo(400);
    assertThat(unknown.json().get("field").asText()).isEqualTo("excludeCalendars[1]");
    ApiClient.Response twice = api.post("/jobs", job("uses-twice", "[\"used\", \"used\"]"));
    assertThat(twice.json().get("field").asText()).isEqualTo("excludeCalendars[1]");
    assertThat(api.post("/jobs", job("uses-bad", "[\"Bad Name\"]")).json().get("field").asText())
        .isEqualTo("excludeCalendars[0]");

    ApiClient.Response created = api.post("/jobs", job("uses", "[\"used\"]"));
    assertThat(created.status()).isEqualTo(201);
    assertThat(created.json().get("excludeCalendars").toString()).isEqualTo("[\"used\"]");
    assertThat(api.put("/jobs/uses", job("uses", "[\"nope\"]")).json().get("field").asText())
        .isEqualTo("excludeCalendars[0]");
    // A bulk apply refuses them as a create does, and applies nothing.
    String apply =
        "{\"managedBy\": \"git:cal\", \"jobs\": ["
            + job("applied-ok", "[\"used\"]")
            + ", "
            + job("applied-bad", "[\"used\", \"nope\"]")
            + "]}";
    ApiClient.Response refused = api.post("/apply", apply);
    assertThat(refused.status()).isEqualTo(400);
    assertThat(refused.json().get("jobs").toString())
        .contains("jobs[1].excludeCalendars[1]", "calendar 'nope' not found")
        .doesNotContain("applied-ok\",\"outcome\":\"created");
    assertThat(api.get("/jobs/applied-ok").status()).isEqualTo(404);
    ApiClient.Response applied =
        api.post("/apply", apply.replace("[\"used\", \"nope\"]", "[\"used\"]"));
    assertThat(applied.status()).as(applied.body()).isEqualTo(200);
    assertThat(api.get("/jobs/applied-bad").json().get("excludeCalendars").toString())
        .isEqualTo("[\"used\"]");
  }

  @Test
  void aCalendarAJobExcludesCannotBeDeleted() {
    assertThat(api.post("/calendars", calendar("kept")).status()).isEqualTo(201);
    assertThat(api.post("/jobs", job("keeper-b", "[\"kept\"]")).status()).isEqualTo(201);
    assertThat(api.post("/jobs", job("keeper-a", "[\"kept\"]")).status()).isEqualTo(201);

    // The job index is built from the jobs' events, a moment after they are written.
    Await.until(
        Duration.ofSeconds(10),
        "the delete refused",
        () -> api.delete("/calendars/kept").status() == 409);
    ApiClient.Response refused = api.delete("/calendars/kept");
    assertThat(refused.json().get("error").asText()).contains("keeper-a, keeper-b");
    assertThat(api.get("/calendars/kept").status()).isEqualTo(200);

    assertThat(api.put("/jobs/keeper-a", job("keeper-a", "[]")).status()).isEqualTo(200);
    assertThat(api.delete("/jobs/keeper-b").status()).isEqualTo(204);
    Await.until(
        Duration.ofSeconds(10),
        "the calendar deleted",
        () -> api.delete("/calendars/kept").status() == 204);
    assertThat(api.get("/jobs/keeper-a").json().has("excludeCalendars")).isFalse();
  }
}
