package io.distcron.cluster;

import io.distcron.placement.ExecutorDirectory;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;

/** How a node finds its cluster. */
public final class Membership {
  private Membership() {}

  /** With no seed nodes configured the node forms a cluster of one by joining itself. */
  public static void join(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    if (system.settings().config().getStringList("pekko.cluster.seed-nodes").isEmpty()) {
      cluster.manager().tell(Join.create(cluster.selfMember().address()));
    }
  }

  /** This node's name in run records and placement: {@code host:port} of its cluster address. */
  public static String selfNode(ActorSystem<?> system) {
    return ExecutorDirectory.nodeOf(Cluster.get(system).selfMember().address(), "local");
  }
}
