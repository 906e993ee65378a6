package io.distcron.cluster;

import io.distcron.config.DistcronSettings;
import io.distcron.job.JobEntity;
import io.distcron.placement.ExecutorDirectory;
import io.distcron.run.RunRecord;
import io.distcron.store.Stores;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;

/**
 * The cluster singleton that looks after runs as a whole.
 *
 * <p>When a member is removed, the runs that were PENDING or RUNNING on it are reported to their
 * jobs as lost, so the jobs' retry policies apply; on start and with every sweep it does the same
 * for runs on any node that is no longer a member (a removal it missed while it moved). On a timer
 * it deletes finished runs older than the maximum age and beyond the newest N of each job, with
 * their output. One node does this, so nodes do not race each other over the same rows.
 */
public final class RunReaper {
  private RunReaper() {}

  public sealed interface Command {}

  private record Sweep() implements Command {}

  private record Swept(int deleted, Throwable failure) implements Command {}

  private record Removed(ClusterEvent.MemberRemoved event) implements Command {}

  private record Orphans(List<RunRecord> runs, Throwable failure) implements Command {}

  public static void init(
      ActorSystem<?> system, DistcronSettings settings, Clock clock, Stores stores) {
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                Behaviors.supervise(create(settings.retention(), clock, stores))
                    .onFailure(SupervisorStrategy.restart()),
                "run-reaper"));
  }

  static Behavior<Command> create(
      DistcronSettings.Retention retention, Clock clock, Stores stores) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  Cluster.get(ctx.getSystem())
                      .subscriptions()
                      .tell(
                          Subscribe.create(
                              ctx.messageAdapter(ClusterEvent.MemberRemoved.class, Removed::new),
                              ClusterEvent.MemberRemoved.class));
                  timers.startTimerWithFixedDelay(new Sweep(), retention.interval());
                  findOrphans(ctx, stores, null);
                  return Behaviors.receive(Command.class)
                      .onMessage(Sweep.class, s -> sweep(ctx, retention, clock, stores))
                      .onMessage(Swept.class, s -> logSwept(ctx, s))
                      .onMessage(
                          Removed.class,
                          r -> {
                            String node =
                                ExecutorDirectory.nodeOf(r.event().member().address(), "local");
                            ctx.getLog()
                                .info("Member {} removed: its unfinished runs are lost", node);
                            findOrphans(ctx, stores, node);
                            return Behaviors.same();
                          })
                      .onMessage(Orphans.class, o -> reportLost(ctx, o))
                      .build();
                }));
  }

  /** {@code node} null: every unfinished run on a node that is not a member now. */
  private static void findOrphans(ActorContext<Command> ctx, Stores stores, String node) {
    Set<String> members = node == null ? memberNodes(ctx.getSystem()) : Set.of();
    ctx.pipeToSelf(
        stores.async(
            () ->
                node != null
                    ? stores.runs().unfinishedOnNode(node)
                    : stores.runs().unfinished().stream()
                        .filter(r -> r.node() != null && !members.contains(r.node()))
                        .toList()),
        (runs, err) -> new Orphans(runs, err));
  }

  private static Set<String> memberNodes(ActorSystem<?> system) {
    return StreamSupport.stream(Cluster.get(system).state().getMembers().spliterator(), false)
        .map(Member::address)
        .map(a -> ExecutorDirectory.nodeOf(a, "local"))
        .collect(Collectors.toSet());
  }

  private static Behavior<Command> reportLost(ActorContext<Command> ctx, Orphans o) {
    if (o.failure() != null) {
      ctx.getLog().warn("Could not look up lost runs: {}", o.failure().toString());
      return Behaviors.same();
    }
    ClusterSharding sharding = ClusterSharding.get(ctx.getSystem());
    for (RunRecord run : o.runs()) {
      sharding
          .entityRefFor(JobEntity.ENTITY_KEY, run.job())
          .tell(new JobEntity.ExecutorLost(run.id(), run.node()));
    }
    return Behaviors.same();
  }

  private static Behavior<Command> sweep(
      ActorContext<Command> ctx, DistcronSettings.Retention retention, Clock clock, Stores stores) {
    ctx.pipeToSelf(
        stores.async(
            () ->
                stores.runs().deleteFinishedBefore(clock.instant().minus(retention.maxAge()))
                    + stores.runs().trimPerJob(retention.maxRunsPerJob())),
        (n, err) -> new Swept(n == null ? 0 : n, err));
    findOrphans(ctx, stores, null);
    return Behaviors.same();
  }

  private static Behavior<Command> logSwept(ActorContext<Command> ctx, Swept s) {
    if (s.failure() != null) {
      ctx.getLog().warn("Retention sweep failed: {}", s.failure().toString());
    } else if (s.deleted() > 0) {
      ctx.getLog().info("Retention removed {} runs", s.deleted());
    }
    return Behaviors.same();
  }
}
