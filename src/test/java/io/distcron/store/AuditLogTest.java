package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;

class AuditLogTest {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private AuditLog log(String kind) {
    HikariDataSource ds = Database.open(TestDatabases.db(kind, TestDatabases.uniqueName("audit")));
    pools.add(ds);
    Schema.create(ds);
    return new AuditLog(ds);
  }

  @OnBoth
  void filtersByJobActorAndTimeNewestFirstAndPages(String kind) {
    AuditLog log = log(kind);
    log.append(T0, "ann", "ADMIN", "POST /api/v1/jobs", "a", 201, "127.0.0.1");
    log.append(T0.plusSeconds(60), "bob", "OPERATOR", "POST /api/v1/jobs/a/pause", "a", 200, null);
    log.append(T0.plusSeconds(120), "ann", "ADMIN", "DELETE /api/v1/jobs/b", "b", 204, null);
    log.append(T0.plusSeconds(180), "ann", "ADMIN", "POST /api/v1/tokens", null, 201, null);

    assertThat(actions(log.list(AuditLog.Filter.ALL, null, 10)))
        .containsExactly(
            "POST /api/v1/tokens",
            "DELETE /api/v1/jobs/b",
            "POST /api/v1/jobs/a/pause",
            "POST /api/v1/jobs");
    assertThat(actions(log.list(new AuditLog.Filter("a", null, null, null), null, 10)))
        .containsExactly("POST /api/v1/jobs/a/pause", "POST /api/v1/jobs");
    assertThat(actions(log.list(new AuditLog.Filter(null, "ann", null, null), null, 10)))
        .containsExactly("POST /api/v1/tokens", "DELETE /api/v1/jobs/b", "POST /api/v1/jobs");
    // since inclusive, until exclusive
    assertThat(
            actions(
                log.list(
                    new AuditLog.Filter(null, "ann", T0.plusSeconds(120), T0.plusSeconds(180)),
                    null,
                    10)))
        .containsExactly("DELETE /api/v1/jobs/b");
    assertThat(log.list(new AuditLog.Filter("a", "ann", T0.plusSeconds(1), null), null, 10))
        .isEmpty();

    List<AuditLog.Entry> first = log.list(new AuditLog.Filter(null, "ann", null, null), null, 2);
    assertThat(
            actions(log.list(new AuditLog.Filter(null, "ann", null, null), first.get(1).id(), 2)))
        .containsExactly("POST /api/v1/jobs");
  }

  private static List<String> actions(List<AuditLog.Entry> entries) {
    return entries.stream().map(AuditLog.Entry::action).toList();
  }
}
