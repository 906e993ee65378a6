package io.distcron.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.TestDatabases.OnBoth;
import io.distcron.job.JobSpec;
import io.distcron.run.Action;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import java.time.Duration;
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

class JobIndexTest {

  private final List<HikariDataSource> pools = new ArrayList<>();

  @AfterEach
  void closePools() {
    pools.forEach(HikariDataSource::close);
  }

  private final Map<JobIndex, HikariDataSource> poolOf = new HashMap<>();
  private long revision;

  private JobIndex index(String kind) {
    HikariDataSource ds =
        Database.open(TestDatabases.db(kind, TestDatabases.uniqueName("jobindex")));
    pools.add(ds);
    Schema.create(ds);
    JobIndex index = new JobIndex(ds, new ObjectMapper().findAndRegisterModules());
    poolOf.put(index, ds);
    return index;
  }

  /** As the projection writes a definition and, for a paused job, its pause. */
  private void upsert(JobIndex index, JobSpec spec, boolean paused) {
    Jdbc.transaction(
        poolOf.get(index),
        "index job",
        c -> {
          index.define(c, spec, ++revision);
          index.setPaused(c, spec.name(), paused, ++revision);
          return null;
        });
  }

  private void delete(JobIndex index, String name) {
    Jdbc.transaction(
        poolOf.get(index),
        "unindex job",
        c -> {
          index.delete(c, name);
          return null;
        });
  }

  @OnBoth
  void specsOfEveryActionRoundTrip(String kind) {
    JobIndex index = index(kind);
    JobSpec shell =
        new JobSpec(
            "backup",
            "nightly dump",
            Map.of("team", "data", "env", "prod"),
            "0 3 * * *",
            "Europe/Paris",
            new Action.Shell(
                "pg_dump db > /tmp/\"x\".sql", Map.of("PGHOST", "db"), "/var/tmp", null),
            600,
            true,
            OverlapPolicy.QUEUE_ONE,
            new CatchUpPolicy(CatchUpPolicy.Mode.LATEST, Duration.ofMinutes(5), 3),
            new RetryPolicy(3, Duration.ofSeconds(1), 2.0, Duration.ofSeconds(30)),
            null,
            null,
            null,
            null,
            null,
            null,
            null);
    JobSpec noop =
        new JobSpec(
            "tick",
            null,
            null,
            "@hourly",
            "UTC",
            new Action.Noop(),
            5,
            false,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null);

    upsert(index, shell, false);
    upsert(index, noop, true);

    assertThat(index.find("backup")).contains(new JobIndex.Entry(shell, false));
    assertThat(index.find("tick")).contains(new JobIndex.Entry(noop, true));
    assertThat(index.find("missing")).isEmpty();
  }

  @OnBoth
  void upsertReplacesSpecPauseAndLabels(String kind) {
    JobIndex index = index(kind);
    upsert(index, job("a", Map.of("team", "x", "env", "prod")), false);

    JobSpec changed = job("a", Map.of("team", "y"));
    upsert(index, changed, true);

    assertThat(index.find("a")).contains(new JobIndex.Entry(changed, true));
    assertThat(index.list("env", "prod", null, 10).items()).isEmpty();
    assertThat(index.list("team", "x", null, 10).items()).isEmpty();
    assertThat(names(index.list("team", "y", null, 10))).containsExactly("a");
  }

  @OnBoth
  void listsByNameInPages(String kind) {
    JobIndex index = index(kind);
    for (String name : List.of("e", "b", "d", "a", "c")) {
      upsert(index, job(name, Map.of()), false);
    }

    Page<JobIndex.Entry> first = index.list(null, null, null, 2);
    Page<JobIndex.Entry> second = index.list(null, null, first.next(), 2);
    Page<JobIndex.Entry> third = index.list(null, null, second.next(), 2);

    assertThat(names(first)).containsExactly("a", "b");
    assertThat(first.next()).isEqualTo("b");
    assertThat(names(second)).containsExactly("c", "d");
    assertThat(names(third)).containsExactly("e");
    assertThat(third.next()).isNull();
    assertThat(index.list(null, null, null, 5).next()).isNull();
  }

  @OnBoth
  void filtersByLabel(String kind) {
    JobIndex index = index(kind);
    upsert(index, job("a", Map.of("team", "data", "env", "prod")), false);
    upsert(index, job("b", Map.of("team", "web")), false);
    upsert(index, job("c", Map.of("team", "data")), false);
    upsert(index, job("d", Map.of("env", "prod")), false);
    upsert(index, job("e", Map.of("team", "data")), false);

    assertThat(names(index.list("team", "data", null, 10))).containsExactly("a", "c", "e");
    assertThat(names(index.list("env", null, null, 10))).containsExactly("a", "d");
    assertThat(names(index.list("team", "nobody", null, 10))).isEmpty();

    Page<JobIndex.Entry> first = index.list("team", "data", null, 2);
    assertThat(names(first)).containsExactly("a", "c");
    assertThat(names(index.list("team", "data", first.next(), 2))).containsExactly("e");
    assertThatThrownBy(() -> index.list(null, "data", null, 10))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @OnBoth
  void deleteRemovesTheJobAndItsLabels(String kind) {
    JobIndex index = index(kind);
    upsert(index, job("a", Map.of("team", "data")), false);
    upsert(index, job("b", Map.of("team", "data")), false);

    delete(index, "a");
    delete(index, "never-existed");

    assertThat(index.find("a")).isEmpty();
    assertThat(names(index.list(null, null, null, 10))).containsExactly("b");
    assertThat(names(index.list("team", "data", null, 10))).containsExactly("b");

    // A job defined again under a deleted name starts without the old labels.
    upsert(index, job("a", Map.of()), false);
    assertThat(names(index.list("team", "data", null, 10))).containsExactly("b");
  }

  @OnBoth
  void concurrentFirstWritesOfOneJobDoNotFail(String kind) throws Exception {
    JobIndex index = index(kind);
    int writers = 6;
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        JobSpec spec = job("shared", Map.of("writer", "w" + w, "k" + w, "v"));
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  upsert(index, spec, false);
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

    // Whichever write was last, the labels are exactly its own.
    JobSpec last = index.find("shared").orElseThrow().spec();
    String writer = last.labels().get("writer");
    assertThat(names(index.list("writer", writer, null, 10))).containsExactly("shared");
    assertThat(index.list("writer", null, null, 10).items()).hasSize(1);
    for (int w = 0; w < writers; w++) {
      boolean own = ("w" + w).equals(writer);
      assertThat(index.list("k" + w, null, null, 10).items()).hasSize(own ? 1 : 0);
    }
  }

  private static JobSpec job(String name, Map<String, String> labels) {
    return new JobSpec(
        name,
        "",
        labels,
        "* * * * *",
        "UTC",
        new Action.Noop(),
        60,
        true,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null,
        null);
  }

  private static List<String> names(Page<JobIndex.Entry> page) {
    return page.items().stream().map(e -> e.spec().name()).toList();
  }
}
