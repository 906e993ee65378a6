package io.distcron.placement;

import io.distcron.CborSerializable;

/**
 * What an executor node says about itself: runs in progress, how many it takes, the machine's CPU
 * load.
 */
public record NodeLoad(int running, int capacity, double cpuLoad) implements CborSerializable {

  public boolean full() {
    return running >= capacity;
  }

  /** Share of capacity in use; CPU only breaks ties between equally busy nodes. */
  double utilisation() {
    return capacity <= 0 ? 1.0 : (double) running / capacity;
  }
}
