package io.distcron.calendar;

import io.distcron.schedule.Calendar;
import io.distcron.store.CalendarStore;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.ddata.GCounter;
import org.apache.pekko.cluster.ddata.GCounterKey;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;
import org.apache.pekko.cluster.ddata.typed.javadsl.ReplicatorMessageAdapter;

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
                          replicator.subscribe(KEY, Seen::new);
                          timers.startTimerWithFixedDelay("every", new Reload(), EVERY);
                          ctx.getSelf().tell(new Reload());
                          return new Sync(ctx, replicator, timers, view, store, blocking)
                              .behavior();
                        })));
  }

  /** Loads one at a time; a reason to reload seen during a load loads again after it. */
  private static final class Sync {
    private final ActorContext<Command> ctx;
    private final ReplicatorMessageAdapter<Command, GCounter> replicator;
    private final TimerScheduler<Command> timers;
    private final Calendars view;
    private final CalendarStore store;
    private final Executor blocking;
    private final SelfUniqueAddress self;
    private boolean loading;
    private boolean again;

    Sync(
        ActorContext<Command> ctx,
        ReplicatorMessageAdapter<Command, GCounter> replicator,
        TimerScheduler<Command> timers,
        Calendars view,
        CalendarStore store,
        Executor blocking) {
      this.ctx = ctx;
      this.replicator = replicator;
      this.timers = timers;
      this.view = view;
      this.store = store;
      this.blocking = blocking;
      this.self = DistributedData.get(ctx.getSystem()).selfUniqueAddress();
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Reload.class, r -> load())
          .onMessage(
              Seen.class,
              s -> s.response() instanceof Replicator.Changed<GCounter> ? load() : Behaviors.same())
          .onMessage(Changed.class, c -> changed())
          .onMessage(Bumped.class, b -> Behaviors.same())
          .onMessage(Loaded.class, this::loaded)
          .build();
    }

    private Behavior<Command> load() {
      if (loading) {
        again = true;
        return Behaviors.same();
      }
      loading = true;
      ctx.pipeToSelf(CompletableFuture.supplyAsync(store::all, blocking), Loaded::new);
      return Behaviors.same();
    }

    private Behavior<Command> changed() {
      replicator.askUpdate(
          replyTo ->
              new Replicator.Update<>(
                  KEY,
                  GCounter.empty(),
                  new Replicator.WriteAll(WRITE_TIMEOUT),
                  replyTo,
                  counter -> counter.increment(self, 1)),
          Bumped::new);
      return load();
    }

    private Behavior<Command> loaded(Loaded l) {
      loading = false;
      if (l.failure() != null) {
        ctx.getLog().warn("Calendars not loaded: {}", l.failure().getMessage());
        timers.startSingleTimer("retry", new Reload(), RETRY);
      } else {
        view.loaded(l.calendars());
      }
      if (again) {
        again = false;
        return load();
      }
      return Behaviors.same();
    }
  }
}
