package io.distcron.alert;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;

/**
 * Every node's alert deliverer: every poll interval, one {@link AlertDelivery} pass on the blocking
 * pool, never two at once; hourly, the purge of old delivered alerts. Every node runs one (no
 * singleton): row claims that expire keep two nodes from sending a row at once, and let the others
 * take over the rows of a node that died.
 */
public final class Deliverer {
  private static final Duration PURGE_EVERY = Duration.ofHours(1);

  public sealed interface Command {}

  private enum Tick implements Command {
    INSTANCE
  }

  private enum Purge implements Command {
    INSTANCE
  }

  private record PassDone(Throwable failure) implements Command {}

  public static Behavior<Command> create(
      AlertDelivery delivery, Duration pollInterval, Executor blocking) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  timers.startTimerWithFixedDelay(Tick.INSTANCE, pollInterval);
                  timers.startTimerWithFixedDelay(Purge.INSTANCE, PURGE_EVERY);
                  return new Deliverer(ctx, delivery, blocking).idle();
                }));
  }

  private final ActorContext<Command> ctx;
  private final AlertDelivery delivery;
  private final Executor blocking;

  private Deliverer(ActorContext<Command> ctx, AlertDelivery delivery, Executor blocking) {
    this.ctx = ctx;
    this.delivery = delivery;
    this.blocking = blocking;
  }

  private Behavior<Command> idle() {
    return Behaviors.receive(Command.class)
        .onMessageEquals(Tick.INSTANCE, () -> busy(delivery::deliverDue))
        .onMessageEquals(Purge.INSTANCE, () -> busy(delivery::purge))
        .build();
  }

  private Behavior<Command> busy(Runnable pass) {
    ctx.pipeToSelf(CompletableFuture.runAsync(pass, blocking), (ok, err) -> new PassDone(err));
    return Behaviors.receive(Command.class)
        .onMessage(
            PassDone.class,
            done -> {
              if (done.failure() != null) {
                ctx.getLog().warn("Alert delivery pass failed: {}", done.failure().toString());
              }
              return idle();
            })
        // A tick while a pass runs is dropped: the next one comes soon enough.
        .onAnyMessage(m -> Behaviors.same())
        .build();
  }
}
