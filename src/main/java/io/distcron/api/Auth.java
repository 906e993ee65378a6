package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.distcron.store.AuditLog;
import io.distcron.store.Stores;
import io.distcron.store.TokenStore;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import org.apache.pekko.http.javadsl.model.HttpMethods;
import org.apache.pekko.http.javadsl.model.HttpRequest;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.HttpChallenge;
import org.apache.pekko.http.javadsl.model.headers.WWWAuthenticate;
import org.apache.pekko.http.javadsl.server.Route;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who may call the API, and the audit trail of what they changed. With an admin token configured
 * every request needs a bearer token — the admin token itself, or one created through {@code
 * /api/v1/tokens} — and its role must allow the request. Without one the API is open, which the
 * node only allows while it listens on loopback. Changes are rate-limited per token and written to
 * the audit log.
 */
final class Auth {
  private static final Logger log = LoggerFactory.getLogger(Auth.class);

  record Principal(String name, Role role) {}

  private final String adminTokenHash;
  private final Stores stores;
  private final TokenStore tokens;
  private final AuditLog audit;
  private final Json json;
  private final Clock clock;
  private final double changesPerSecond;
  private final int burst;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  Auth(
      String adminToken,
      Stores stores,
      TokenStore tokens,
      AuditLog audit,
      Json json,
      Clock clock,
      double changesPerSecond,
      int burst) {
    this.adminTokenHash =
        adminToken == null || adminToken.isBlank() ? null : TokenStore.hash(adminToken);
    this.stores = stores;
    this.tokens = tokens;
    this.audit = audit;
    this.json = json;
    this.clock = clock;
    this.changesPerSecond = changesPerSecond;
    this.burst = burst;
  }

  boolean enabled() {
    return adminTokenHash != null;
  }

  /** Authenticates, authorises, rate-limits and audits the API route it wraps. */
  Route secured(Supplier<Route> api) {
    return extractRequest(
        request ->
            extractClientIP(
                ip ->
                    optionalHeaderValueByName(
                        "Authorization",
                        header ->
                            onSuccess(
                                principal(header),
                                principal -> guarded(request, ip.toString(), principal, api)))));
  }

  private Route guarded(
      HttpRequest request, String remote, Optional<Principal> principal, Supplier<Route> api) {
    if (principal.isEmpty()) {
      return complete(
          json.response(401, new Dtos.Error("a valid bearer token is required", "Authorization"))
              .addHeader(WWWAuthenticate.create(HttpChallenge.createOAuth2("distcron"))));
    }
    Principal who = principal.get();
    Role needed = requiredRole(request);
    if (!who.role().allows(needed)) {
      return complete(
          json.response(
              403,
              new Dtos.Error(
                  "this needs the "
                      + needed.name().toLowerCase()
                      + " role; "
                      + who.name()
                      + " is "
                      + who.role().name().toLowerCase(),
                  null)));
    }
    if (!changes(request)) return api.get();
    if (!take(who.name())) {
      return complete(
          json.response(
              429,
              new Dtos.Error(
                  "too many changes: at most " + changesPerSecond + " per second for " + who.name(),
                  null)));
    }
    return mapResponse(r -> audited(request, remote, who, r), api);
  }

  private HttpResponse audited(HttpRequest request, String remote, Principal who, HttpResponse r) {
    String path = request.getUri().path();
    // Cut to the audit log's columns: a long URI must not cost the entry.
    String action = clip(request.method().value() + " " + path, 600);
    String job = clip(jobOf(path), 255);
    stores
        .async(
            () ->
                audit.append(
                    clock.instant(),
                    who.name(),
                    who.role().name(),
                    action,
                    job,
                    r.status().intValue(),
                    remote))
        .whenComplete(
            (ok, err) -> {
              if (err != null)
                log.warn(
                    "Audit entry for {} by {} not written: {}", action, who.name(), err.toString());
            });
    return r;
  }

  private static String clip(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(0, max);
  }

  /** {@code /api/v1/jobs/{name}...} names a job; other paths do not. */
  static String jobOf(String path) {
    String prefix = "/api/v1/jobs/";
    if (!path.startsWith(prefix)) return null;
    String rest = path.substring(prefix.length());
    int slash = rest.indexOf('/');
    return slash < 0 ? rest : rest.substring(0, slash);
  }

  private static boolean changes(HttpRequest request) {
    return !request.method().equals(HttpMethods.GET)
        && !request.method().equals(HttpMethods.HEAD)
        && !request.getUri().path().endsWith("/schedule/preview");
  }

  /**
   * Reads are for viewers; steering a job or run is for operators; changing definitions, for
   * admins.
   */
  static Role requiredRole(HttpRequest request) {
    String path = request.getUri().path();
    if (!changes(request)) return path.startsWith("/api/v1/tokens") ? Role.ADMIN : Role.VIEWER;
    if (path.endsWith("/pause")
        || path.endsWith("/resume")
        || path.endsWith("/trigger")
        || path.endsWith("/backfill")
        || path.endsWith("/kill")) {
      return Role.OPERATOR;
    }
    return Role.ADMIN;
  }

  private CompletionStage<Optional<Principal>> principal(Optional<String> header) {
    if (!enabled())
      return CompletableFuture.completedFuture(Optional.of(new Principal("anonymous", Role.ADMIN)));
    Optional<String> secret =
        header
            .filter(h -> h.regionMatches(true, 0, "Bearer ", 0, 7))
            .map(h -> h.substring(7).trim());
    if (secret.isEmpty()) return CompletableFuture.completedFuture(Optional.empty());
    if (MessageDigest.isEqual(
        adminTokenHash.getBytes(StandardCharsets.US_ASCII),
        TokenStore.hash(secret.get()).getBytes(StandardCharsets.US_ASCII))) {
      return CompletableFuture.completedFuture(Optional.of(new Principal("admin", Role.ADMIN)));
    }
    return stores.async(
        () ->
            tokens
                .findBySecret(secret.get())
                .map(t -> new Principal(t.name(), Role.valueOf(t.role()))));
  }

  /**
   * A token bucket per principal: {@code burst} changes at once, refilled at the configured rate.
   */
  private boolean take(String who) {
    return buckets
        .computeIfAbsent(who, w -> new Bucket(burst, System.nanoTime()))
        .take(changesPerSecond, burst);
  }

  private static final class Bucket {
    private double tokens;
    private long at;

    Bucket(double tokens, long at) {
      this.tokens = tokens;
      this.at = at;
    }

    synchronized boolean take(double perSecond, int burst) {
      long now = System.nanoTime();
      tokens = Math.min(burst, tokens + (now - at) / 1e9 * perSecond);
      at = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    }
  }
}
