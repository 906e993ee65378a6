package io.distcron.placement;

import io.distcron.exec.ExecutorNode;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * This node's view of the executors in the cluster and their load. Written by the actors that watch the
 * Receptionist and Distributed Data, read by job entities at fire time; both maps are swapped whole, so
 * readers never lock.
 */
public final class Placement {
  private final String selfNode;
  private volatile Map<String, ActorRef<ExecutorNode.Command>> executors = Map.of();
  private volatile Map<String, NodeLoad> loads = Map.of();

  public Placement(String selfNode) {
    this.selfNode = selfNode;
  }

  public String selfNode() {
    return selfNode;
  }

  public void executors(Map<String, ActorRef<ExecutorNode.Command>> current) {
    executors = Map.copyOf(current);
  }

  public void loads(Map<String, NodeLoad> current) {
    loads = Map.copyOf(current);
  }

  public Map<String, NodeLoad> loads() {
    return loads;
  }

  public Set<String> executorNodes() {
    return executors.keySet();
  }

  /** Executors to try for a run, best first, leaving out those already tried. */
  public List<String> candidates(Set<String> exclude) {
    Set<String> open =
        executors.keySet().stream().filter(n -> !exclude.contains(n)).collect(Collectors.toSet());
    return LeastLoaded.order(loads, open, ThreadLocalRandom.current());
  }

  public Optional<ActorRef<ExecutorNode.Command>> executor(String node) {
    return Optional.ofNullable(executors.get(node));
  }
}
