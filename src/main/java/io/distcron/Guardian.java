package io.distcron;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.alert.AlertDelivery;
import io.distcron.alert.Deliverer;
import io.distcron.alert.Senders;
import io.distcron.api.HttpServer;
import io.distcron.calendar.CalendarSync;
import io.distcron.calendar.Calendars;
import io.distcron.cluster.JournalCompactor;
import io.distcron.cluster.LeaseKeeper;
import io.distcron.cluster.Membership;
import io.distcron.cluster.NodeFence;
import io.distcron.cluster.Readiness;
import io.distcron.cluster.RunReaper;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.exec.Heartbeats;
import io.distcron.exec.HttpRunner;
import io.distcron.exec.Launch;
import io.distcron.exec.ShellRunner;
import io.distcron.job.JobEntity;
import io.distcron.job.JobReports;
import io.distcron.job.JobsClient;
import io.distcron.metrics.NodeMetrics;
import io.distcron.placement.ExecutorDirectory;
import io.distcron.placement.LoadPublisher;
import io.distcron.placement.Placement;
import io.distcron.store.AuditLog;
import io.distcron.store.CalendarStore;
import io.distcron.store.ChannelStore;
import io.distcron.store.JobIndex;
import io.distcron.store.JournalCompaction;
import io.distcron.store.Outbox;
import io.distcron.store.Projections;
import io.distcron.store.RunStore;
import io.distcron.store.Stores;
import io.distcron.store.TokenStore;
import io.distcron.telemetry.Tracing;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
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

  private Guardian() {}

  static Behavior<Void> create(
      DistcronSettings settings,
      Clock clock,
      DataSource ds,
      Tracing tracing,
      CompletableFuture<ServerBinding> bound) {
    return Behaviors.setup(
        ctx -> {
          Membership.join(ctx.getSystem());
          start(ctx, settings, clock, ds, tracing, bound);
          return Behaviors.empty();
        });
  }

  private static void start(
      ActorContext<Void> ctx,
      DistcronSettings settings,
      Clock clock,
      DataSource ds,
      Tracing tracing,
      CompletableFuture<ServerBinding> bound) {
    ActorSystem<?> system = ctx.getSystem();
    Executor blocking =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("distcron-blocking-dispatcher"));
    Executor runPool =
        system.dispatchers().lookup(DispatcherSelector.fromConfig("distcron-run-dispatcher"));
    ObjectMapper mapper =
        JacksonObjectMapperProvider.get(system).getOrCreate("jackson-json", Optional.empty());
    Stores stores =
        new Stores(
            new RunStore(ds), new JobIndex(ds, mapper), new CalendarStore(ds, mapper), blocking);
    String self = Membership.selfNode(system);
    Placement placement = new Placement(self, settings.nodeLabels(), Membership.members(system));
    Cluster cluster = Cluster.get(system);
    NodeFence fence = new NodeFence(self, () -> cluster.selfMember().status().toString());

    ActorRef<ExecutorNode.Command> executor = null;
    AtomicInteger inProgress = null;
    NodeMetrics metrics = NodeMetrics.register(system);
    if (cluster.selfMember().hasRole("executor")) {
      inProgress = metrics.runsInProgress();
      DistcronSettings.Executor exec = settings.executor();
      // Runs' watchdogs are fed only while this node holds its lease: cut off, frozen or downed,
      // its
      // runs die before the rest of the cluster can retry them.
      Heartbeats heartbeats =
          new Heartbeats(
              fence::leaseHeld, settings.lease().watchdogTimeout(), Heartbeats.DEFAULT_INTERVAL);
      system.getWhenTerminated().thenRun(heartbeats::close);
      Launch.Runners runners =
          new Launch.Runners(
              new ShellRunner(
                  exec.outputTailBytes(), exec.killGrace(), heartbeats, runsDir(settings, self)),
              new HttpRunner(system, exec.outputTailBytes()),
              stores.runs(),
              runPool,
              blocking,
              exec.liveOutputBytes(),
              tracing);
      executor =
          ctx.spawn(
              ExecutorNode.create(
                  new ExecutorNode.Self(self, Membership.selfUid(system)),
                  exec.reportRetry(),
                  exec.capacity(),
                  clock,
                  runners,
                  new JobReports(system),
                  fence,
                  inProgress),
              "executor");
      drainOnShutdown(system, executor, exec.drainGrace());
    }
    // Its pings must be answered in time on a node whose default dispatcher is busy with jobs.
    ctx.spawn(
        LeaseKeeper.create(
            fence, settings.lease().duration(), settings.lease().pingInterval(), executor),
        "lease-keeper",
        DispatcherSelector.fromConfig("pekko.actor.internal-dispatcher"));
    ctx.spawn(ExecutorDirectory.create(placement, executor), "executor-directory");
    ctx.spawn(
        LoadPublisher.create(
            placement, inProgress, settings.executor().capacity(), settings.nodeLabels()),
        "load-publisher");
    Calendars calendars = new Calendars();
    ActorRef<CalendarSync.Command> calendarSync =
        ctx.spawn(CalendarSync.create(calendars, stores.calendars(), blocking), "calendars");
    JobEntity.init(
        system, new JobEntity.Deps(settings, clock, placement, fence, tracing, calendars));
    DistcronSettings.Alerts alerts = settings.alerts();
    Outbox outbox = new Outbox(ds, mapper);
    ChannelStore channels = new ChannelStore(ds, mapper);
    AlertDelivery delivery =
        new AlertDelivery(
            outbox,
            channels,
            new Senders(mapper, alerts.sendTimeout()),
            mapper,
            self,
            alerts,
            clock);
    ctx.spawn(Deliverer.create(delivery, alerts.pollInterval(), blocking), "alert-deliverer");
    Projections.init(
        system,
        ds,
        stores.runs(),
        stores.jobs(),
        new Projections.Alerting(outbox, mapper, alerts.defaultRule(), clock),
        metrics);
    RunReaper.init(system, settings, clock, stores);
    JournalCompactor.init(
        system,
        new JournalCompaction(
            ds,
            JobEntity.ENTITY_KEY.name(),
            id -> JobEntity.tag(id.substring(JobEntity.ENTITY_KEY.name().length() + 1))),
        settings.journal().compactInterval(),
        stores);
    HttpServer.start(
            system,
            settings,
            new JobsClient(
                system,
                settings.askTimeout(),
                new JobsClient.ReadSide() {
                  @Override
                  public CompletionStage<Long> revision(String job) {
                    return stores.async(() -> stores.jobs().revision(job));
                  }

                  @Override
                  public CompletionStage<Boolean> hasRun(String runId) {
                    return stores.async(() -> stores.runs().find(runId).isPresent());
                  }
                }),
            stores,
            new TokenStore(ds),
            new AuditLog(ds),
            placement,
            channels,
            delivery,
            () -> calendarSync.tell(new CalendarSync.Changed()),
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
                // A downed node's runs were killed when it learnt it: nothing to wait for.
                downed(system)
                    ? CompletableFuture.completedFuture(Done.getInstance())
                    : AskPattern.<ExecutorNode.Command, Done>ask(
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

  /**
   * Where this node records its runs' process groups, to kill what a previous life of it left: per
   * cluster address, so nodes sharing a data directory (tests) never touch each other's.
   */
  static Path runsDir(DistcronSettings settings, String node) {
    return settings.dataDir().resolve("runs").resolve(node.replace(':', '_'));
  }

  private static boolean downed(ActorSystem<?> system) {
    return CoordinatedShutdown.get(system)
        .getShutdownReason()
        .map(r -> r.equals(CoordinatedShutdown.clusterDowningReason()))
        .orElse(false);
  }
}
