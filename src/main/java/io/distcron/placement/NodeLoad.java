package io.distcron.placement;

import io.distcron.CborSerializable;
import java.util.Map;

/**
 * What an executor node says about itself: runs in progress, how many it takes, the machine's CPU
 * load, and its labels (what jobs' targets select on).
 */
public record NodeLoad(int running, int capacity, double cpuLoad, Map<String, String> labels)
    implements CborSerializable {

  public NodeLoad {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
  }

  /** A node without labels. */
  public NodeLoad(int running, int capacity, double cpuLoad) {
    this(running, capacity, cpuLoad, Map.of());
  }

  public boolean full() {
    return running >= capacity;
  }

  /** Share of capacity in use; CPU only breaks ties between equally busy nodes. */
  double utilisation() {
    return capacity <= 0 ? 1.0 : (double) running / capacity;
  }
}
