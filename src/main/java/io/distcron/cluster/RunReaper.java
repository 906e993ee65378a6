package io.distcron.cluster;

import io.distcron.config.DistcronSettings;
import io.distcron.store.Stores;
import java.time.Clock;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The cluster singleton that enforces run-history retention: on a timer it deletes finished runs
 * older than the maximum age and beyond the newest N of each job, with their output. One node does
 * this, so nodes do not race each other over the same rows. (Runs lost with their node are decided
 * by their jobs, which check on their active runs.)
 */
public final class RunReaper {
  private RunReaper() {}

  public sealed interface Command {}

  private record Sweep() implements Command {}

  private record Swept(int deleted, Throwable failure) implements Command {}

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
                  timers.startTimerWithFixedDelay(new Sweep(), retention.interval());
                  return Behaviors.receive(Command.class)
                      .onMessage(Sweep.class, s -> sweep(ctx, retention, clock, stores))
                      .onMessage(Swept.class, s -> logSwept(ctx, s))
                      .build();
                }));
  }

  private static Behavior<Command> sweep(
      ActorContext<Command> ctx, DistcronSettings.Retention retention, Clock clock, Stores stores) {
    ctx.pipeToSelf(
        stores.async(
            () ->
                stores.runs().deleteFinishedBefore(clock.instant().minus(retention.maxAge()))
                    + stores.runs().trimPerJob(retention.maxRunsPerJob())),
        (n, err) -> new Swept(n == null ? 0 : n, err));
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
