package io.distcron.cluster;

import io.distcron.exec.ExecutorNode;
import java.time.Duration;
import java.util.function.Supplier;

/**
 * Whether this node may act: start runs, feed their watchdogs, persist job decisions. Written by
 * {@link LeaseKeeper}, read by job entities and the executor on any thread.
 *
 * <p>The node holds a lease while a majority of the cluster's members answered one of its pings
 * that it sent less than the lease's duration ago. The rest of the cluster downs a silent node only
 * after the failure detector's pause plus the split brain resolver's {@code stable-after}, which is
 * longer than the lease plus the watchdog's timeout ({@link LeaseTimings}): so a node that is
 * frozen, partitioned away or overloaded stops acting — and its runs' watchdogs kill them — before
 * anyone can act in its place. A downed or quarantined node never holds the lease again.
 */
public final class NodeFence implements ExecutorNode.Guard {

  /** A node status that lets a node start runs ("Up"), or why it may not. */
  public interface SelfStatus extends Supplier<String> {}

  private final SelfStatus selfStatus;
  private final String node;
  private volatile long heldUntilNanos;
  private volatile boolean everHeld;
  private volatile String downed;

  public NodeFence(String node, SelfStatus selfStatus) {
    this.node = node;
    this.selfStatus = selfStatus;
    this.heldUntilNanos = System.nanoTime();
  }

  /** A node alone, with no cluster to answer to (tests of one entity): always holds its lease. */
  public static NodeFence alwaysHeld(String node) {
    NodeFence fence = new NodeFence(node, () -> "Up");
    fence.extend(System.nanoTime() + Duration.ofDays(3650).toNanos());
    return fence;
  }

  public boolean leaseHeld() {
    return downed == null && everHeld && System.nanoTime() - heldUntilNanos < 0;
  }

  /** Non-null once the node was downed or quarantined. */
  public String downed() {
    return downed;
  }

  @Override
  public String whyNotStart() {
    if (downed != null) return node + " was downed: " + downed;
    if (!leaseHeld()) return node + " does not hold its cluster lease";
    String status = selfStatus.get();
    return "Up".equals(status) ? null : node + " is " + status + ", not Up";
  }

  void extend(long untilNanos) {
    if (untilNanos - heldUntilNanos > 0) heldUntilNanos = untilNanos;
    everHeld = true;
  }

  void down(String why) {
    if (downed == null) downed = why;
  }
}
