package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;
import static org.apache.pekko.http.javadsl.server.PathMatchers.segment;

import io.distcron.store.AuditLog;
import io.distcron.store.Stores;
import io.distcron.store.TokenStore;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.server.Route;

/**
 * {@code /api/v1/tokens} (admins manage API tokens) and {@code /api/v1/audit} (who changed what).
 */
final class AdminRoutes {
  private final Stores stores;
  private final TokenStore tokens;
  private final AuditLog audit;
  private final Json json;
  private final long maxBodyBytes;

  AdminRoutes(Stores stores, TokenStore tokens, AuditLog audit, Json json, long maxBodyBytes) {
    this.stores = stores;
    this.tokens = tokens;
    this.audit = audit;
    this.json = json;
    this.maxBodyBytes = maxBodyBytes;
  }

  Route route() {
    return concat(
        pathPrefix(
            "tokens",
            () ->
                concat(
                    pathEnd(
                        () ->
                            concat(
                                get(this::listTokens),
                                post(() -> Inputs.jsonBody(maxBodyBytes, this::createToken)))),
                    path(segment(), id -> delete(() -> deleteToken(id))))),
        path("audit", () -> get(this::listAudit)));
  }

  private Route createToken(String body) {
    Dtos.TokenRequest r = json.read(body, Dtos.TokenRequest.class);
    if (r.name() == null || r.name().isBlank() || r.name().length() > 200) {
      throw ApiError.badRequest("name", "name is required (at most 200 characters)");
    }
    Inputs.text(r.name(), "name", 200);
    Role role;
    try {
      role = Role.valueOf(r.role() == null ? "" : r.role().trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw ApiError.badRequest("role", "role must be viewer, operator or admin");
    }
    return completeWithFuture(
        stores
            .async(() -> tokens.create(r.name().trim(), role.name()))
            .thenApply(
                created ->
                    json.response(
                        201,
                        new Dtos.TokenDto(
                            created.token().id(),
                            created.token().name(),
                            created.token().role().toLowerCase(Locale.ROOT),
                            created.token().createdAt(),
                            created.secret()))));
  }

  private Route listTokens() {
    return completeWithFuture(
        stores
            .async(tokens::list)
            .thenApply(
                list ->
                    json.response(
                        200,
                        new Dtos.Items<>(
                            list.stream()
                                .map(
                                    t ->
                                        new Dtos.TokenDto(
                                            t.id(),
                                            t.name(),
                                            t.role().toLowerCase(Locale.ROOT),
                                            t.createdAt(),
                                            null))
                                .toList()))));
  }

  private Route deleteToken(String id) {
    return completeWithFuture(
        stores
            .async(() -> tokens.delete(id))
            .thenApply(
                deleted -> {
                  if (!deleted) throw ApiError.notFound("token '" + id + "' not found");
                  return HttpResponse.create().withStatus(204);
                }));
  }

  private Route listAudit() {
    return parameterOptional(
        "job",
        job ->
            parameterOptional(
                "actor",
                actor ->
                    parameterOptional(
                        "since",
                        since ->
                            parameterOptional(
                                "until",
                                until ->
                                    parameterOptional(
                                        "before",
                                        before ->
                                            parameterOptional(
                                                "limit",
                                                limit -> {
                                                  AuditLog.Filter filter =
                                                      new AuditLog.Filter(
                                                          job.orElse(null),
                                                          actor.orElse(null),
                                                          JobSpecs.instant(
                                                              since.orElse(null), "since"),
                                                          JobSpecs.instant(
                                                              until.orElse(null), "until"));
                                                  return listAudit(filter, before, limit);
                                                }))))));
  }

  private Route listAudit(AuditLog.Filter filter, Optional<String> before, Optional<String> limit) {
    int n = JobRoutes.limitOf(limit, 100);
    Long beforeId = before.map(AdminRoutes::id).orElse(null);
    return completeWithFuture(
        stores
            .async(() -> audit.list(filter, beforeId, n))
            .thenApply(entries -> json.response(200, page(entries, n))));
  }

  private static Long id(String before) {
    try {
      return Long.parseLong(before);
    } catch (NumberFormatException e) {
      throw ApiError.badRequest("before", "before must be an audit entry id");
    }
  }

  private static Dtos.Page<AuditLog.Entry> page(List<AuditLog.Entry> entries, int limit) {
    String next =
        entries.size() == limit ? Long.toString(entries.get(entries.size() - 1).id()) : null;
    return new Dtos.Page<>(entries, next);
  }
}
