package io.distcron.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.config.DistcronSettings;
import java.time.Duration;

/** Opens the connection pool of the run store and job index; the journal has a pool of its own. */
public final class Database {

  /** Hikari waits 30 s by default: a request should fail while the caller still cares. */
  static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(5);

  private Database() {}

  public static HikariDataSource open(DistcronSettings.Db db) {
    HikariConfig config = new HikariConfig();
    config.setPoolName("distcron-store");
    config.setJdbcUrl(db.url());
    config.setUsername(db.user());
    config.setPassword(db.password());
    config.setMaximumPoolSize(db.poolSize());
    config.setConnectionTimeout(CONNECTION_TIMEOUT.toMillis());
    return new HikariDataSource(config);
  }
}
