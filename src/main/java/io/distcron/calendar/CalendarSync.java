package io.distcron.calendar;

import io.distcron.schedule.Calendar;
import io.distcron.store.CalendarStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.GCounter;
import org.apache.pekko.cluster.ddata.GCounterKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Keeps this node's {@link Calendars} in step with the calendars table. The node that changes a
 * calendar bumps a counter in Distributed Data, written to every node at once; every node reloads
 * the table when it sees the counter change, so a change is seen cluster-wide within about a
 * second. A reload every {@link #EVERY} covers a bump that did not arrive (a node that was
 * unreachable). The first load is made at start; a failed load is tried again a second later until
 * one succeeds.
 */
public final class CalendarSync {
  static final Key<GCounter> KEY = GCounterKey.create("distcron-calendars");
  private static final Duration WRITE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration RETRY = Duration.ofSeconds(1);

  /** How often every node reloads the calendars whatever it heard. */
  public static final Duration EVERY = Duration.ofSeconds(10);

  private CalendarSync() {}

  public sealed interface Command {}

  /** A calendar was written to the table on this node: tell every node. */
  public record Changed() implements Command {}

  private record Reload() implements Command {}

  private record Loaded(List<Calendar> calendars, Throwable failure) implements Command {}

  private record Seen(Replicator.SubscribeResponse<GCounter> response) implements Command {}

  private record Bumped(Replicator.UpdateResponse<GCounter> response) implements Command {}

  public static Behavior<Command> create(Calendars view, CalendarStore store, Executor blocking) {
    return Behaviors.setup(
        ctx ->
            DistributedData.<Command, GCounter>withReplicatorMessageAdapter(
                replicator ->
                    Behaviors.withTimers(
                        timers -> {
                          SelfUniqueAddress self =
                              DistributedData.get(ctx.getSystem()).selfUniqueAddress();
                          replicator.subscribe(KEY, Seen::new);
                          timers.startTimerWithFixedDelay("every", new Reload(), EVERY);
                          ActorRef<Command> me = ctx.getSelf();
                          me.tell(new Reload());
                          // Loads one at a time; a reason to reload seen during a load reloads
                          // again after it, so no change is missed.
                          boolean[] loading = {false};
                          boolean[] again = {false};
                          Runnable load =
                              () -> {
                                if (loading[0]) {
                                  again[0] = true;
                                  return;
                                }
                                loading[0] = true;
                                ctx.pipeToSelf(
                                    CompletableFuture.supplyAsync(store::all, blocking),
                                    Loaded::new);
                              };
                          return Behaviors.receive(Command.class)
                              .onMessage(
                                  Reload.class,
                                  r -> {
                                    load.run();
                                    return Behaviors.same();
                                  })
                              .onMessage(
                                  Seen.class,
                                  s -> {
                                    if (s.response() instanceof Replicator.Changed<GCounter>) {
                                      load.run();
                                    }
                                    return Behaviors.same();
                                  })
                              .onMessage(
                                  Changed.class,
                                  c -> {
                                    load.run();
                                    replicator.askUpdate(
                                        replyTo ->
                                            new Replicator.Update<>(
                                                KEY,
                                                GCounter.empty(),
                                                new Replicator.WriteAll(WRITE_TIMEOUT),
                                                replyTo,
                                                counter -> counter.increment(self, 1)),
                                        Bumped::new);
                                    return Behaviors.same();
                                  })
                              .onMessage(Bumped.class, b -> Behaviors.same())
                              .onMessage(
                                  Loaded.class,
                                  l -> {
                                    loading[0] = false;
                                    if (l.failure() != null) {
                                      ctx.getLog()
                                          .warn(
                                              "Calendars not loaded: {}", l.failure().getMessage());
                                      timers.startSingleTimer("retry", new Reload(), RETRY);
                                    } else {
                                      view.loaded(l.calendars());
                                    }
                                    if (again[0]) {
                                      again[0] = false;
                                      load.run();
                                    }
                                    return Behaviors.same();
                                  })
                              .build();
                        })));
  }
}
