package io.distcron.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.distcron.ApiClient;
import io.distcron.Await;
import io.distcron.Node;
import io.distcron.TestNodes;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.ElementClickInterceptedException;
import org.openqa.selenium.ElementNotInteractableException;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.NoSuchElementException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser: headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which {@code .ci/run} installs) driven by Selenium, against a running node.
 * Nothing is downloaded: the driver's path is given, so Selenium Manager never runs. Without the
 * browser these tests fail, they do not skip.
 *
 * <p>Screenshots of the jobs page and of a run page go to {@code target/screenshots/}.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserTest {
  private static final Path CHROMIUM =
      Path.of(System.getProperty("distcron.test.chromium", "/usr/bin/chromium"));
  private static final Path CHROMEDRIVER =
      Path.of(System.getProperty("distcron.test.chromedriver", "/usr/bin/chromedriver"));
  private static final Path SCREENSHOTS = Path.of("target", "screenshots");
  private static final Duration WAIT = Duration.ofSeconds(30);

  /** Not UTC, so that "shown in the browser's zone" can be told apart from "shown in UTC". */
  private static final ZoneId BROWSER_ZONE = ZoneId.of("Europe/Berlin");

  private static final String XSS_IMG = "<img src=x onerror=\"window.__xss=1\">";
  private static final String XSS_SCRIPT = "<script>window.__xss=2</script>";
  private static final ObjectMapper JSON = new ObjectMapper();

  private static final Set<String> HELPERS =
      Set.of("waitFor", "waitForText", "until", "click", "type", "retype", "erase", "open");

  private static Node node;
  private static ApiClient api;
  private static String consoleUrl;
  private static Path profile;
  private static ChromeDriver driver;

  @BeforeAll
  static void start() throws Exception {
    requireBrowser();
    node = TestNodes.start(TestNodes.dbConfig("h2", "console"), Map.of());
    api = new ApiClient(node.apiUrl());
    consoleUrl = node.apiUrl().substring(0, node.apiUrl().length() - "api/v1".length());
    profile = Files.createTempDirectory("distcron-chromium-");

    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--no-first-run",
        "--no-default-browser-check",
        "--window-size=1440,900",
        "--user-data-dir=" + profile);
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    // The driver's path is given, so Selenium Manager (which would download one) is never asked.
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .withEnvironment(Map.of("TZ", BROWSER_ZONE.getId()))
            .build();
    driver = new ChromeDriver(service, options);
    Files.createDirectories(SCREENSHOTS);
  }

  private static void requireBrowser() {
    for (Path p : List.of(CHROMIUM, CHROMEDRIVER)) {
      if (!Files.isExecutable(p)) {
        throw new AssertionError(
            "The console's browser tests need "
                + p
                + ": install Debian's chromium and chromium-driver"
                + " (apt-get install -y chromium chromium-driver; .ci/run does it), or point"
                + " -Ddistcron.test.chromium / -Ddistcron.test.chromedriver at them.");
      }
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (driver != null) driver.quit();
    if (node != null) node.close();
    if (profile != null) deleteTree(profile);
  }

  /** No page may leave an uncaught error or a Content-Security-Policy violation in the console. */
  @AfterEach
  void browserConsoleIsClean() {
    List<String> problems =
        driver.manage().logs().get(LogType.BROWSER).getAll().stream()
            .filter(e -> e.getLevel().intValue() >= Level.SEVERE.intValue())
            .map(LogEntry::getMessage)
            // A 4xx answer the console asked for on purpose (a bad schedule) is logged by Chromium
            // too.
            .filter(m -> !m.matches("(?s).*the server responded with a status of 4\\d\\d.*"))
            .toList();
    assertThat(problems).as("errors in the browser console").isEmpty();
  }

  // ----- the tests -----

  @Test
  @Order(1)
  void createsAJobThroughTheFormWithEveryField() {
    open("new");
    type("f-name", "made-in-console");
    type("f-description", "created by the browser test");
    type("f-labels", "team=ops\ntier=gold");
    type("f-schedule", "0 9 * * MON-FRI");
    retype("f-timezone", "America/New_York");
    // The preview follows the typing: the API's description and the next 5 fire times.
    waitFor(d -> d.findElements(By.cssSelector("#preview-times li")).size() == 5);
    waitForText(By.id("schedule-description"), "Monday");

    type("f-shell-command", "echo from-the-form");
    type("f-shell-env", "GREETING=hello\nTARGET=world");
    type("f-shell-workingDir", "/tmp");
    retype("f-timeoutSeconds", "120");
    new Select(byId("f-overlap")).selectByValue("ALLOW");
    new Select(byId("f-catchUp-policy")).selectByValue("LATEST");
    retype("f-catchUp-window", "2h");
    retype("f-catchUp-maxRuns", "5");
    retype("f-retry-maxAttempts", "3");
    retype("f-retry-backoff", "30s");
    retype("f-retry-multiplier", "1.5");
    retype("f-retry-maxBackoff", "PT10M");
    type("f-target-nodeSelector", "zone=eu1\ndisk=ssd");
    click(By.id("f-enabled")); // off
    click(By.id("save-job"));

    waitFor(ExpectedConditions.urlContains("#/jobs/made-in-console"));
    waitForText(By.id("job-name"), "made-in-console");
    waitForText(By.id("job-description"), "created by the browser test");

    JsonNode job = api.get("/jobs/made-in-console").json();
    assertThat(job.get("description").asText()).isEqualTo("created by the browser test");
    assertThat(job.get("labels").get("team").asText()).isEqualTo("ops");
    assertThat(job.get("labels").get("tier").asText()).isEqualTo("gold");
    assertThat(job.get("schedule").asText()).isEqualTo("0 9 * * MON-FRI");
    assertThat(job.get("timezone").asText()).isEqualTo("America/New_York");
    assertThat(job.get("shell").get("command").asText()).isEqualTo("echo from-the-form");
    assertThat(job.get("shell").get("env").get("GREETING").asText()).isEqualTo("hello");
    assertThat(job.get("shell").get("env").get("TARGET").asText()).isEqualTo("world");
    assertThat(job.get("shell").get("workingDir").asText()).isEqualTo("/tmp");
    assertThat(job.get("timeoutSeconds").asInt()).isEqualTo(120);
    assertThat(job.get("enabled").asBoolean()).isFalse();
    assertThat(job.get("overlap").asText()).isEqualTo("ALLOW");
    assertThat(job.get("catchUp").get("policy").asText()).isEqualTo("LATEST");
    assertThat(job.get("catchUp").get("window").asText()).isEqualTo("PT2H");
    assertThat(job.get("catchUp").get("maxRuns").asInt()).isEqualTo(5);
    assertThat(job.get("retry").get("maxAttempts").asInt()).isEqualTo(3);
    assertThat(job.get("retry").get("backoff").asText()).isEqualTo("PT30S");
    assertThat(job.get("retry").get("multiplier").asDouble()).isEqualTo(1.5);
    assertThat(job.get("retry").get("maxBackoff").asText()).isEqualTo("PT10M");
    assertThat(job.get("target").get("nodeSelector").get("zone").asText()).isEqualTo("eu1");
    assertThat(job.get("target").get("nodeSelector").get("disk").asText()).isEqualTo("ssd");
    assertThat(byId("job-target").getText()).contains("disk=ssd", "zone=eu1");

    // Edit: the form comes back filled in; a change is saved with PUT.
    click(By.cssSelector("a[data-action=edit]"));
    waitFor(ExpectedConditions.urlContains("#/jobs/made-in-console/edit"));
    waitFor(d -> "0 9 * * MON-FRI".equals(byId("f-schedule").getAttribute("value")));
    assertThat(byId("f-name").getAttribute("readonly")).isNotNull();
    assertThat(byId("f-shell-env").getAttribute("value")).contains("GREETING=hello");
    assertThat(byId("f-target-nodeSelector").getAttribute("value"))
        .contains("zone=eu1", "disk=ssd");
    assertThat(byId("f-enabled").isSelected()).isFalse();
    retype("f-schedule", "@hourly");
    click(By.id("f-enabled")); // on again
    click(By.id("save-job"));
    waitFor(ExpectedConditions.urlMatches("#/jobs/made-in-console$"));
    Await.until(
        WAIT,
        "the edit to be saved",
        () -> api.get("/jobs/made-in-console").json().get("schedule").asText().equals("@hourly"));
    JsonNode edited = api.get("/jobs/made-in-console").json();
    assertThat(edited.get("enabled").asBoolean()).isTrue();
    assertThat(edited.get("retry").get("maxAttempts").asInt()).isEqualTo(3);
    assertThat(edited.get("labels").get("tier").asText()).isEqualTo("gold");
    assertThat(edited.get("target")).isEqualTo(job.get("target"));
  }

  @Test
  @Order(2)
  void createsAnHttpJobThroughTheForm() {
    open("new");
    type("f-name", "http-from-console");
    type("f-schedule", "@daily");
    click(By.id("f-action-http"));
    new Select(byId("f-http-method")).selectByValue("POST");
    type("f-http-url", "https://example.com/hook");
    type("f-http-headers", "X-Token: abc\nContent-Type: application/json");
    type("f-http-body", "{\"ping\": true}");
    type("f-http-expectStatus", "200, 204");
    type("f-http-timeoutSeconds", "15");
    click(By.id("save-job"));
    waitFor(ExpectedConditions.urlContains("#/jobs/http-from-console"));

    JsonNode http = api.get("/jobs/http-from-console").json().get("http");
    assertThat(http.get("method").asText()).isEqualTo("POST");
    assertThat(http.get("url").asText()).isEqualTo("https://example.com/hook");
    assertThat(http.get("headers").get("X-Token").asText()).isEqualTo("abc");
    assertThat(http.get("body").asText()).isEqualTo("{\"ping\": true}");
    assertThat(http.get("expectStatus").toString()).isEqualTo("[200,204]");
    assertThat(http.get("timeoutSeconds").asInt()).isEqualTo(15);
  }

  @Test
  @Order(3)
  void aBadScheduleShowsTheApiMessageNextToTheScheduleField() {
    open("new");
    type("f-name", "bad-schedule");
    type("f-schedule", "61 * * * *");
    type("f-shell-command", "true");
    click(By.id("save-job"));

    WebElement error =
        waitFor(
            d -> {
              WebElement e = d.findElement(By.cssSelector("#field-schedule #err-schedule"));
              return e.getText().contains("invalid schedule") ? e : null;
            });
    assertThat(error.getText()).contains("61 * * * *");
    assertThat(byId("f-schedule").getAttribute("aria-invalid")).isEqualTo("true");
    assertThat(driver.getCurrentUrl()).endsWith("#/new");
    assertThat(api.get("/jobs/bad-schedule").status()).isEqualTo(404);

    // Fixed schedule, bad zone: the message moves to the time zone field.
    retype("f-schedule", "*/5 * * * *");
    retype("f-timezone", "Mars/Olympus_Mons");
    click(By.id("save-job"));
    waitForText(By.cssSelector("#field-timezone #err-timezone"), "invalid timezone");
    waitFor(d -> byId("err-schedule").getText().isEmpty());

    // A name that exists already: 409, shown at the name.
    retype("f-timezone", "UTC");
    retype("f-name", "made-in-console");
    click(By.id("save-job"));
    waitForText(By.cssSelector("#field-name #err-name"), "made-in-console");

    // A node selector no node label can match: shown at the selector.
    retype("f-name", "bad-target");
    type("f-target-nodeSelector", "zone=eu 1");
    click(By.id("save-job"));
    waitForText(
        By.cssSelector("#field-target-nodeSelector #err-target-nodeSelector"), "not a node label");
    assertThat(api.get("/jobs/bad-target").status()).isEqualTo(404);
  }

  @Test
  @Order(4)
  void seesTheJobFireAndReadsARunsOutput() {
    create(
        """
        {"name": "fires-often", "description": "says hello every 2 seconds",
         "labels": {"team": "ops"}, "schedule": "@every 2s",
         "shell": {"command": "echo \\"hello from $DISTCRON_JOB\\"; echo second line"}}
        """);
    open("jobs/fires-often");

    // Its runs appear on the job page by themselves, in the table and in the chart.
    WebElement row =
        waitFor(
            d ->
                d
                    .findElements(By.cssSelector("#runs-body tr.run-row[data-status=SUCCEEDED]"))
                    .stream()
                    .findFirst()
                    .orElse(null));
    assertThat(row.getText()).contains("SUCCEEDED").contains("SCHEDULE");
    waitFor(d -> !d.findElements(By.cssSelector("#run-chart svg rect.bar.st-ok")).isEmpty());

    // The last day in figures, from the job's own GET.
    waitFor(d -> !stat("succeeded").equals("0"));
    assertThat(stat("failed")).isEqualTo("0");
    assertThat(stat("latenessP50")).matches("\\d+ ms|[\\d.]+ s");
    assertThat(stat("meanDuration")).matches("\\d+ ms|[\\d.]+ s");

    // Times are in the browser's zone, with the UTC instant on hover.
    String runId = row.getAttribute("data-run");
    JsonNode run = api.get("/runs/" + runId).json();
    WebElement scheduled = row.findElement(By.cssSelector("td:nth-child(2) time"));
    Instant scheduledAt = Instant.parse(run.get("scheduledAt").asText());
    assertThat(scheduled.getText())
        .isEqualTo(
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")
                .format(scheduledAt.atZone(BROWSER_ZONE)));
    assertThat(scheduled.getAttribute("title")).isEqualTo(scheduledAt + " (UTC)");
    assertThat(byId("zone-note").getText()).contains("Europe/Berlin");

    // The job page's own buttons steer it: pause it so that it stops piling up runs.
    click(By.cssSelector(".page-head button[data-action=pause]"));
    waitForText(By.cssSelector(".page-head h1"), "PAUSED");
    assertThat(api.get("/jobs/fires-often").json().get("status").asText()).isEqualTo("PAUSED");

    click(By.cssSelector("#runs-body tr[data-run='" + runId + "'] a.run-link"));
    waitFor(ExpectedConditions.urlContains("#/runs/" + runId));
    waitForText(By.id("output"), "hello from fires-often\nsecond line");
    waitForText(By.id("run-status"), "SUCCEEDED");
    assertThat(driver.findElements(By.cssSelector("button[data-action=kill]"))).isEmpty();
  }

  @Test
  @Order(5)
  void killsALongRunWithTheButtonWhileItsOutputIsTailed() throws IOException {
    create(
        """
        {"name": "long-run", "description": "copies a lot, slowly", "schedule": "@yearly",
         "shell": {"command": "for i in 1 2 3 4; do echo \\"step $i of 4: copying shard $i\\"; done; echo started-long; sleep 60; echo never-printed"}}
        """);
    String runId = trigger("long-run");
    open("runs/" + runId);

    waitForText(By.id("run-status"), "RUNNING");
    // Live tail: the first line is there while the run still runs.
    waitForText(By.id("output"), "started-long");
    assertThat(byId("live").isDisplayed()).isTrue();
    assertThat(api.get("/runs/" + runId).json().get("status").asText()).isEqualTo("RUNNING");
    waitFor(ExpectedConditions.elementToBeClickable(By.cssSelector("button[data-action=kill]")));
    screenshot("run.png");

    click(By.cssSelector("button[data-action=kill]"));
    waitForText(By.id("run-status"), "KILLED");
    waitFor(d -> d.findElements(By.cssSelector("button[data-action=kill]")).isEmpty());
    assertThat(api.get("/runs/" + runId).json().get("status").asText()).isEqualTo("KILLED");
    assertThat(byId("output").getText()).contains("started-long").doesNotContain("never-printed");
    waitFor(d -> !byId("live").isDisplayed());
  }

  @Test
  @Order(6)
  void pagesTheRunHistoryWithTheCursor() {
    create("{\"name\": \"many-runs\", \"schedule\": \"@yearly\", \"noop\": {}}");
    for (int i = 0; i < 23; i++) {
      trigger("many-runs");
    }
    Await.until(
        WAIT,
        "23 runs",
        () -> api.get("/jobs/many-runs/runs?limit=100").json().get("items").size() == 23);
    open("jobs/many-runs");
    waitFor(d -> d.findElements(By.cssSelector("#runs-body tr.run-row")).size() == 20);
    String newest = byCss("#runs-body tr.run-row").getAttribute("data-run");

    click(By.cssSelector("button[data-action=older]"));
    waitFor(d -> d.findElements(By.cssSelector("#runs-body tr.run-row")).size() == 3);
    assertThat(byCss("button[data-action=older]").isEnabled()).isFalse();

    click(By.cssSelector("button[data-action=newer]"));
    waitFor(d -> d.findElements(By.cssSelector("#runs-body tr.run-row")).size() == 20);
    assertThat(byCss("#runs-body tr.run-row").getAttribute("data-run")).isEqualTo(newest);
    assertThat(driver.findElements(By.cssSelector("#run-chart svg rect.bar"))).hasSize(23);
  }

  @Test
  @Order(7)
  void userTextIsShownAsTextAndNeverRuns() throws IOException {
    String description = XSS_IMG + " and " + XSS_SCRIPT.replace("2", "3");
    String body =
        JSON.writeValueAsString(
            Map.of(
                "name",
                "xss-probe",
                "description",
                description,
                "labels",
                Map.of("html", XSS_IMG),
                "schedule",
                "@yearly",
                "shell",
                Map.of("command", "echo '" + XSS_SCRIPT + "'")));
    create(body);
    String runId = trigger("xss-probe");
    Await.until(
        WAIT,
        "the probe to run",
        () -> api.get("/runs/" + runId).json().get("status").asText().equals("SUCCEEDED"));

    open("jobs");
    WebElement row = waitFor(d -> d.findElement(By.cssSelector("tr[data-job=xss-probe]")));
    waitFor(d -> byCss("tr[data-job=xss-probe]").getText().contains(XSS_IMG));
    assertThat(row.getText()).contains("html=" + XSS_IMG);
    assertNothingInjected();

    open("jobs/xss-probe");
    waitForText(By.id("job-description"), description);
    waitForText(By.id("job-command"), "echo '" + XSS_SCRIPT + "'");
    waitFor(d -> !d.findElements(By.cssSelector("#runs-body tr.run-row")).isEmpty());
    assertThat(byCss(".summary").getText()).contains("html=" + XSS_IMG);
    assertNothingInjected();

    open("runs/" + runId);
    waitForText(By.id("output"), XSS_SCRIPT);
    assertNothingInjected();
  }

  @Test
  @Order(8)
  void theClusterPageShowsThisNodeAndRefreshesItself() {
    open("cluster");
    WebElement row = waitFor(d -> d.findElement(By.cssSelector("#nodes-body tr[data-node]")));
    assertThat(row.getText())
        .contains("this node")
        .contains("executor")
        .contains("scheduler")
        .contains("UP")
        .contains("host=");
    assertThat(row.findElement(By.cssSelector(".badge")).getAttribute("class")).contains("st-ok");
    waitForText(By.id("cluster-summary"), "1 node");
    String updated = byId("nodes-updated").getText();
    waitFor(d -> !byId("nodes-updated").getText().equals(updated));
  }

  @Test
  @Order(9)
  void theJobsPageSearchesAndSteersJobs() throws IOException {
    create(
        "{\"name\": \"nightly-report\", \"description\": \"the numbers of the day\","
            + " \"labels\": {\"team\": \"finance\"}, \"schedule\": \"0 6 * * *\","
            + " \"timezone\": \"Europe/Berlin\", \"noop\": {}}");
    create(
        "{\"name\": \"cache-warmer\", \"labels\": {\"team\": \"web\", \"tier\": \"edge\"},"
            + " \"schedule\": \"*/10 * * * *\", \"noop\": {}}");
    open("jobs");
    waitFor(d -> d.findElements(By.cssSelector("#jobs-body tr[data-job]")).size() >= 6);

    type("search-name", "nightly");
    waitFor(d -> visibleJobs().equals(List.of("nightly-report")));
    erase("search-name");
    type("search-label", "team=web");
    waitFor(d -> visibleJobs().equals(List.of("cache-warmer")));
    erase("search-label");
    type("search-label", "edge");
    waitFor(d -> visibleJobs().equals(List.of("cache-warmer")));
    erase("search-label");
    waitFor(d -> visibleJobs().size() >= 6);

    String row = "tr[data-job=nightly-report] ";
    click(By.cssSelector(row + "button[data-action=pause]"));
    waitForText(By.cssSelector(row + ".name-line"), "PAUSED");
    assertThat(api.get("/jobs/nightly-report").json().get("status").asText()).isEqualTo("PAUSED");

    click(By.cssSelector(row + "button[data-action=resume]"));
    waitFor(d -> d.findElements(By.cssSelector(row + "button[data-action=pause]")).size() == 1);
    assertThat(api.get("/jobs/nightly-report").json().get("status").asText()).isEqualTo("ACTIVE");

    click(By.cssSelector(row + "button[data-action=trigger]"));
    waitForText(By.id("flash"), "Triggered nightly-report");
    waitForText(By.cssSelector(row + "td.last-run"), "SUCCEEDED");

    click(By.cssSelector("tr[data-job=cache-warmer] button[data-action=delete]"));
    waitForText(
        By.cssSelector("tr[data-job=cache-warmer] button[data-action=delete]"), "Really delete?");
    click(By.cssSelector("tr[data-job=cache-warmer] button[data-action=delete]"));
    waitFor(d -> d.findElements(By.cssSelector("tr[data-job=cache-warmer]")).isEmpty());
    assertThat(api.get("/jobs/cache-warmer").status()).isEqualTo(404);

    // The table is whole again; wait for every last-run cell before the picture.
    waitFor(
        d ->
            d.findElements(By.cssSelector("#jobs-body td.last-run")).stream()
                .noneMatch(td -> td.getText().equals("…")));
    driver.findElements(By.cssSelector(".flash-close")).forEach(WebElement::click);
    screenshot("jobs.png");
  }

  @Test
  @Order(9)
  void backfillsFromTheJobPageAndShowsItsProgress() {
    create("{\"name\": \"filled\", \"schedule\": \"@hourly\", \"noop\": {}}");
    open("jobs/filled");
    byId("backfill-from").sendKeys("2026-11-01T00:00:00Z");
    byId("backfill-to").sendKeys("2026-11-01T05:00:00Z");
    click(By.cssSelector("button[data-action=backfill]"));
    waitForText(By.id("backfill-progress"), "Done: 5 of 5 ticks");
    assertThat(api.get("/jobs/filled").json().get("backfill").get("decided").asInt()).isEqualTo(5);
  }

  @Test
  @Order(10)
  void asksForATokenWhenTheNodeNeedsOneAndSendsItWithEveryCall() throws Exception {
    String admin = "console-admin-secret-0123456789";
    Node secured =
        TestNodes.start(
            TestNodes.dbConfig("h2", "console_auth"), Map.of("distcron.auth.admin-token", admin));
    try {
      String api = secured.apiUrl();
      String base = api.substring(0, api.length() - "api/v1".length());
      assertThat(
              call(
                      api,
                      "POST",
                      "/jobs",
                      admin,
                      "{\"name\": \"guarded\", \"schedule\": \"@yearly\","
                          + " \"shell\": {\"command\": \"echo behind-a-token\"}}")
                  .statusCode())
          .isEqualTo(201);
      HttpResponse<String> viewer =
          call(api, "POST", "/tokens", admin, "{\"name\": \"watcher\", \"role\": \"viewer\"}");
      assertThat(viewer.statusCode()).isEqualTo(201);
      String viewerSecret = JSON.readTree(viewer.body()).get("token").asText();

      driver.get("about:blank");
      driver.get(base + "#/jobs");
      waitFor(d -> d.findElement(By.id("token-dialog")).isDisplayed());
      type("token-input", "not-the-token");
      click(By.id("token-submit"));
      waitForText(By.id("token-error"), "does not accept");

      // A viewer sees everything but may not steer.
      retype("token-input", viewerSecret);
      click(By.id("token-submit"));
      waitFor(d -> d.findElements(By.id("token-dialog")).isEmpty());
      click(By.cssSelector("tr[data-job=guarded] button[data-action=trigger]"));
      waitForText(By.id("flash"), "needs the operator role");

      // The admin token: trigger from the jobs page, then the run's live output (a fetch with the
      // token).
      click(By.id("sign-out"));
      waitFor(d -> d.findElement(By.id("token-dialog")).isDisplayed());
      type("token-input", admin);
      click(By.id("token-submit"));
      waitFor(d -> d.findElements(By.id("token-dialog")).isEmpty());
      click(By.cssSelector("tr[data-job=guarded] button[data-action=trigger]"));
      waitForText(By.id("flash"), "Triggered guarded");
      click(By.cssSelector("#flash a"));
      waitForText(By.id("output"), "behind-a-token");
      waitForText(By.id("run-status"), "SUCCEEDED");

      click(By.id("sign-out"));
      waitFor(d -> d.findElement(By.id("token-dialog")).isDisplayed());
      assertThat(
              ((JavascriptExecutor) driver)
                  .executeScript("return sessionStorage.length + localStorage.length"))
          .isEqualTo(0L);
    } finally {
      driver.get("about:blank");
      secured.close();
    }
  }

  @Test
  @Order(11)
  void theAuditAndTokensPagesFollowTheTokensRole() throws Exception {
    String admin = "console-admin-secret-abcdefghij";
    Node secured =
        TestNodes.start(
            TestNodes.dbConfig("h2", "console_admin"), Map.of("distcron.auth.admin-token", admin));
    try {
      String api = secured.apiUrl();
      String base = api.substring(0, api.length() - "api/v1".length());
      for (String job : List.of("alpha", "beta")) {
        String spec = "{\"name\": \"" + job + "\", \"schedule\": \"@yearly\", \"noop\": {}}";
        assertThat(call(api, "POST", "/jobs", admin, spec).statusCode()).isEqualTo(201);
      }
      String viewer = secret(api, admin, "vic", "viewer");
      String operator = secret(api, admin, "otto", "operator");
      assertThat(call(api, "POST", "/jobs/alpha/trigger", operator, "").statusCode())
          .isEqualTo(202);
      assertThat(call(api, "POST", "/jobs/beta/pause", operator, "").statusCode()).isEqualTo(200);
      Await.until(
          Duration.ofSeconds(10),
          "otto's two changes in the audit log",
          () ->
              new ApiClient(api)
                      .request("GET", "/audit?actor=otto", admin, null)
                      .json()
                      .get("items")
                      .size()
                  == 2);

      // A viewer reads the audit log, but the tokens page says why it is not theirs.
      driver.get("about:blank");
      driver.get(base + "#/tokens");
      signIn(viewer);
      waitForText(By.id("forbidden"), "needs the admin role");
      click(By.cssSelector("a[data-nav=audit]"));
      waitFor(d -> d.findElements(By.cssSelector("#audit-body tr[data-audit]")).size() >= 6);
      type("audit-actor", "otto");
      click(By.id("audit-apply"));
      waitFor(d -> auditActors().equals(List.of("otto", "otto")));
      type("audit-job", "alpha");
      click(By.id("audit-apply"));
      waitFor(d -> auditActors().size() == 1);
      assertThat(byId("audit-body").getText()).contains("POST /api/v1/jobs/alpha/trigger");
      // Times are typed in the browser's zone: from an hour ahead, nothing; until then, the
      // trigger.
      String inAnHour =
          DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
              .format(java.time.LocalDateTime.now(BROWSER_ZONE).plusHours(1));
      setValue("audit-since", inAnHour);
      click(By.id("audit-apply"));
      waitForText(By.id("audit-body"), "No change matches");
      setValue("audit-since", "");
      setValue("audit-until", inAnHour);
      click(By.id("audit-apply"));
      waitFor(d -> auditActors().size() == 1);

      // An admin makes a token, sees its secret once, and revokes it.
      click(By.id("sign-out"));
      signIn(admin);
      click(By.cssSelector("a[data-nav=tokens]"));
      waitFor(d -> d.findElement(By.cssSelector("#tokens-body tr[data-name=otto]")));
      type("token-name", "deploy-bot");
      new Select(byId("token-role")).selectByValue("operator");
      click(By.id("token-create"));
      String secret =
          waitFor(
              d -> {
                String v = d.findElement(By.id("token-secret")).getAttribute("value");
                return v.isEmpty() ? null : v;
              });
      click(By.id("token-copy"));
      waitForText(By.id("flash"), "Copied the token");
      assertThat(byCss("#tokens-body tr[data-name=deploy-bot]").getText()).contains("operator");
      assertThat(call(api, "GET", "/jobs", secret, "").statusCode()).isEqualTo(200);

      driver.get("about:blank");
      driver.get(base + "#/tokens");
      waitFor(d -> d.findElement(By.cssSelector("#tokens-body tr[data-name=deploy-bot]")));
      assertThat(driver.findElements(By.id("token-secret"))).isEmpty();
      assertThat(driver.getPageSource()).doesNotContain(secret);
      click(By.cssSelector("tr[data-name=deploy-bot] button[data-action=revoke]"));
      waitForText(By.cssSelector("tr[data-name=deploy-bot] button[data-action=revoke]"), "Really");
      click(By.cssSelector("tr[data-name=deploy-bot] button[data-action=revoke]"));
      waitFor(d -> d.findElements(By.cssSelector("tr[data-name=deploy-bot]")).isEmpty());
      assertThat(call(api, "GET", "/jobs", secret, "").statusCode()).isEqualTo(401);
      click(By.id("sign-out"));
    } finally {
      driver.get("about:blank");
      secured.close();
    }
  }

  // ----- helpers -----

  private static String secret(String api, String admin, String name, String role)
      throws Exception {
    HttpResponse<String> r =
        call(
            api,
            "POST",
            "/tokens",
            admin,
            "{\"name\": \"" + name + "\", \"role\": \"" + role + "\"}");
    assertThat(r.statusCode()).isEqualTo(201);
    return JSON.readTree(r.body()).get("token").asText();
  }

  private static void signIn(String token) {
    waitFor(d -> d.findElement(By.id("token-dialog")).isDisplayed());
    type("token-input", token);
    click(By.id("token-submit"));
    waitFor(d -> d.findElements(By.id("token-dialog")).isEmpty());
  }

  private static List<String> auditActors() {
    return driver.findElements(By.cssSelector("#audit-body tr[data-audit]")).stream()
        .map(e -> e.getAttribute("data-actor"))
        .toList();
  }

  /** A date-time field's value as the browser's own picker would leave it. */
  private static void setValue(String id, String value) {
    ((JavascriptExecutor) driver)
        .executeScript("document.getElementById(arguments[0]).value = arguments[1]", id, value);
  }

  @Test
  @Order(12)
  void definesACalendarAndAJobThatExcludesIt() {
    open("calendars");
    waitForText(By.id("calendars-body"), "No calendars yet.");
    type("c-name", "console-holidays");
    type("c-timezone", "Europe/Berlin");
    type("c-dates", "2026-12-25\n2026-12-26");
    type("c-ranges", "2026-12-31..2026-12-24");
    click(By.id("calendar-save"));
    waitForText(By.id("calendar-error"), "ranges[0]");
    retype("c-ranges", "2026-12-24..2027-01-01");
    type("c-cron", "* * 0-6 * * ?");
    click(By.id("calendar-save"));
    waitForText(By.cssSelector("tr[data-calendar=console-holidays]"), "2026-12-24..2027-01-01");
    JsonNode calendar = api.get("/calendars/console-holidays").json();
    assertThat(calendar.get("dates").toString()).isEqualTo("[\"2026-12-25\",\"2026-12-26\"]");
    assertThat(calendar.get("cron").asText()).isEqualTo("* * 0-6 * * ?");

    open("new");
    type("f-name", "console-closed");
    type("f-schedule", "@daily");
    click(By.id("f-action-noop"));
    type("f-excludeCalendars", "console-holidays, console-nope");
    click(By.id("save-job"));
    waitForText(By.id("err-excludeCalendars"), "calendar 'console-nope' not found");
    retype("f-excludeCalendars", "console-holidays");
    click(By.id("save-job"));
    waitFor(ExpectedConditions.urlContains("#/jobs/console-closed"));
    assertThat(api.get("/jobs/console-closed").json().get("excludeCalendars").toString())
        .isEqualTo("[\"console-holidays\"]");
    open("jobs/console-closed/edit");
    waitFor(d -> byId("f-excludeCalendars").getAttribute("value").equals("console-holidays"));

    // In use: the page says which job keeps it.
    Await.until(
        WAIT,
        "the job index to list the job",
        () -> api.get("/jobs?limit=500").body().contains("console-closed"));
    open("calendars");
    String delete = "tr[data-calendar=console-holidays] button[data-action=delete]";
    click(By.cssSelector(delete));
    click(By.cssSelector(delete));
    waitForText(By.id("flash"), "console-closed");
    assertThat(api.get("/calendars/console-holidays").status()).isEqualTo(200);
  }

  @Test
  @Order(13)
  void managesAlertChannelsAndTestSendsThem() throws IOException {
    List<String> received = new CopyOnWriteArrayList<>();
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/",
        exchange -> {
          exchange.getRequestBody().readAllBytes();
          received.add(exchange.getRequestURI().getPath());
          // "/broken" refuses, so its channel's failures can be watched.
          int status = exchange.getRequestURI().getPath().equals("/broken") ? 500 : 200;
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
    String base = "http://127.0.0.1:" + receiver.getAddress().getPort();
    try {
      open("channels");
      waitFor(
          d ->
              d.findElement(By.cssSelector("a[data-nav=channels]"))
                  .getAttribute("class")
                  .contains("active"));
      type("ch-name", "console-hook");
      type("ch-url", "ftp://nowhere");
      type("ch-secret", "s3cret");
      click(By.id("channel-save"));
      waitForText(By.id("ch-url-error"), "absolute http:// or https:// URL");
      retype("ch-url", base + "/hook");
      click(By.id("channel-save"));
      waitForText(By.cssSelector("tr[data-channel=console-hook]"), base + "/hook");
      assertThat(healthOf("console-hook")).isEqualTo("HEALTHY");
      assertThat(api.get("/channels/console-hook").json().get("secretSet").asBoolean()).isTrue();

      // Edited with the secret left empty: the stored one stays.
      click(By.cssSelector("tr[data-channel=console-hook] button[data-action=edit]"));
      waitFor(d -> byId("ch-name").getAttribute("value").equals("console-hook"));
      assertThat(byId("ch-secret").getAttribute("value")).isEmpty();
      click(By.id("channel-save"));
      waitForText(By.id("flash"), "Saved channel console-hook");
      assertThat(api.get("/channels/console-hook").json().get("secretSet").asBoolean()).isTrue();

      click(By.cssSelector("tr[data-channel=console-hook] button[data-action=test]"));
      assertThat(testResultOf("console-hook")).isEqualTo("DELIVERED");
      assertThat(received).containsExactly("/hook");

      // A channel that refuses: the error is shown, and after 3 failures in a row it is unhealthy.
      assertThat(
              api.put(
                      "/channels/console-broken",
                      "{\"type\": \"slack\", \"url\": \"" + base + "/broken\"}")
                  .status())
          .isEqualTo(201);
      open("channels");
      for (int failures = 1; failures <= 3; failures++) {
        click(By.cssSelector("tr[data-channel=console-broken] button[data-action=test]"));
        String seen = failures + " failed send";
        waitForText(By.cssSelector("tr[data-channel=console-broken] td.health"), seen);
      }
      assertThat(testResultOf("console-broken")).isEqualTo("NOT_DELIVERED");
      assertThat(byCss("tr[data-channel=console-broken] td.test-result").getText()).contains("500");
      assertThat(byCss("tr[data-channel=console-broken] .last-error").getText()).contains("500");
      assertThat(healthOf("console-broken")).isEqualTo("UNHEALTHY");
      assertThat(healthOf("console-hook")).isEqualTo("HEALTHY");
      screenshot("channels.png");

      // A job's rule keeps it: the job page shows the rule, and Delete says which job.
      create(
          "{\"name\": \"console-alerting\", \"schedule\": \"@yearly\", \"noop\": {},"
              + " \"notify\": [{\"channel\": \"console-hook\", \"on\": [\"FAILED\", \"LATE\"],"
              + " \"lateAfter\": \"PT5M\"}]}");
      open("jobs/console-alerting");
      waitForText(By.cssSelector("#job-notify li[data-channel=console-hook]"), "FAILED, LATE");
      assertThat(byId("job-notify").getText()).contains("late after PT5M");
      open("jobs/console-alerting/edit");
      waitFor(
          d ->
              byId("f-notify")
                  .getAttribute("value")
                  .equals("console-hook: FAILED, LATE lateAfter=PT5M"));
      retype("f-notify", "console-hook: FAILED\nconsole-nope: LOST");
      click(By.id("save-job"));
      waitForText(By.id("err-notify"), "no channel 'console-nope'");
      retype("f-notify", "console-hook: failed, lost");
      click(By.id("save-job"));
      waitFor(ExpectedConditions.urlContains("#/jobs/console-alerting"));
      assertThat(api.get("/jobs/console-alerting").json().get("notify").toString())
          .isEqualTo("[{\"channel\":\"console-hook\",\"on\":[\"FAILED\",\"LOST\"]}]");
      Await.until(
          WAIT,
          "the job index to list the job",
          () -> api.get("/jobs?limit=500").body().contains("console-alerting"));
      open("channels");
      String delete = "tr[data-channel=console-hook] button[data-action=delete]";
      click(By.cssSelector(delete));
      waitForText(By.cssSelector(delete), "Really");
      click(By.cssSelector(delete));
      waitForText(By.id("flash"), "console-alerting");
      assertThat(api.get("/channels/console-hook").status()).isEqualTo(200);

      assertThat(api.delete("/jobs/console-alerting").status()).isEqualTo(204);
      Await.until(
          WAIT,
          "the job index to drop the job",
          () -> !api.get("/jobs?limit=500").body().contains("console-alerting"));
      click(By.cssSelector(delete));
      waitForText(By.cssSelector(delete), "Really");
      click(By.cssSelector(delete));
      waitFor(d -> d.findElements(By.cssSelector("tr[data-channel=console-hook]")).isEmpty());
      assertThat(api.get("/channels/console-hook").status()).isEqualTo(404);

      // An email channel: its own fields, and the API's 400 at the recipient it names.
      new Select(byId("ch-type")).selectByValue("email");
      assertThat(byId("ch-url").isDisplayed()).isFalse();
      type("ch-name", "console-mail");
      type("ch-email-host", "smtp.example.org");
      type("ch-email-from", "distcron@example.org");
      type("ch-email-to", "oncall@example.org\nnot an address");
      click(By.id("channel-save"));
      waitForText(By.id("ch-email-to-error"), "email.to[1] is not a mail address");
      retype("ch-email-to", "oncall@example.org");
      click(By.id("channel-save"));
      waitForText(
          By.cssSelector("tr[data-channel=console-mail]"),
          "from distcron@example.org via smtp.example.org:587 (starttls)");
      assertThat(api.get("/channels/console-mail").json().get("email").get("to").toString())
          .isEqualTo("[\"oncall@example.org\"]");
    } finally {
      receiver.stop(0);
    }
  }

  private static String healthOf(String channel) {
    return byCss("tr[data-channel=" + channel + "] td.health .badge").getAttribute("data-status");
  }

  /** Waits for the test send's outcome in the channel's row. */
  private static String testResultOf(String channel) {
    return waitFor(
        d -> {
          List<WebElement> b =
              d.findElements(By.cssSelector("td[data-test-result=" + channel + "] .badge"));
          return b.isEmpty() ? null : b.get(0).getAttribute("data-status");
        });
  }

  private static HttpResponse<String> call(
      String api, String method, String path, String token, String body) throws Exception {
    return HttpClient.newHttpClient()
        .send(
            HttpRequest.newBuilder(URI.create(api + path))
                .header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body))
                .build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private static void create(String json) {
    ApiClient.Response r = api.post("/jobs", json);
    assertThat(r.status()).as("create: " + r.body()).isEqualTo(201);
  }

  private static String trigger(String job) {
    ApiClient.Response r = api.post("/jobs/" + job + "/trigger", "");
    assertThat(r.status()).as("trigger: " + r.body()).isEqualTo(202);
    return r.json().get("runId").asText();
  }

  /** A fresh page load of a console route (a hash change alone would not reload the app). */
  private static void open(String route) {
    driver.get("about:blank");
    driver.get(consoleUrl + "#/" + route);
    waitFor(
        d ->
            ((JavascriptExecutor) d)
                .executeScript("return document.readyState")
                .equals("complete"));
  }

  /** A figure of the job page's last-24-hours card. */
  private static String stat(String key) {
    return byCss("#job-stats [data-stat=" + key + "] .figure-value").getText();
  }

  private static WebElement byId(String id) {
    return driver.findElement(By.id(id));
  }

  private static WebElement byCss(String css) {
    return driver.findElement(By.cssSelector(css));
  }

  private static void type(String id, String text) {
    waitFor(ExpectedConditions.elementToBeClickable(By.id(id))).sendKeys(text);
  }

  /** Empties a field the way a person does, so that the page sees an input event. */
  private static void erase(String id) {
    WebElement e = waitFor(ExpectedConditions.elementToBeClickable(By.id(id)));
    e.sendKeys(Keys.chord(Keys.CONTROL, "a"), Keys.BACK_SPACE);
  }

  private static void retype(String id, String text) {
    WebElement e = waitFor(ExpectedConditions.elementToBeClickable(By.id(id)));
    e.clear();
    e.sendKeys(text);
  }

  /**
   * Clicks once the element is there and clickable; a row the page just redrew is found again. The
   * element is scrolled to the middle first: scrolled to an edge of a long form, the sticky top bar
   * can cover it.
   */
  private static void click(By by) {
    waitFor(
        d -> {
          WebElement e = d.findElement(by);
          ((JavascriptExecutor) d)
              .executeScript("arguments[0].scrollIntoView({block: 'center'})", e);
          e.click();
          return true;
        });
  }

  private static void waitForText(By by, String text) {
    String[] seen = {"(no such element)"};
    until(
        () -> "text \"" + text + "\" in " + by + "; it shows \"" + seen[0] + "\"",
        d -> {
          seen[0] = d.findElement(by).getText();
          return seen[0].contains(text) ? seen[0] : null;
        });
  }

  /**
   * Waits for a condition; on timeout, says which line of the test waited and what page it was on.
   */
  private static <T> T waitFor(Function<? super WebDriver, T> condition) {
    int line =
        StackWalker.getInstance()
            .walk(
                frames ->
                    frames
                        .filter(f -> f.getClassName().equals(ConsoleBrowserTest.class.getName()))
                        .filter(f -> !HELPERS.contains(f.getMethodName()))
                        .findFirst()
                        .map(StackWalker.StackFrame::getLineNumber)
                        .orElse(-1));
    return until(() -> "the condition at ConsoleBrowserTest.java:" + line, condition);
  }

  private static <T> T until(Supplier<String> what, Function<? super WebDriver, T> condition) {
    return new WebDriverWait(driver, WAIT)
        .ignoring(StaleElementReferenceException.class)
        .ignoring(NoSuchElementException.class)
        .ignoring(ElementClickInterceptedException.class)
        .ignoring(ElementNotInteractableException.class)
        .withMessage(
            () -> what.get() + ", on " + driver.getCurrentUrl() + " showing:\n" + pageText())
        .until(condition::apply);
  }

  private static String pageText() {
    try {
      String text = driver.findElement(By.tagName("body")).getText();
      return text.length() > 1500 ? text.substring(0, 1500) + "..." : text;
    } catch (RuntimeException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static List<String> visibleJobs() {
    return driver.findElements(By.cssSelector("#jobs-body tr[data-job]")).stream()
        .map(e -> e.getAttribute("data-job"))
        .toList();
  }

  /** Nothing ran, and the markup in the data never became elements. */
  private static void assertNothingInjected() {
    JavascriptExecutor js = driver;
    assertThat(js.executeScript("return typeof window.__xss")).isEqualTo("undefined");
    assertThat(js.executeScript("return document.querySelectorAll('img[src=\"x\"]').length"))
        .isEqualTo(0L);
    assertThat(js.executeScript("return document.querySelectorAll('body script').length"))
        .isEqualTo(0L);
  }

  private static void screenshot(String name) throws IOException {
    File shot = driver.getScreenshotAs(OutputType.FILE);
    Files.copy(shot.toPath(), SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }
}
