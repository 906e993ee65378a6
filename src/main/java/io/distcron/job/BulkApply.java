package io.distcron.job;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Jobs as code, many at once: each job is asked to take its spec ({@link JobEntity.Apply}), and
 * with prune, the owner's jobs missing from the list to go ({@link JobEntity.Prune}). Each job
 * decides for itself, so two applies of the same list never both create, and an unchanged job is
 * not rewritten. The answer waits, as a single change does ({@link JobsClient}), until the job
 * index shows every change, for at most {@link JobsClient#INDEX_WAIT}.
 */
public final class BulkApply {
  /** Asks in flight at once: enough to keep every node busy, few enough not to flood one. */
  static final int PARALLELISM = 64;

  /** The job index, as the apply reads it. */
  public interface Index {
    /** The names of the jobs {@code owner} manages. */
    CompletionStage<List<String>> managedBy(String owner);

    /** The revisions the index has of {@code names}; a name it does not list is left out. */
    CompletionStage<Map<String, Long>> revisions(Collection<String> names);

    /** The owners of those of {@code names} that have one. */
    CompletionStage<Map<String, String>> owners(Collection<String> names);
  }

  /** One job's answer: {@link JobEntity.Applied} or {@link JobEntity.Rejected}. */
  public record Result(String name, JobEntity.Reply reply) {}

  private final ActorSystem<?> system;
  private final JobsClient jobs;
  private final Index index;

  public BulkApply(ActorSystem<?> system, JobsClient jobs, Index index) {
    this.system = system;
    this.jobs = jobs;
    this.index = index;
  }

  /** {@code specs}: valid, distinct names, each managed by {@code owner}; in the answer's order. */
  public CompletionStage<List<Result>> apply(
      List<JobSpec> specs, String owner, boolean prune, boolean dryRun) {
    Set<String> listed = new HashSet<>();
    specs.forEach(s -> listed.add(s.name()));
    CompletionStage<List<Result>> applied =
        each(specs, s -> jobs.apply(s, dryRun).thenApply(r -> new Result(s.name(), r)));
    return applied
        .thenCompose(
            done -> {
              if (!prune) return CompletableFuture.completedFuture(done);
              return index
                  .managedBy(owner)
                  .thenCompose(
                      names ->
                          each(
                              names.stream().filter(n -> !listed.contains(n)).toList(),
                              n -> jobs.prune(n, owner, dryRun).thenApply(r -> new Result(n, r))))
                  .thenApply(
                      pruned -> {
                        List<Result> all = new ArrayList<>(done);
                        all.addAll(pruned);
                        return all;
                      });
            })
        .thenCompose(results -> indexed(results).thenApply(x -> results));
  }

  private <T> CompletionStage<List<Result>> each(
      List<T> items, Function<T, CompletionStage<Result>> ask) {
    return Source.from(items).mapAsync(PARALLELISM, ask::apply).runWith(Sink.seq(), system);
  }

  /** Until the index has every change the results made, or the wait is over. */
  private CompletionStage<Void> indexed(List<Result> results) {
    Map<String, JobEntity.Applied> changes = new HashMap<>();
    for (Result r : results) {
      if (r.reply() instanceof JobEntity.Applied a && a.revision() >= 0 && changed(a)) {
        changes.put(r.name(), a);
      }
    }
    if (changes.isEmpty()) return CompletableFuture.completedFuture(null);
    return JobsClient.until(
        () ->
            index
                .revisions(changes.keySet())
                .thenApply(
                    revisions -> {
                      changes
                          .entrySet()
                          .removeIf(
                              c -> reached(c.getValue(), revisions.getOrDefault(c.getKey(), -1L)));
                      return changes.isEmpty();
                    }),
        JobsClient.deadline());
  }

  private static boolean changed(JobEntity.Applied a) {
    return a.outcome() != JobEntity.Outcome.UNCHANGED;
  }

  /** As {@link JobsClient} waits for a single change: {@code listed} -1 when not listed. */
  private static boolean reached(JobEntity.Applied a, long listed) {
    return a.outcome() == JobEntity.Outcome.DELETED
        ? JobsClient.showsDeleted(listed, a.revision())
        : JobsClient.showsDefined(listed, a.revision());
  }
}
