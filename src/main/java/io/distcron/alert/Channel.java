package io.distcron.alert;

import java.util.List;

/**
 * Where alerts go. A {@code webhook} gets each alert as JSON at {@code url}, signed with {@code
 * secret} when one is set; {@code slack}, a line of text at an incoming-webhook {@code url}; {@code
 * email}, a mail through {@code email}'s SMTP server. {@code secret} and the SMTP password are
 * write-only: the API never shows them.
 */
public record Channel(String name, Type type, String url, String secret, Email email) {

  public enum Type {
    WEBHOOK,
    SLACK,
    EMAIL
  }

  /**
   * {@code none}: plain SMTP; {@code starttls}: upgraded, required; {@code smtps}: TLS from the
   * start.
   */
  public enum Tls {
    NONE,
    STARTTLS,
    SMTPS
  }

  public record Email(
      String host,
      int port,
      Tls tls,
      String username,
      String password,
      String from,
      List<String> to) {
    public Email {
      to = to == null ? List.of() : List.copyOf(to);
    }
  }

  /** Whether a secret (webhook secret or SMTP password) is set. */
  public boolean secretSet() {
    return set(secret) || (email != null && set(email.password()));
  }

  /** An empty secret is none: how a client removes one. */
  static boolean set(String secret) {
    return secret != null && !secret.isEmpty();
  }

  /**
   * This channel, keeping {@code old}'s secrets where this one was given none: a client that never
   * saw a secret can change everything else without losing it.
   */
  public Channel keepingSecretsOf(Channel old) {
    if (old == null || old.type() != type) return this;
    String keptSecret = secret == null ? old.secret() : secret;
    Email keptEmail = email;
    if (email != null && email.password() == null && old.email() != null) {
      keptEmail =
          new Email(
              email.host(),
              email.port(),
              email.tls(),
              email.username(),
              old.email().password(),
              email.from(),
              email.to());
    }
    return new Channel(name, type, url, keptSecret, keptEmail);
  }
}
