package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import io.distcron.run.RunReason;
import io.distcron.run.RunRecord;
import io.distcron.run.RunStatus;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

class RunStoreTest {

  private static final Instant T0 = Instant.parse("2025-03-01T10:00:00Z");

  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private final Map<RunStore, HikariDataSource> poolOf = new HashMap<>();

  private RunStore store(String kind) {
    HikariDataSource ds =
        Database.open(TestDatabases.db(kind, TestDatabases.uniqueName("runstore")));
    pools.add(ds);
    Schema.create(ds);
    RunStore store = new RunStore(ds);
    poolOf.put(store, ds);
    return store;
  }

  /** As the projection writes: in a transaction of its own. */
  private void upsert(RunStore store, RunRecord r) {
    upsertAll(store, List.of(r));
  }

  private void upsertAll(RunStore store, List<RunRecord> rows) {
    Jdbc.transaction(
        poolOf.get(store),
        "write runs",
        c -> {
          store.write(c, rows);
          return null;
        });
  }

  @OnBoth
  void insertsThenOverwritesOnlyGivenColumns(String kind) {
    RunStore store = store(kind);
    RunRecord pending =
        RunRecord.fired("r1", "backup", T0, T0.plusMillis(250), 1, RunReason.SCHEDULE);
    upsert(store, pending);
    assertThat(store.find("r1")).contains(pending);

    upsert(store, running("r1", "backup", T0, "node-a", T0.plusSeconds(1)));

    assertThat(store.find("r1"))
        .contains(
            new RunRecord(
                "r1",
                "backup",
                T0,
                T0.plusMillis(250),
                T0.plusSeconds(1),
                null,
                "node-a",
                1,
                RunReason.SCHEDULE,
                RunStatus.RUNNING,
                null,
                null,
                null,
                null));
    assertThat(store.find("nope")).isEmpty();
  }

  @OnBoth
  void keepsARunsJitterThroughLaterUpdates(String kind) {
    RunStore store = store(kind);
    RunRecord f = RunRecord.fired("r1", "job", T0, T0.plusSeconds(7), 1, RunReason.SCHEDULE);
    RunRecord jittered =
        new RunRecord(
            f.id(),
            f.job(),
            f.scheduledAt(),
            f.firedAt(),
            null,
            null,
            null,
            1,
            f.reason(),
            f.status(),
            null,
            null,
            null,
            Duration.ofMillis(6_789));
    upsert(store, jittered);
    upsert(store, running("r1", "job", T0, "node-a", T0.plusSeconds(8)));
    assertThat(store.find("r1").orElseThrow().jitter()).isEqualTo(Duration.ofMillis(6_789));
  }

  @OnBoth
  void keepsMicrosecondsAndDropsNanoseconds(String kind) {
    RunStore store = store(kind);
    Instant micros = T0.plusNanos(123_456_000);
    upsert(store, RunRecord.fired("r1", "job", micros, micros.plusNanos(789), 1, RunReason.MANUAL));

    RunRecord read = store.find("r1").orElseThrow();

    assertThat(read.scheduledAt()).isEqualTo(micros);
    assertThat(read.firedAt()).isEqualTo(micros);
  }

  @OnBoth
  void runningBeforePendingStaysRunning(String kind) {
    RunStore store = store(kind);
    upsert(store, running("r1", "job", T0, "node-a", T0.plusSeconds(1)));
    upsert(store, RunRecord.fired("r1", "job", T0, T0.plusMillis(5), 1, RunReason.SCHEDULE));

    RunRecord read = store.find("r1").orElseThrow();

    assertThat(read.status()).isEqualTo(RunStatus.RUNNING);
    assertThat(read.node()).isEqualTo("node-a");
    assertThat(read.startedAt()).isEqualTo(T0.plusSeconds(1));
    assertThat(read.firedAt()).isEqualTo(T0.plusMillis(5));
    assertThat(read.reason()).isEqualTo(RunReason.SCHEDULE);
  }

  @OnBoth
  void terminalRunsNeverChange(String kind) {
    RunStore store = store(kind);
    upsert(store, RunRecord.fired("r1", "job", T0, T0, 1, RunReason.SCHEDULE));
    RunRecord done = finished("r1", "job", T0, "node-a", RunStatus.SUCCEEDED, 0, "ok");
    upsert(store, done);

    upsert(store, running("r1", "job", T0, "node-b", T0.plusSeconds(9)));
    upsert(store, finished("r1", "job", T0, "node-c", RunStatus.LOST, null, "node gone"));
    upsertAll(store, List.of(finished("r1", "job", T0, "node-d", RunStatus.FAILED, 1, "late")));

    assertThat(store.find("r1")).contains(done);
  }

  @OnBoth
  void concurrentWritersOfOneRunNeitherFailNorUnfreeze(String kind) throws Exception {
    RunStore store = store(kind);
    int writers = 8;
    int rounds = 15;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      for (int round = 0; round < rounds; round++) {
        String id = "r" + round;
        CountDownLatch start = new CountDownLatch(1);
        List<Future<?>> done = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int writer = w;
          done.add(
              pool.submit(
                  () -> {
                    start.await();
                    upsert(store, RunRecord.fired(id, "job", T0, T0, 1, RunReason.SCHEDULE));
                    upsert(store, running(id, "job", T0, "node-" + writer, T0.plusSeconds(1)));
                    upsertAll(
                        store,
                        List.of(
                            finished(
                                id,
                                "job",
                                T0,
                                "node-" + writer,
                                RunStatus.FAILED,
                                writer,
                                "final-" + writer)));
                    upsert(store, running(id, "job", T0, "late-" + writer, T0.plusSeconds(2)));
                    return null;
                  }));
        }
        start.countDown();
        for (Future<?> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
        // Whichever terminal write won, it was applied whole and nothing after it.
        RunRecord read = store.find(id).orElseThrow();
        assertThat(read.status()).isEqualTo(RunStatus.FAILED);
        assertThat(read.message()).isEqualTo("final-" + read.exitCode());
        assertThat(read.node()).isEqualTo("node-" + read.exitCode());
        assertThat(read.startedAt()).isEqualTo(T0.plusSeconds(1));
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @OnBoth
  void writesLargeBatchesAndMovesRunsOnInLaterOnes(String kind) {
    RunStore store = store(kind);
    List<RunRecord> runs = new ArrayList<>();
    for (int i = 0; i < 1200; i++) {
      runs.add(
          RunRecord.fired(
              "r" + i, "job", T0.plusSeconds(i), T0.plusSeconds(i), 1, RunReason.CATCHUP));
    }
    upsertAll(store, runs);
    upsertAll(store, List.of(running("r7", "job", T0.plusSeconds(7), "node-a", T0.plusSeconds(8))));

    assertThat(store.unfinished()).hasSize(1200);
    assertThat(store.find("r7").orElseThrow().status()).isEqualTo(RunStatus.RUNNING);
    assertThat(store.find("r1199").orElseThrow().reason()).isEqualTo(RunReason.CATCHUP);
  }

  @OnBoth
  void rejectsRunsAnotherWriterCouldNotInsert(String kind) {
    RunStore store = store(kind);
    RunRecord noJob = RunRecord.fired("r1", null, T0, T0, 1, RunReason.SCHEDULE);

    assertThatThrownBy(() -> upsert(store, noJob)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> upsert(store, noJob.withStatus(null)))
        .isInstanceOf(NullPointerException.class);
  }

  @OnBoth
  void listsNewestFirstInPages(String kind) {
    RunStore store = store(kind);
    for (int i = 0; i < 7; i++) {
      upsert(
          store,
          RunRecord.fired(
              "a" + i,
              "job",
              T0.plusSeconds(60L * i),
              T0.plusSeconds(60L * i),
              1,
              RunReason.SCHEDULE));
    }
    // A retry of the tick at minute 3 fired later: it comes before the first attempt.
    upsert(
        store,
        RunRecord.fired(
            "a3-retry", "job", T0.plusSeconds(180), T0.plusSeconds(400), 2, RunReason.RETRY));
    // Same tick, never fired (written by a late executor first): ordered as if fired at its tick.
    upsert(store, running("a3-unfired", "job", T0.plusSeconds(180), "node-a", T0.plusSeconds(500)));
    upsert(
        store,
        RunRecord.fired(
            "other", "other-job", T0.plusSeconds(999), T0.plusSeconds(999), 1, RunReason.SCHEDULE));

    List<String> seen = new ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Page<RunRecord> page = store.listByJob("job", 3, cursor);
      page.items().forEach(r -> seen.add(r.id()));
      cursor = page.next();
      pages++;
      if (pages == 1) {
        // Keyset paging: a run added meanwhile does not shift later pages.
        upsert(
            store,
            RunRecord.fired(
                "a9", "job", T0.plusSeconds(6000), T0.plusSeconds(6000), 1, RunReason.SCHEDULE));
      }
    } while (cursor != null);

    assertThat(seen)
        .containsExactly("a6", "a5", "a4", "a3-retry", "a3-unfired", "a3", "a2", "a1", "a0");
    assertThat(pages).isEqualTo(3);
    assertThat(store.listByJob("job", 20, null).items())
        .hasSize(10)
        .first()
        .extracting(RunRecord::id)
        .isEqualTo("a9");
    assertThat(store.listByJob("job", 10, null).next()).isNull();
    assertThat(store.listByJob("nothing", 10, null))
        .isEqualTo(new Page<RunRecord>(List.of(), null));
    assertThatThrownBy(() -> store.listByJob("job", 3, "garbage!"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @OnBoth
  void lastByJobIsTheNewestScheduled(String kind) {
    RunStore store = store(kind);
    upsert(
        store,
        RunRecord.fired(
            "new", "job", T0.plusSeconds(60), T0.plusSeconds(61), 1, RunReason.SCHEDULE));
    // Fired later (a catch-up), but for an older tick.
    upsert(store, RunRecord.fired("old", "job", T0, T0.plusSeconds(300), 1, RunReason.CATCHUP));

    assertThat(store.lastByJob("job").map(RunRecord::id)).contains("new");
    assertThat(store.lastByJob("other")).isEmpty();
  }

  @OnBoth
  void findsUnfinishedRuns(String kind) {
    RunStore store = store(kind);
    upsert(store, RunRecord.fired("p-none", "job", T0, T0, 1, RunReason.SCHEDULE));
    upsert(store, running("r-a", "job", T0.plusSeconds(2), "node-a", T0.plusSeconds(3)));
    upsert(store, running("r-b", "job", T0.plusSeconds(1), "node-b", T0.plusSeconds(3)));
    upsert(
        store,
        new RunRecord(
            "p-a",
            "job",
            T0.plusSeconds(1),
            T0,
            null,
            null,
            "node-a",
            1,
            RunReason.SCHEDULE,
            RunStatus.PENDING,
            null,
            null,
            null,
            null));
    upsert(store, finished("s-a", "job", T0, "node-a", RunStatus.SUCCEEDED, 0, "ok"));
    upsert(store, finished("l-a", "job", T0, "node-a", RunStatus.LOST, null, "node left"));

    assertThat(store.unfinished())
        .extracting(RunRecord::id)
        .containsExactly("p-none", "p-a", "r-b", "r-a");
  }

  @OnBoth
  void storesOutputChunksOnce(String kind) {
    RunStore store = store(kind);
    upsert(store, running("r1", "job", T0, "node-a", T0));
    store.appendOutput("r1", 2, "world\n");
    store.appendOutput("r1", 1, "hello ");
    store.appendOutput("r1", 2, "resent, ignored");
    store.appendOutput("r1", 3, "é ✓\n");

    assertThat(store.outputAfter("r1", 0))
        .containsExactly(
            new OutputChunk(1, "hello "),
            new OutputChunk(2, "world\n"),
            new OutputChunk(3, "é ✓\n"));
    assertThat(store.outputAfter("r1", 2)).containsExactly(new OutputChunk(3, "é ✓\n"));
    assertThat(store.outputAfter("r1", 3)).isEmpty();
    assertThat(store.output("r1")).contains("hello world\né ✓\n");
  }

  @OnBoth
  void outputPrefersTheKeptTail(String kind) {
    RunStore store = store(kind);
    upsert(store, running("r1", "job", T0, "node-a", T0));
    store.appendOutput("r1", 1, "partial");
    String tail = "x".repeat(200_000);
    upsert(
        store,
        new RunRecord(
            "r1",
            "job",
            T0,
            T0,
            T0,
            T0.plusSeconds(1),
            "node-a",
            1,
            RunReason.SCHEDULE,
            RunStatus.SUCCEEDED,
            0,
            null,
            tail,
            null));
    upsert(store, running("quiet", "job", T0, "node-a", T0));

    assertThat(store.output("r1")).contains(tail);
    assertThat(store.output("quiet")).contains("");
    assertThat(store.output("unknown")).isEmpty();
  }

  @OnBoth
  void deletesRunsFinishedBeforeCutoffWithTheirOutput(String kind) {
    RunStore store = store(kind);
    Instant cutoff = T0.plus(Duration.ofDays(7));
    upsert(store, finishedAt("old-ok", "job", T0, cutoff.minusSeconds(1), RunStatus.SUCCEEDED));
    upsert(store, finishedAt("old-skip", "job", T0, null, RunStatus.SKIPPED));
    upsert(store, running("old-running", "job", T0, "node-a", T0));
    upsert(store, RunRecord.fired("old-pending", "job", T0, T0, 1, RunReason.SCHEDULE));
    upsert(store, finishedAt("new-ok", "job", T0, cutoff.plusSeconds(1), RunStatus.FAILED));
    upsert(store, finishedAt("new-skip", "job", cutoff, null, RunStatus.SKIPPED));
    for (String id : List.of("old-ok", "old-running", "new-ok")) {
      store.appendOutput(id, 1, "out of " + id);
    }

    assertThat(store.deleteFinishedBefore(cutoff)).isEqualTo(2);

    assertThat(store.find("old-ok")).isEmpty();
    assertThat(store.find("old-skip")).isEmpty();
    assertThat(store.outputAfter("old-ok", 0)).isEmpty();
    assertThat(store.listByJob("job", 10, null).items())
        .extracting(RunRecord::id)
        .containsExactlyInAnyOrder("old-running", "old-pending", "new-ok", "new-skip");
    assertThat(store.outputAfter("old-running", 0)).hasSize(1);
    assertThat(store.outputAfter("new-ok", 0)).hasSize(1);
    assertThat(store.deleteFinishedBefore(cutoff)).isZero();
  }

  @OnBoth
  void trimsEachJobToItsNewestRuns(String kind) {
    RunStore store = store(kind);
    // job a, oldest first: a0 still running, a1..a4 finished.
    upsert(store, running("a0", "a", T0, "node-a", T0));
    for (int i = 1; i <= 4; i++) {
      upsert(
          store,
          finishedAt(
              "a" + i,
              "a",
              T0.plusSeconds(60L * i),
              T0.plusSeconds(60L * i + 1),
              RunStatus.SUCCEEDED));
      store.appendOutput("a" + i, 1, "out");
    }
    upsert(store, finishedAt("b0", "b", T0, T0.plusSeconds(1), RunStatus.FAILED));
    upsert(store, finishedAt("b1", "b", T0.plusSeconds(60), T0.plusSeconds(61), RunStatus.FAILED));

    assertThat(store.trimPerJob(2)).isEqualTo(2);

    assertThat(store.listByJob("a", 10, null).items())
        .extracting(RunRecord::id)
        .containsExactly("a4", "a3", "a0");
    assertThat(store.listByJob("b", 10, null).items())
        .extracting(RunRecord::id)
        .containsExactly("b1", "b0");
    assertThat(store.outputAfter("a1", 0)).isEmpty();
    assertThat(store.outputAfter("a2", 0)).isEmpty();
    assertThat(store.outputAfter("a3", 0)).hasSize(1);
    assertThat(store.trimPerJob(2)).isZero();
    assertThat(store.trimPerJob(0)).isEqualTo(4);
    assertThat(store.unfinished()).extracting(RunRecord::id).containsExactly("a0");
  }

  @OnBoth
  void sumsUpAJobsRunsSinceATimeWithLatenessNetOfJitter(String kind) {
    RunStore store = store(kind);
    Instant t1 = T0.plusSeconds(60);
    Instant t2 = T0.plusSeconds(120);
    upsertAll(
        store,
        List.of(
            ran("late100", "job", T0, RunReason.SCHEDULE, 0, 100, 1_000, RunStatus.SUCCEEDED),
            // 5.3 s after its tick, 5 s of it the job's jitter: 300 ms late
            ran("late300", "job", t1, RunReason.SCHEDULE, 5_000, 5_300, 2_000, RunStatus.FAILED),
            ran("caughtUp", "job", t2, RunReason.CATCHUP, 0, 10_000, null, RunStatus.RUNNING),
            // a retry of t1 starts late by design: not lateness, but a failure and a duration
            ran("retry", "job", t1, RunReason.RETRY, 0, 30_000, 6_000, RunStatus.TIMED_OUT),
            ran("manual", "job", t2, RunReason.MANUAL, 0, 50_000, 0, RunStatus.SUCCEEDED),
            finishedAt("skipped", "job", T0.plusSeconds(180), T0, RunStatus.SKIPPED),
            ran(
                "old",
                "job",
                T0.minusSeconds(3_601),
                RunReason.SCHEDULE,
                0,
                99_000,
                0,
                RunStatus.SUCCEEDED),
            ran("other", "other", T0, RunReason.SCHEDULE, 0, 99_000, 0, RunStatus.FAILED)));

    RunStats stats = store.stats("job", T0.minusSeconds(3_600));

    assertThat(stats)
        .isEqualTo(
            new RunStats(T0.minusSeconds(3_600), 5, 2, 2, 1, 1, 300L, 9_806L, 10_000L, 2_250L));
    assertThat(store.stats("none", T0))
        .isEqualTo(new RunStats(T0, 0, 0, 0, 0, 0, null, null, null, null));
  }

  /** A run of tick {@code tick} that started {@code lateMs} after it and ran {@code tookMs}. */
  private static RunRecord ran(
      String id,
      String job,
      Instant tick,
      RunReason reason,
      long jitterMs,
      long lateMs,
      Integer tookMs,
      RunStatus status) {
    Instant started = tick.plusMillis(lateMs);
    return new RunRecord(
        id,
        job,
        tick,
        started,
        started,
        tookMs == null ? null : started.plusMillis(tookMs),
        "node-a",
        reason == RunReason.RETRY ? 2 : 1,
        reason,
        status,
        null,
        null,
        null,
        jitterMs == 0 ? null : Duration.ofMillis(jitterMs));
  }

  private static RunRecord running(
      String id, String job, Instant scheduledAt, String node, Instant startedAt) {
    return new RunRecord(
        id,
        job,
        scheduledAt,
        null,
        startedAt,
        null,
        node,
        1,
        null,
        RunStatus.RUNNING,
        null,
        null,
        null,
        null);
  }

  private static RunRecord finished(
      String id,
      String job,
      Instant scheduledAt,
      String node,
      RunStatus status,
      Integer exitCode,
      String message) {
    return new RunRecord(
        id,
        job,
        scheduledAt,
        scheduledAt,
        scheduledAt.plusSeconds(1),
        scheduledAt.plusSeconds(2),
        node,
        1,
        RunReason.SCHEDULE,
        status,
        exitCode,
        message,
        "tail of " + id,
        null);
  }

  private static RunRecord finishedAt(
      String id, String job, Instant scheduledAt, Instant finishedAt, RunStatus status) {
    return new RunRecord(
        id,
        job,
        scheduledAt,
        scheduledAt,
        null,
        finishedAt,
        null,
        1,
        RunReason.SCHEDULE,
        status,
        null,
        null,
        null,
        null);
  }
}
