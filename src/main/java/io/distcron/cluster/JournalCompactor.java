package io.distcron.cluster;

import io.distcron.store.JournalCompaction;
import io.distcron.store.Stores;
import java.time.Duration;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;

/**
 * The cluster singleton that compacts the jobs' journal on a timer ({@link JournalCompaction}). One
 * pass at a time: the next is timed from the end of the previous one, so a slow database is not
 * handed overlapping passes.
 */
public final class JournalCompactor {
  private JournalCompactor() {}

  public sealed interface Command {}

  private record Compact() implements Command {}

  private record Compacted(Integer jobs, Throwable failure) implements Command {}

  public static void init(
      ActorSystem<?> system, JournalCompaction compaction, Duration interval, Stores stores) {
    ClusterSingleton.get(system)
        .init(
            SingletonActor.of(
                Behaviors.supervise(create(compaction, interval, stores))
                    .onFailure(SupervisorStrategy.restart()),
                "journal-compactor"));
  }

  static Behavior<Command> create(JournalCompaction compaction, Duration interval, Stores stores) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startSingleTimer(new Compact(), interval);
                  return Behaviors.receive(Command.class)
                      .onMessage(
                          Compact.class,
                          c -> {
                            ctx.pipeToSelf(stores.async(compaction::compact), Compacted::new);
                            return Behaviors.same();
                          })
                      .onMessage(
                          Compacted.class,
                          c -> {
                            if (c.failure() != null) {
                              ctx.getLog()
                                  .warn("Journal compaction failed: {}", c.failure().toString());
                            } else if (c.jobs() > 0) {
                              ctx.getLog().debug("Compacted the journal of {} jobs", c.jobs());
                            }
                            timers.startSingleTimer(new Compact(), interval);
                            return Behaviors.same();
                          })
                      .build();
                }));
  }
}
