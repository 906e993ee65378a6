package io.distcron.placement;

import io.distcron.exec.ExecutorNode;
import java.util.HashMap;
import java.util.Map;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.receptionist.Receptionist;

/** Keeps {@link Placement}'s list of executors in step with the Receptionist, one per node. */
public final class ExecutorDirectory {
  private ExecutorDirectory() {}

  /**
   * {@code local} is this node's own executor (or null): known at once, before the Receptionist
   * says so.
   */
  public static Behavior<Receptionist.Listing> create(
      Placement placement, ActorRef<ExecutorNode.Command> local) {
    return Behaviors.setup(
        ctx -> {
          if (local != null) placement.executors(Map.of(placement.selfNode(), local));
          ctx.getSystem()
              .receptionist()
              .tell(Receptionist.subscribe(ExecutorNode.KEY, ctx.getSelf()));
          return Behaviors.receiveMessage(
              listing -> {
                Map<String, ActorRef<ExecutorNode.Command>> byNode = new HashMap<>();
                for (ActorRef<ExecutorNode.Command> ref :
                    listing.getServiceInstances(ExecutorNode.KEY)) {
                  byNode.put(nodeOf(ref.path().address(), placement.selfNode()), ref);
                }
                if (local != null) byNode.putIfAbsent(placement.selfNode(), local);
                placement.executors(byNode);
                return Behaviors.same();
              });
        });
  }

  /** A node's name is its cluster address, {@code host:port}; local references carry no host. */
  public static String nodeOf(Address address, String self) {
    if (address.getHost().isEmpty()) return self;
    return address.getHost().get() + ":" + address.getPort().get();
  }
}
