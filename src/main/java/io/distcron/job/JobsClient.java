package io.distcron.job;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.LongPredicate;
import java.util.function.Supplier;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/**
 * The ask facade the API uses: any node reaches any job through sharding.
 *
 * <p>A change is answered once the job index (built from the events by a projection) shows it, so a
 * listing right after a 2xx includes it: the reply carries the job's revision, and the index is
 * polled until it has reached it, for at most {@link #INDEX_WAIT}. Past that the reply goes anyway:
 * the change is persisted, only a listing may lag.
 */
public final class JobsClient {
  static final Duration INDEX_WAIT = Duration.ofSeconds(3);
  private static final long POLL_MILLIS = 50;

  private final ClusterSharding sharding;
  private final Duration timeout;
  private final ReadSide readSide;

  /** What the client waits for on the read side. */
  public interface ReadSide {
    /** The revision the job index has of a job, -1 when it does not list it. */
    CompletionStage<Long> revision(String job);

    /** Whether the run store has the run. */
    CompletionStage<Boolean> hasRun(String runId);
  }

  public JobsClient(ActorSystem<?> system, Duration timeout, ReadSide readSide) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
    this.readSide = readSide;
  }

  public Duration timeout() {
    return timeout;
  }

  public CompletionStage<JobEntity.Reply> create(JobSpec spec) {
    return change(spec.name(), r -> new JobEntity.Create(spec, r));
  }

  public CompletionStage<JobEntity.Reply> replace(JobSpec spec) {
    return change(spec.name(), r -> new JobEntity.Replace(spec, r));
  }

  public CompletionStage<JobEntity.Reply> get(String name) {
    return ask(name, JobEntity.Get::new);
  }

  public CompletionStage<JobEntity.Reply> pause(String name) {
    return change(name, JobEntity.Pause::new);
  }

  public CompletionStage<JobEntity.Reply> resume(String name) {
    return change(name, JobEntity.Resume::new);
  }

  public CompletionStage<JobEntity.Reply> delete(String name) {
    return change(name, JobEntity.Delete::new);
  }

  public CompletionStage<JobEntity.Reply> trigger(String name) {
    return ask(name, JobEntity.Trigger::new)
        .thenCompose(
            reply ->
                reply instanceof JobEntity.Triggered t
                    ? until(() -> readSide.hasRun(t.runId()), deadline()).thenApply(x -> reply)
                    : CompletableFuture.completedFuture(reply));
  }

  /** One job of a bulk apply ({@link BulkApply}): answered at once, the index not waited for. */
  public CompletionStage<JobEntity.Reply> apply(JobSpec spec, boolean dryRun) {
    return ask(spec.name(), r -> new JobEntity.Apply(spec, dryRun, r));
  }

  public CompletionStage<JobEntity.Reply> prune(String name, String owner, boolean dryRun) {
    return ask(name, r -> new JobEntity.Prune(owner, dryRun, r));
  }

  public CompletionStage<JobEntity.Reply> backfill(
      String name, Instant from, Instant to, Backfill.Overlap overlap) {
    return ask(name, r -> new JobEntity.StartBackfill(from, to, overlap, r));
  }

  public CompletionStage<JobEntity.Reply> cancelBackfill(String name) {
    return ask(name, JobEntity.CancelBackfill::new);
  }

  public CompletionStage<JobEntity.Reply> kill(String job, String runId) {
    return ask(job, r -> new JobEntity.KillRun(runId, r));
  }

  private CompletionStage<JobEntity.Reply> change(
      String name, Function<ActorRef<JobEntity.Reply>, JobEntity.Command> command) {
    return ask(name, command)
        .thenCompose(
            reply -> {
              if (reply instanceof JobEntity.JobView v) {
                return indexed(name, rev -> showsDefined(rev, v.revision())).thenApply(x -> reply);
              }
              if (reply instanceof JobEntity.Removed r) {
                return indexed(name, rev -> showsDeleted(rev, r.revision())).thenApply(x -> reply);
              }
              return CompletableFuture.completedFuture(reply);
            });
  }

  /** Whether the index, listing a job at {@code listed} (-1: not at all), shows it defined. */
  static boolean showsDefined(long listed, long revision) {
    return listed >= revision;
  }

  /** Whether it shows the job deleted at {@code revision}: gone, or defined again since. */
  static boolean showsDeleted(long listed, long revision) {
    return listed < 0 || listed > revision;
  }

  static long deadline() {
    return System.nanoTime() + INDEX_WAIT.toNanos();
  }

  private CompletionStage<Void> indexed(String name, LongPredicate reached) {
    return until(() -> readSide.revision(name).thenApply(reached::test), deadline());
  }

  /** Asks {@code reached} every few milliseconds until it says yes, or the deadline passes. */
  static CompletionStage<Void> until(Supplier<CompletionStage<Boolean>> reached, long deadline) {
    return reached
        .get()
        .handle((yes, err) -> err == null && yes)
        .thenCompose(
            done -> {
              if (done || System.nanoTime() - deadline > 0) {
                return CompletableFuture.<Void>completedFuture(null);
              }
              return CompletableFuture.supplyAsync(
                      () -> null,
                      CompletableFuture.delayedExecutor(POLL_MILLIS, TimeUnit.MILLISECONDS))
                  .thenCompose(x -> until(reached, deadline));
            });
  }

  private CompletionStage<JobEntity.Reply> ask(
      String name, Function<ActorRef<JobEntity.Reply>, JobEntity.Command> command) {
    return sharding.entityRefFor(JobEntity.ENTITY_KEY, name).ask(command::apply, timeout);
  }
}
