package io.distcron.cluster;

import io.distcron.placement.ExecutorDirectory;
import io.distcron.placement.Placement;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.management.cluster.bootstrap.ClusterBootstrap;
import org.apache.pekko.management.javadsl.PekkoManagement;

/** How a node finds its cluster, and its management endpoint. */
public final class Membership {
  private Membership() {}

  /**
   * Seed nodes configured: Pekko joins them (the first seed forms the cluster). None: with
   * bootstrap on (Kubernetes) Cluster Bootstrap finds the others; otherwise the node forms a
   * cluster of one.
   */
  public static void join(ActorSystem<?> system) {
    var config = system.settings().config();
    if (!config.getStringList("pekko.cluster.seed-nodes").isEmpty()) return;
    if (config.getBoolean("distcron.cluster.bootstrap")) {
      ClusterBootstrap.get(system.classicSystem()).start();
      return;
    }
    Cluster cluster = Cluster.get(system);
    cluster.manager().tell(Join.create(cluster.selfMember().address()));
  }

  /** Pekko Management: /cluster/members (list, leave, down), /ready, /alive. */
  public static void startManagement(ActorSystem<?> system) {
    PekkoManagement.get(system.classicSystem())
        .start()
        .whenComplete(
            (uri, err) -> {
              if (err != null) system.log().error("Pekko Management did not start", err);
              else system.log().info("Management (cluster, health) on {}", uri);
            });
  }

  /**
   * Who is a member now, from this node's cluster state. A member that was removed is gone from it
   * for good: a node that restarts comes back as a new incarnation (another uid).
   */
  public static Placement.Members members(ActorSystem<?> system) {
    Cluster cluster = Cluster.get(system);
    return node ->
        StreamSupport.stream(cluster.state().getMembers().spliterator(), false)
            .filter(m -> m.status() != MemberStatus.removed())
            .filter(m -> ExecutorDirectory.nodeOf(m.address(), "local").equals(node))
            .mapToLong(m -> m.uniqueAddress().longUid())
            .findFirst();
  }

  /** This node's incarnation: it changes with every start. */
  public static long selfUid(ActorSystem<?> system) {
    return Cluster.get(system).selfMember().uniqueAddress().longUid();
  }

  /** This node's name in run records and placement: {@code host:port} of its cluster address. */
  public static String selfNode(ActorSystem<?> system) {
    return ExecutorDirectory.nodeOf(Cluster.get(system).selfMember().address(), "local");
  }
}
