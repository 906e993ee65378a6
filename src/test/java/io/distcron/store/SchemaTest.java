package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import io.distcron.config.DistcronSettings;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

class SchemaTest {

  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private HikariDataSource open(DistcronSettings.Db db) {
    HikariDataSource ds = Database.open(db);
    pools.add(ds);
    return ds;
  }

  @OnBoth
  void createTwiceKeepsTheData(String kind) {
    HikariDataSource ds = open(TestDatabases.db(kind, TestDatabases.uniqueName("schema")));
    Schema.create(ds);
    RunStore store = new RunStore(ds);
    Jdbc.transaction(
        ds,
        "write a run",
        c -> {
          store.write(
              c,
              List.of(
                  RunRecord.fired(
                      "r1", "job", Instant.EPOCH, Instant.EPOCH, 1, RunReason.SCHEDULE)));
          return null;
        });

    Schema.create(ds);

    assertThat(store.find("r1")).isPresent();
  }

  @OnBoth
  void nodesStartingTogetherAllCreateTheSchema(String kind) throws Exception {
    DistcronSettings.Db db = TestDatabases.db(kind, TestDatabases.uniqueName("schema"));
    int nodes = 4;
    List<HikariDataSource> sources = new ArrayList<>();
    for (int i = 0; i < nodes; i++) {
      sources.add(open(db));
    }
    ExecutorService pool = Executors.newFixedThreadPool(nodes);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (HikariDataSource ds : sources) {
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  Schema.create(ds);
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }

    assertThat(new RunStore(sources.get(0)).unfinished()).isEmpty();
  }
}
