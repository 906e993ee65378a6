package io.distcron.cluster;

import java.time.Duration;

/**
 * What {@link LeaseKeeper} does to a {@link NodeFence}, for tests of the fence's readers (job
 * entities, the executor): hold the lease for a while, or down the node.
 */
public final class TestFences {
  private TestFences() {}

  /** The node holds its lease for {@code d} of real time from now (the fence reads nanoTime). */
  public static void holdFor(NodeFence fence, Duration d) {
    fence.extend(System.nanoTime() + d.toNanos());
  }

  public static void down(NodeFence fence, String why) {
    fence.down(why);
  }
}
