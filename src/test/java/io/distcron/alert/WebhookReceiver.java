package io.distcron.alert;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on a local port: checks each request's signature against the secret, answers
 * 500 to the first {@code refuse} requests, and keeps what it accepted and what it refused.
 */
final class WebhookReceiver implements AutoCloseable {
  /** One request: its key header, whether its signature matched, its body. */
  record Received(String key, boolean signed, JsonNode body) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final String secret;
  private final AtomicInteger refuse = new AtomicInteger();
  private final List<Received> accepted = new ArrayList<>();
  private final List<Received> refused = new ArrayList<>();

  WebhookReceiver(String secret) {
    this.secret = secret;
    try {
      server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    server.createContext(
        "/",
        exchange -> {
          String body =
              new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
          String signature = exchange.getRequestHeaders().getFirst(Senders.SIGNATURE);
          boolean signed = secret != null && Senders.signature(secret, body).equals(signature);
          Received r =
              new Received(
                  exchange.getRequestHeaders().getFirst(Senders.IDEMPOTENCY_KEY),
                  signed,
                  JSON.readTree(body));
          int status;
          synchronized (this) {
            if (refuse.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
              refused.add(r);
              status = 500;
            } else {
              accepted.add(r);
              status = 204;
            }
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    server.start();
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  void refuseNext(int n) {
    refuse.set(n);
  }

  synchronized List<Received> accepted() {
    return List.copyOf(accepted);
  }

  synchronized List<Received> refused() {
    return List.copyOf(refused);
  }

  synchronized List<Received> accepted(String job, String kind) {
    return accepted.stream()
        .filter(r -> job.equals(r.body().path("job").asText()))
        .filter(r -> kind.equals(r.body().path("kind").asText()))
        .toList();
  }

  @Override
  public void close() {
    server.stop(0);
  }

  String secret() {
    return secret;
  }
}
