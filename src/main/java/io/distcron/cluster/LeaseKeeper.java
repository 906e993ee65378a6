package io.distcron.cluster;

import io.distcron.CborSerializable;
import io.distcron.exec.ExecutorNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.eventstream.EventStream;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;
import org.apache.pekko.actor.typed.receptionist.ServiceKey;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Subscribe;
import org.apache.pekko.remote.ThisActorSystemQuarantinedEvent;

/**
 * Keeps this node's {@link NodeFence}: pings the other members' keepers every interval and extends
 * the lease to (send time of the ping a majority answered) + lease duration; with no other member,
 * extends it on each tick. Also fences the node for good — and has the executor kill its runs — the
 * moment the node learns it was downed, removed or quarantined. One per node; its pings and pongs
 * are a few bytes, answered on Pekko's internal dispatcher so a busy node still answers in time.
 */
public final class LeaseKeeper {
  private LeaseKeeper() {}

  static final ServiceKey<Command> KEY = ServiceKey.create(Command.class, "distcron-lease");

  public sealed interface Command {}

  /** {@code sentNanos} is the sender's own clock, echoed back: only the sender compares it. */
  public record Ping(long sentNanos, ActorRef<Command> replyTo)
      implements Command, CborSerializable {}

  public record Pong(long sentNanos, Address from) implements Command, CborSerializable {}

  private record Tick() implements Command {}

  private record Listed(Receptionist.Listing listing) implements Command {}

  private record MemberChanged(ClusterEvent.MemberEvent event) implements Command {}

  private record Quarantined(ThisActorSystemQuarantinedEvent event) implements Command {}

  /** {@code executor}: this node's, to kill its runs when the node is downed; null if none. */
  public static Behavior<Command> create(
      NodeFence fence,
      Duration lease,
      Duration pingInterval,
      ActorRef<ExecutorNode.Command> executor) {
    return Behaviors.setup(
        ctx ->
            Behaviors.withTimers(
                timers -> {
                  ctx.getSystem().receptionist().tell(Receptionist.register(KEY, ctx.getSelf()));
                  ctx.getSystem()
                      .receptionist()
                      .tell(
                          Receptionist.subscribe(
                              KEY, ctx.messageAdapter(Receptionist.Listing.class, Listed::new)));
                  Cluster.get(ctx.getSystem())
                      .subscriptions()
                      .tell(
                          Subscribe.create(
                              ctx.messageAdapter(
                                  ClusterEvent.MemberEvent.class, MemberChanged::new),
                              ClusterEvent.MemberEvent.class));
                  ctx.getSystem()
                      .eventStream()
                      .tell(
                          new EventStream.Subscribe<>(
                              ThisActorSystemQuarantinedEvent.class,
                              ctx.messageAdapter(
                                  ThisActorSystemQuarantinedEvent.class, Quarantined::new)));
                  timers.startTimerWithFixedDelay(new Tick(), pingInterval);
                  return new Keeper(ctx, fence, lease.toNanos(), executor).behavior();
                }));
  }

  private static final class Keeper {
    private final ActorContext<Command> ctx;
    private final NodeFence fence;
    private final long leaseNanos;
    private final ActorRef<ExecutorNode.Command> executor;
    private final Cluster cluster;
    private final Address self;
    private Set<ActorRef<Command>> peers = Set.of();
    private boolean wasHeld;

    /** Per member address: the send time of the newest ping it answered. */
    private final Map<Address, Long> answered = new HashMap<>();

    Keeper(
        ActorContext<Command> ctx,
        NodeFence fence,
        long leaseNanos,
        ActorRef<ExecutorNode.Command> executor) {
      this.ctx = ctx;
      this.fence = fence;
      this.leaseNanos = leaseNanos;
      this.executor = executor;
      this.cluster = Cluster.get(ctx.getSystem());
      this.self = cluster.selfMember().address();
    }

    Behavior<Command> behavior() {
      return Behaviors.receive(Command.class)
          .onMessage(Tick.class, t -> tick())
          .onMessage(
              Ping.class,
              p -> {
                if (fence.downed() == null) p.replyTo().tell(new Pong(p.sentNanos(), self));
                return Behaviors.same();
              })
          .onMessage(
              Pong.class,
              p -> {
                answered.merge(p.from(), p.sentNanos(), (a, b) -> b - a > 0 ? b : a);
                renew();
                return Behaviors.same();
              })
          .onMessage(
              Listed.class,
              l -> {
                peers = l.listing().getServiceInstances(KEY);
                return Behaviors.same();
              })
          .onMessage(MemberChanged.class, m -> onMember(m.event()))
          .onMessage(Quarantined.class, q -> down("quarantined by " + q.event().remoteAddress()))
          .build();
    }

    private Behavior<Command> tick() {
      if (fence.downed() != null) return Behaviors.same();
      boolean held = fence.leaseHeld();
      if (held != wasHeld) {
        // Worth knowing: while it is away this node starts and decides nothing.
        if (held) ctx.getLog().info("Cluster lease held");
        else ctx.getLog().warn("Cluster lease lapsed: no majority answered within the lease");
        wasHeld = held;
      }
      Set<Address> members = voters();
      Ping ping = new Ping(System.nanoTime(), ctx.getSelf());
      for (ActorRef<Command> peer : peers) {
        Address at = peer.path().address();
        if (at.hasGlobalScope() && !at.equals(self) && members.contains(at)) peer.tell(ping);
      }
      renew();
      return Behaviors.same();
    }

    /** Extends the lease as far as the answers of a majority reach. */
    private void renew() {
      if (fence.downed() != null) return;
      Set<Address> members = voters();
      int others = (int) members.stream().filter(a -> !a.equals(self)).count();
      int needed = (others + 1) / 2;
      if (needed == 0) {
        fence.extend(System.nanoTime() + leaseNanos);
        return;
      }
      List<Long> times =
          answered.entrySet().stream()
              .filter(e -> members.contains(e.getKey()) && !e.getKey().equals(self))
              .map(Map.Entry::getValue)
              .sorted((a, b) -> Long.compare(b - a, 0))
              .toList();
      if (times.size() >= needed) fence.extend(times.get(needed - 1) + leaseNanos);
    }

    /**
     * The members a majority is counted among: those the split brain resolver counts, whatever this
     * node thinks of their reachability.
     */
    private Set<Address> voters() {
      return StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
          .filter(
              m ->
                  m.status() == MemberStatus.up()
                      || m.status() == MemberStatus.leaving()
                      || m.status() == MemberStatus.exiting()
                      || m.address().equals(self))
          .map(Member::address)
          .collect(Collectors.toSet());
    }

    private Behavior<Command> onMember(ClusterEvent.MemberEvent event) {
      Member m = event.member();
      if (!m.address().equals(self)) {
        if (event instanceof ClusterEvent.MemberRemoved) answered.remove(m.address());
        return Behaviors.same();
      }
      if (event instanceof ClusterEvent.MemberDowned) return down("downed");
      // Removed after leaving (SIGTERM, a leave request) is the orderly way out, already under way.
      if (event instanceof ClusterEvent.MemberRemoved r
          && r.previousStatus() != MemberStatus.exiting()) {
        return down("removed from the cluster");
      }
      return Behaviors.same();
    }

    private Behavior<Command> down(String why) {
      if (fence.downed() == null) {
        ctx.getLog().warn("This node was {}: it holds no lease from now on", why);
        fence.down(why);
        if (executor != null) executor.tell(new ExecutorNode.Fence(why));
        // A node the cluster gave up on must not linger: it leaves, and its supervisor restarts
        // it as a new incarnation.
        CoordinatedShutdown.get(ctx.getSystem()).runAll(CoordinatedShutdown.clusterDowningReason());
      }
      return Behaviors.same();
    }
  }
}
