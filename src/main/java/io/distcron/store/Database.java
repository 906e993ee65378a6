package io.distcron.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.config.DistcronSettings;
import java.time.Duration;

/** Opens the connection pool of the run store and job index; the journal has a pool of its own. */
public final class Database {

  /** Hikari waits 30 s by default: a request should fail while the caller still cares. */
  static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

  /**
   * PostgreSQL's driver waits for a reply forever by default: when the database host goes silent (a
   * network partition, a host that died without closing its sockets) a query in flight would hold
   * its connection and its blocking thread until the kernel gives up on TCP, for many minutes. Any
   * query of this store ends well within this; a {@code socketTimeout} in the URL takes precedence.
   * The journal's pool gets the same in persistence-postgres.conf.
   */
  static final Duration POSTGRES_SOCKET_TIMEOUT = Duration.ofSeconds(15);

  private Database() {}

  public static HikariDataSource open(DistcronSettings.Db db) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("distcron-store");
    config.setJdbcUrl(db.url());
    config.setUsername(db.user());
    config.setPassword(db.password());
    config.setMaximumPoolSize(db.poolSize());
    config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    if (db.isPostgres()) {
      config.addDataSourceProperty(
          "socketTimeout", Long.toString(POSTGRES_SOCKET_TIMEOUT.toSeconds()));
      // The read side's batches of new runs go as multi-row INSERTs (see RunStore).
      config.addDataSourceProperty("reWriteBatchedInserts", "true");
    }
    return new HikariDataSource(config);
  }
}
