package io.distcron.placement;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** The pure placement choice: candidate executors ordered from least to most loaded. */
public final class LeastLoaded {
  private LeastLoaded() {}

  /**
   * Orders {@code candidates} by utilisation, then CPU load; ties are shuffled so equally idle
   * nodes share the work. Nodes without a published load sort as idle (a new node must get work);
   * full nodes go last, since they refuse anyway and a stale load figure may already be out of
   * date.
   */
  public static List<String> order(
      Map<String, NodeLoad> loads, Set<String> candidates, Random random) {
    List<String> nodes = new ArrayList<>(candidates);
    Collections.shuffle(nodes, random);
    NodeLoad idle = new NodeLoad(0, 1, 0.0);
    Comparator<String> byLoad =
        Comparator.<String>comparingInt(n -> loads.getOrDefault(n, idle).full() ? 1 : 0)
            .thenComparingDouble(n -> loads.getOrDefault(n, idle).utilisation())
            .thenComparingDouble(
                n -> Math.round(loads.getOrDefault(n, idle).cpuLoad() * 10) / 10.0);
    nodes.sort(byLoad);
    return nodes;
  }
}
