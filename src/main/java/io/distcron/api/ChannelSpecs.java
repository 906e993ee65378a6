package io.distcron.api;

import io.distcron.alert.Channel;
import jakarta.mail.internet.AddressException;
import jakarta.mail.internet.InternetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.Locale;

/**
 * Turns a client's channel into a valid {@link Channel}, or an {@link ApiError} naming the field.
 */
final class ChannelSpecs {
  private static final int MAX_URL = 2048;
  private static final int MAX_SECRET = 1024;
  private static final int MAX_HOST = 253;
  private static final int MAX_ADDRESS = 320;
  private static final int MAX_RECIPIENTS = 50;

  private ChannelSpecs() {}

  /** {@code pathName}: the name in a PUT's URL, null for a POST. */
  static Channel toChannel(Dtos.ChannelRequest r, String pathName) {
    String name = JobSpecs.nameOf(r.name(), pathName);
    if (r.type() == null) {
      throw ApiError.badRequest("type", "type is required: webhook, slack or email");
    }
    Channel.Type type;
    try {
      type = Channel.Type.valueOf(r.type().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("type", "type must be webhook, slack or email");
    }
    Inputs.text(r.secret(), "secret", MAX_SECRET);
    if (r.secret() != null && type != Channel.Type.WEBHOOK) {
      throw ApiError.badRequest("secret", "only a webhook channel takes a secret");
    }
    if (type == Channel.Type.EMAIL) {
      if (r.url() != null) throw ApiError.badRequest("url", "an email channel takes no url");
      if (r.email() == null) throw ApiError.badRequest("email", "email is required");
      return new Channel(name, type, null, null, email(r.email()));
    }
    if (r.email() != null) {
      throw ApiError.badRequest("email", "only an email channel takes email settings");
    }
    return new Channel(name, type, url(r.url()), r.secret(), null);
  }

  private static String url(String url) {
    if (url == null || url.isBlank()) throw ApiError.badRequest("url", "url is required");
    Inputs.text(url, "url", MAX_URL);
    try {
      URI uri = new URI(url.trim());
      if (("http".equals(uri.getScheme()) || "https".equals(uri.getScheme()))
          && uri.getHost() != null) {
        return url.trim();
      }
    } catch (URISyntaxException e) {
      // falls through to the error below
    }
    throw ApiError.badRequest("url", "url must be an absolute http:// or https:// URL");
  }

  private static Channel.Email email(Dtos.EmailDto e) {
    if (e.host() == null || e.host().isBlank()) {
      throw ApiError.badRequest("email.host", "email.host is required");
    }
    Inputs.text(e.host(), "email.host", MAX_HOST);
    Channel.Tls tls;
    try {
      tls =
          e.tls() == null
              ? Channel.Tls.STARTTLS
              : Channel.Tls.valueOf(e.tls().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException x) {
      throw ApiError.badRequest("email.tls", "email.tls must be none, starttls or smtps");
    }
    int port =
        e.port() != null
            ? e.port()
            : tls == Channel.Tls.SMTPS ? 465 : tls == Channel.Tls.STARTTLS ? 587 : 25;
    if (port < 1 || port > 65535) {
      throw ApiError.badRequest("email.port", "email.port must be from 1 to 65535");
    }
    Inputs.text(e.username(), "email.username", MAX_ADDRESS);
    Inputs.text(e.password(), "email.password", MAX_SECRET);
    if (e.password() != null && e.username() == null) {
      throw ApiError.badRequest("email.password", "email.password goes with email.username");
    }
    String from = address(e.from(), "email.from");
    if (e.to() == null || e.to().isEmpty()) {
      throw ApiError.badRequest("email.to", "email.to must list at least one address");
    }
    if (e.to().size() > MAX_RECIPIENTS) {
      throw ApiError.badRequest("email.to", "email.to holds at most " + MAX_RECIPIENTS);
    }
    List<String> to = new java.util.ArrayList<>();
    for (int i = 0; i < e.to().size(); i++) to.add(address(e.to().get(i), "email.to[" + i + "]"));
    return new Channel.Email(e.host().trim(), port, tls, e.username(), e.password(), from, to);
  }

  private static String address(String address, String field) {
    if (address == null || address.isBlank()) {
      throw ApiError.badRequest(field, field + " is required");
    }
    Inputs.text(address, field, MAX_ADDRESS);
    try {
      new InternetAddress(address.trim(), true);
      return address.trim();
    } catch (AddressException x) {
      throw ApiError.badRequest(field, field + " is not a mail address: " + x.getMessage());
    }
  }
}
