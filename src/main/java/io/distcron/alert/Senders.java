package io.distcron.alert;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.mail.Message;
import jakarta.mail.MessagingException;
import jakarta.mail.Session;
import jakarta.mail.Transport;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Sends one alert to one channel, blocking (on the caller's blocking pool), within a timeout. A
 * send that did not surely succeed throws {@link SendFailed} with what a person needs to fix it; it
 * is then sent again later with the same key, so receivers see at most one of each by key.
 */
public final class Senders {
  public static final String SIGNATURE = "X-Distcron-Signature";
  public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

  /** A send that failed; the message is what the channel's health shows. */
  public static final class SendFailed extends Exception {
    public SendFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final HttpClient http;
  private final ObjectMapper json;
  private final Duration timeout;

  public Senders(ObjectMapper json, Duration timeout) {
    this.json = json;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  /** {@code body}: the alert's JSON as stored, so every resend carries the same bytes. */
  public void send(Channel channel, Alert alert, String body) throws SendFailed {
    try {
      switch (channel.type()) {
        case WEBHOOK -> webhook(channel, alert, body);
        case SLACK -> post(channel.url(), text(Map.of("text", alert.summary())), Map.of());
        case EMAIL -> email(channel.email(), alert, body);
      }
    } catch (SendFailed e) {
      throw e;
    } catch (IOException | MessagingException | RuntimeException e) {
      throw new SendFailed(describe(e), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SendFailed("interrupted", e);
    }
  }

  /** For people reading a channel's health: the JDK's connection errors often have no message. */
  private String describe(Exception e) {
    if (e instanceof HttpTimeoutException) return "no answer within " + timeout;
    if (e instanceof ConnectException) {
      return "cannot connect" + (e.getMessage() == null ? "" : ": " + e.getMessage());
    }
    String what = e.getClass().getSimpleName().replaceAll("Exception$", "");
    return e.getMessage() == null || e.getMessage().isBlank() ? what : what + ": " + e.getMessage();
  }

  /** {@code sha256=} and the hex HMAC-SHA256 of the body's bytes under the secret. */
  public static String signature(String secret, String body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256="
          + java.util.HexFormat.of().formatHex(mac.doFinal(body.getBytes(StandardCharsets.UTF_8)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  /** The mail's Message-ID: derived from the key, so a resend is the same message. */
  public static String messageId(String key) {
    try {
      byte[] digest =
          MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
      return "<" + java.util.HexFormat.of().formatHex(digest) + "@distcron>";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is part of every JDK", e);
    }
  }

  private void webhook(Channel channel, Alert alert, String body)
      throws IOException, InterruptedException, SendFailed {
    Map<String, String> headers =
        Channel.set(channel.secret())
            ? Map.of(IDEMPOTENCY_KEY, alert.key(), SIGNATURE, signature(channel.secret(), body))
            : Map.of(IDEMPOTENCY_KEY, alert.key());
    post(channel.url(), body, headers);
  }

  private void post(String url, String body, Map<String, String> headers)
      throws IOException, InterruptedException, SendFailed {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(timeout)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    headers.forEach(request::header);
    HttpResponse<String> response =
        http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() / 100 != 2) {
      String answer = response.body() == null ? "" : response.body();
      throw new SendFailed(
          "HTTP "
              + response.statusCode()
              + (answer.isBlank()
                  ? ""
                  : ": " + answer.substring(0, Math.min(200, answer.length()))),
          null);
    }
  }

  private void email(Channel.Email e, Alert alert, String body) throws MessagingException {
    boolean smtps = e.tls() == Channel.Tls.SMTPS;
    String protocol = smtps ? "smtps" : "smtp";
    String ms = Long.toString(timeout.toMillis());
    Properties p = new Properties();
    p.put("mail." + protocol + ".host", e.host());
    p.put("mail." + protocol + ".port", Integer.toString(e.port()));
    p.put("mail." + protocol + ".connectiontimeout", ms);
    p.put("mail." + protocol + ".timeout", ms);
    p.put("mail." + protocol + ".writetimeout", ms);
    p.put("mail." + protocol + ".auth", Boolean.toString(e.username() != null));
    if (e.tls() == Channel.Tls.STARTTLS) {
      p.put("mail.smtp.starttls.enable", "true");
      p.put("mail.smtp.starttls.required", "true");
    }
    Session session = Session.getInstance(p);
    MimeMessage message =
        new MimeMessage(session) {
          @Override
          protected void updateMessageID() throws MessagingException {
            setHeader("Message-ID", messageId(alert.key()));
          }
        };
    message.setFrom(new InternetAddress(e.from()));
    for (String to : e.to())
      message.addRecipient(Message.RecipientType.TO, new InternetAddress(to));
    message.setSubject(alert.summary(), "UTF-8");
    message.setText(alert.summary() + "\n\n" + body + "\n", "UTF-8");
    message.saveChanges();
    try (Transport transport = session.getTransport(protocol)) {
      transport.connect(e.host(), e.port(), e.username(), e.password());
      transport.sendMessage(message, message.getAllRecipients());
    }
  }

  private String text(Object value) {
    try {
      return json.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("plain data", e);
    }
  }
}
