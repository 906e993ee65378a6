package io.distcron.job;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * A job's bookkeeping of its hand-offs, in memory only: the nodes each run was offered to (so a
 * refused run goes elsewhere) and the runs an operator asked to kill (so the kill is sent again
 * with every check until the run ends). A restart forgets both: the checks then learn each run's
 * state afresh, and a kill asked for before the restart may have to be asked for again.
 */
final class HandOffs {
  private final Map<String, Set<String>> offered = new HashMap<>();
  private final Set<String> killing = new HashSet<>();

  void offered(String runId, String node) {
    offered.computeIfAbsent(runId, k -> new HashSet<>()).add(node);
  }

  Set<String> offeredTo(String runId) {
    return offered.getOrDefault(runId, Set.of());
  }

  void kill(String runId) {
    killing.add(runId);
  }

  boolean killing(String runId) {
    return killing.contains(runId);
  }

  /** The run is over: nothing more to remember of it. */
  void forget(String runId) {
    offered.remove(runId);
    killing.remove(runId);
  }
}
