package io.distcron.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.Writer;
import java.net.ConnectException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * The CLI's only way to the cluster: the public HTTP API under {@code /api/v1}. Every non-2xx
 * answer and every transport failure becomes a {@link CliException} carrying the one line the user
 * will see.
 */
final class Api {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  private final HttpClient http;
  private final String baseUrl;
  private final String token;

  /** {@code baseUrl} is the node as the user wrote it, e.g. {@code http://127.0.0.1:8080}. */
  Api(String baseUrl, String token) {
    this.baseUrl = normalise(baseUrl);
    this.token = token == null || token.isBlank() ? null : token;
    // HTTP/1.1 on purpose: the JDK's default would try an h2c upgrade on every plain-http request.
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT)
            .build();
  }

  /**
   * Accepts the node's root with or without a trailing slash or {@code /api/v1}, so a pasted URL
   * works.
   */
  private static String normalise(String url) {
    String u = url.trim();
    while (u.endsWith("/")) u = u.substring(0, u.length() - 1);
    if (u.endsWith("/api/v1")) u = u.substring(0, u.length() - "/api/v1".length());
    URI uri;
    try {
      uri = new URI(u);
    } catch (Exception e) {
      throw CliException.usage("--url is not a valid URL: " + url);
    }
    if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
        || uri.getHost() == null) {
      throw CliException.usage("--url must be an http:// or https:// URL, not '" + url + "'");
    }
    return u;
  }

  String baseUrl() {
    return baseUrl;
  }

  /**
   * A path segment from user input (a job name, a run id), so that no input can change the path.
   */
  static String segment(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  static String query(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  JsonNode get(String path) {
    return json(send(request(path).GET(), REQUEST_TIMEOUT));
  }

  /** An action with no body (pause, trigger, kill): none is sent, as the API reads none. */
  JsonNode post(String path) {
    return json(send(request(path).POST(HttpRequest.BodyPublishers.noBody()), REQUEST_TIMEOUT));
  }

  JsonNode post(String path, JsonNode body) {
    return post(path, body, REQUEST_TIMEOUT);
  }

  JsonNode post(String path, JsonNode body, Duration timeout) {
    return json(send(withBody(request(path), "POST", body), timeout));
  }

  JsonNode put(String path, JsonNode body) {
    return json(send(withBody(request(path), "PUT", body), REQUEST_TIMEOUT));
  }

  JsonNode delete(String path) {
    return json(send(request(path).DELETE(), REQUEST_TIMEOUT));
  }

  /** A plain-text resource, such as a run's output. */
  String text(String path) {
    return send(request(path).GET(), REQUEST_TIMEOUT);
  }

  /**
   * Copies a streamed text body to {@code out} as it arrives, flushing each piece, until the server
   * ends it. No request timeout: a followed run may go on for hours.
   */
  void stream(String path, Writer out) {
    HttpResponse<InputStream> response =
        exchange(request(path).GET(), null, HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = response.body();
        Reader reader = new InputStreamReader(body, StandardCharsets.UTF_8)) {
      if (response.statusCode() / 100 != 2) {
        throw failure(
            response.statusCode(), new String(body.readAllBytes(), StandardCharsets.UTF_8));
      }
      char[] buffer = new char[8192];
      for (int n; (n = reader.read(buffer)) != -1; ) {
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      throw transport(e);
    }
  }

  private HttpRequest.Builder request(String path) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1" + path))
            .header("Accept", "application/json, text/plain")
            .header("User-Agent", "distcron-cli");
    if (token != null) b.header("Authorization", "Bearer " + token);
    return b;
  }

  private static HttpRequest.Builder withBody(HttpRequest.Builder b, String method, JsonNode body) {
    try {
      return b.header("Content-Type", "application/json")
          .method(method, HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body)));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private String send(HttpRequest.Builder request, Duration timeout) {
    HttpResponse<String> response =
        exchange(request, timeout, HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) throw failure(response.statusCode(), response.body());
    return response.body();
  }

  private <T> HttpResponse<T> exchange(
      HttpRequest.Builder request, Duration timeout, HttpResponse.BodyHandler<T> handler) {
    if (timeout != null) request.timeout(timeout);
    try {
      return http.send(request.build(), handler);
    } catch (IOException e) {
      throw transport(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CliException.api("interrupted");
    }
  }

  private static JsonNode json(String body) {
    if (body == null || body.isBlank()) return MissingNode.getInstance();
    try {
      return JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw CliException.api("the server's answer is not JSON: " + firstLine(body));
    }
  }

  /** The API's {@code {"error", "field"}} as one line; anything else (a proxy's page) by status. */
  private CliException failure(int status, String body) {
    try {
      JsonNode error = JSON.readTree(body == null ? "" : body);
      if (error != null && error.hasNonNull("error")) {
        String field = error.path("field").isTextual() ? error.get("field").asText() : null;
        // A 401 is the one error whose fix is on this side of the wire: say how to give a token.
        String hint =
            status == 401
                ? token == null ? "; give --token or set DISTCRON_TOKEN" : "; check the token"
                : "";
        return CliException.api(
            oneLine(error.get("error").asText())
                + (field == null ? "" : " (field: " + field + ")")
                + hint
                + itemErrors(error));
      }
    } catch (JsonProcessingException e) {
      // not the API's shape: described by status below
    }
    String text = body == null || body.isBlank() ? "" : ": " + firstLine(body);
    return CliException.api("HTTP " + status + text);
  }

  /** A bulk apply's refusal lists each job it refused: one line each. */
  private static String itemErrors(JsonNode error) {
    StringBuilder lines = new StringBuilder();
    for (JsonNode item : error.path("jobs")) {
      if (item.hasNonNull("error")) {
        lines
            .append(System.lineSeparator())
            .append("  ")
            .append(item.path("field").asText(""))
            .append(": ")
            .append(oneLine(item.get("error").asText()));
      }
    }
    return lines.toString();
  }

  private CliException transport(IOException e) {
    String why;
    if (e instanceof HttpConnectTimeoutException) {
      why = "connection timed out";
    } else if (e instanceof HttpTimeoutException) {
      return CliException.api(
          baseUrl + " did not answer within " + REQUEST_TIMEOUT.toSeconds() + "s");
    } else if (e instanceof ConnectException) {
      why =
          e.getCause() instanceof UnresolvedAddressException
              ? "unknown host"
              : "connection refused";
    } else {
      why = e.getMessage() == null ? e.getClass().getSimpleName() : oneLine(e.getMessage());
    }
    return CliException.api("cannot reach " + baseUrl + ": " + why);
  }

  private static String firstLine(String s) {
    String line = s.strip().lines().findFirst().orElse("");
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  private static String oneLine(String s) {
    return s.replaceAll("\\s*[\\r\\n]+\\s*", " ").strip();
  }
}
