package io.distcron;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.api.HttpServer;
import io.distcron.cluster.JournalCompactor;
import io.distcron.cluster.Membership;
import io.distcron.cluster.Readiness;
import io.distcron.cluster.RunReaper;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.job.JobEntity;
import io.distcron.job.JobsClient;
import io.distcron.metrics.NodeMetrics;
import io.distcron.placement.ExecutorDirectory;
import io.distcron.placement.LoadPublisher;
import io.distcron.placement.Placement;
import io.distcron.store.AuditLog;
import io.distcron.store.JobIndex;
import io.distcron.store.JournalCompaction;
import io.distcron.store.RunStore;
import io.distcron.store.Stores;
import io.distcron.store.TokenStore;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/**
 * The root actor: starts this node's parts in order — executor and load publishing, placement, job
 * sharding, the run reaper singleton, the API and management — and hooks the executor's drain into
 * coordinated shutdown.
 */
final class Guardian {
  private static final Duration ABANDON_TIMEOUT = Duration.ofSeconds(8);

  /** Within Pekko's 10 s for the phase; longer means the database is gone, and the retries too. */
  private static final Duration FLUSH_TIMEOUT = Duration.ofSeconds(5);

  private Guardian() {}

  static Behavior<Void> create(
      DistcronSettings settings,
      Clock clock,
      DataSource ds,
      CompletableFuture<ServerBinding> bound) {
    return Behaviors.setup(
        ctx -> {
          Membership.join(ctx.getSystem());
          start(ctx, settings, clock, ds, bound);
          return Behaviors.empty();
        });
  }

  private static void start(
      ActorContext<Void> ctx,
      DistcronSettings settings,
      Clock clock,
      DataSource ds,
      CompletableFuture<ServerBinding> bound) {
    ActorSystem<?> system = ctx.getSystem();
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("distcron-blocking-dispatcher"));
    ObjectMapper mapper =
        JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    Stores stores = new Stores(new RunStore(ds), new JobIndex(ds, mapper), blocking);
    Placement placement = new Placement(Membership.selfNode(system));
    flushRunsOnShutdown(system, stores);

    ActorRef<ExecutorNode.Command> executor = null;
    AtomicInteger inProgress = null;
    NodeMetrics metrics = NodeMetrics.register(system);
    if (Cluster.get(system).selfMember().hasRole("executor")) {
      inProgress = metrics.runsInProgress();
      executor =
          ctx.spawn(
              ExecutorNode.create(placement.selfNode(), settings, clock, stores, inProgress),
              "executor");
      drainOnShutdown(system, executor, settings.executor().drainGrace());
    }
    ctx.spawn(ExecutorDirectory.create(placement, executor), "executor-directory");
    ctx.spawn(
        LoadPublisher.create(placement, inProgress, settings.executor().capacity()),
        "load-publisher");
    JobEntity.init(system, new JobEntity.Deps(settings, clock, stores, placement));
    RunReaper.init(system, settings, clock, stores);
    JournalCompactor.init(
        system,
        new JournalCompaction(ds, JobEntity.ENTITY_KEY.name()),
        settings.journal().compactInterval(),
        stores);
    HttpServer.start(
            system,
            settings,
            new JobsClient(system, settings.askTimeout()),
            stores,
            new TokenStore(ds),
            new AuditLog(ds),
            placement,
            clock)
        .whenComplete(
            (binding, err) -> {
              if (err != null) {
                bound.completeExceptionally(err);
                return;
              }
              Readiness.started(system, ds);
              Membership.startManagement(system);
              bound.complete(binding);
            });
  }

  /** The run records still queued for the database are written before the node lets go of it. */
  private static void flushRunsOnShutdown(ActorSystem<?> system, Stores stores) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeActorSystemTerminate(),
            "flush-run-records",
            () ->
                stores
                    .written()
                    .toCompletableFuture()
                    .completeOnTimeout(null, FLUSH_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                    .thenApply(ok -> Done.getInstance()));
  }

  /**
   * Before the node's shards are handed off, its runs may finish within the grace; what still runs
   * then is reported LOST, so its job retries it on another node.
   */
  private static void drainOnShutdown(
      ActorSystem<?> system, ActorRef<ExecutorNode.Command> executor, Duration grace) {
    CoordinatedShutdown.get(system)
        .addTask(
            CoordinatedShutdown.PhaseBeforeClusterShutdown(),
            "drain-executor",
            () ->
                AskPattern.<ExecutorNode.Command, Done>ask(
                        executor, ExecutorNode.Drain::new, grace, system.scheduler())
                    .exceptionallyCompose(
                        timeout ->
                            AskPattern.ask(
                                executor,
                                ExecutorNode.Abandon::new,
                                ABANDON_TIMEOUT,
                                system.scheduler()))
                    .exceptionally(err -> Done.getInstance()));
  }
}
