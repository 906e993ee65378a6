package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RunWriterTest {
  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  private final HikariDataSource ds =
      Database.open(TestDatabases.db("h2", TestDatabases.uniqueName("runwriter")));
  private final ExecutorService blocking = Executors.newFixedThreadPool(4);

  @AfterEach
  void close() {
    blocking.shutdownNow();
    ds.close();
  }

  @Test
  void everyRecordSubmittedFromManyThreadsIsWrittenAndEachRunEndsInItsLatestState()
      throws Exception {
    Schema.create(ds);
    RunStore store = new RunStore(ds);
    RunWriter writer = new RunWriter(store, blocking);
    ExecutorService submitters = Executors.newFixedThreadPool(4);
    for (int t = 0; t < 4; t++) {
      int thread = t;
      submitters.execute(
          () ->
              IntStream.range(0, 250)
                  .forEach(
                      i -> {
                        String id = "run-" + thread + "-" + i;
                        RunRecord fired =
                            RunRecord.fired(id, "job-" + thread, T0, T0, 1, RunReason.SCHEDULE);
                        writer.submit(List.of(fired));
                        writer.submit(
                            List.of(
                                new RunRecord(
                                    id,
                                    "job-" + thread,
                                    T0,
                                    T0,
                                    T0,
                                    T0.plusSeconds(1),
                                    "n1",
                                    1,
                                    RunReason.SCHEDULE,
                                    RunStatus.SUCCEEDED,
                                    0,
                                    null,
                                    null)));
                      }));
    }
    submitters.shutdown();
    assertThat(submitters.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    writer.idle().toCompletableFuture().get(30, TimeUnit.SECONDS);

    for (int t = 0; t < 4; t++) {
      List<RunRecord> runs = store.listByJob("job-" + t, 1000, null).items();
      assertThat(runs).hasSize(250);
      assertThat(runs).allSatisfy(r -> assertThat(r.status()).isEqualTo(RunStatus.SUCCEEDED));
    }
  }

  @Test
  void anIncompleteRecordIsRefusedAtOnceAndDoesNotHoldUpOthers() throws Exception {
    Schema.create(ds);
    RunStore store = new RunStore(ds);
    RunWriter writer = new RunWriter(store, blocking);
    RunRecord noJob = RunRecord.fired("bad", null, T0, T0, 1, RunReason.SCHEDULE);
    assertThatThrownBy(() -> writer.submit(List.of(noJob)))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("job of run bad");
    writer.submit(List.of(RunRecord.fired("good", "backup", T0, T0, 1, RunReason.SCHEDULE)));
    writer.idle().toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertThat(store.find("good")).isPresent();
    assertThat(store.find("bad")).isEmpty();
  }
}
