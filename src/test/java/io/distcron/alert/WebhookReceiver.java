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
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A webhook receiver on a local port: checks each request's signature against the secret, answers
 * 500 to the next {@code refuse} requests, holds the next {@code hang} requests unanswered until it
 * closes, and keeps what it accepted, refused and held.
 */
public final class WebhookReceiver implements AutoCloseable {
  /** One request: its key header, whether its signature matched, its body. */
  public record Received(String key, boolean signed, JsonNode body) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final String secret;
  private final AtomicInteger refuse = new AtomicInteger();
  private final AtomicInteger hang = new AtomicInteger();
  private final CountDownLatch closing = new CountDownLatch(1);
  private final List<Received> held = new ArrayList<>();
  private final List<Received> accepted = new ArrayList<>();
  private final List<Received> refused = new ArrayList<>();

  public WebhookReceiver(String secret) {
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
          if (hang.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            synchronized (this) {
              held.add(r);
            }
            try {
              closing.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
            exchange.close();
            return;
          }
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
    // Held requests must not hold up the others.
    server.setExecutor(Executors.newCachedThreadPool());
    server.start();
  }

  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
  }

  public void refuseNext(int n) {
    refuse.set(n);
  }

  public void hangNext(int n) {
    hang.set(n);
  }

  public synchronized List<Received> held() {
    return List.copyOf(held);
  }

  public synchronized List<Received> accepted() {
    return List.copyOf(accepted);
  }

  public synchronized List<Received> refused() {
    return List.copyOf(refused);
  }

  public synchronized List<Received> accepted(String job, String kind) {
    return accepted.stream()
        .filter(r -> job.equals(r.body().path("job").asText()))
        .filter(r -> kind.equals(r.body().path("kind").asText()))
        .toList();
  }

  @Override
  public void close() {
    closing.countDown();
    server.stop(0);
  }
}
