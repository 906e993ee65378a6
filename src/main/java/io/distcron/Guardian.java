package io.distcron;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.distcron.api.HttpServer;
import io.distcron.cluster.Membership;
import io.distcron.cluster.RunReaper;
import io.distcron.config.DistcronSettings;
import io.distcron.exec.ExecutorNode;
import io.distcron.job.JobEntity;
import io.distcron.job.JobsClient;
import io.distcron.placement.ExecutorDirectory;
import io.distcron.placement.Placement;
import io.distcron.store.JobIndex;
import io.distcron.store.RunStore;
import io.distcron.store.Stores;
import java.time.Clock;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.ServerBinding;
import org.apache.pekko.serialization.jackson.JacksonObjectMapperProvider;

/** The root actor: starts this node's parts in order — executor, placement, job sharding, the API. */
final class Guardian {
  private Guardian() {}

  static Behavior<Void> create(
      DistcronSettings settings, Clock clock, DataSource ds, CompletableFuture<ServerBinding> bound) {
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

    ActorRef<ExecutorNode.Command> executor = null;
    if (Cluster.get(system).selfMember().hasRole("executor")) {
      executor =
          ctx.spawn(
              ExecutorNode.create(placement.selfNode(), settings, clock, stores, new AtomicInteger()),
              "executor");
    }
    ctx.spawn(ExecutorDirectory.create(placement, executor), "executor-directory");
    JobEntity.init(system, new JobEntity.Deps(settings, clock, stores, placement));
    RunReaper.init(system, settings, clock, stores);
    HttpServer.start(system, settings, new JobsClient(system, settings.askTimeout()), stores, clock)
        .whenComplete(
            (binding, err) -> {
              if (err != null) bound.completeExceptionally(err);
              else bound.complete(binding);
            });
  }
}
