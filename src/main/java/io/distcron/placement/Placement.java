package io.distcron.placement;

import io.distcron.exec.ExecutorNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * This node's view of the executors in the cluster and their load. Written by the actors that watch
 * the Receptionist and Distributed Data, read by job entities at fire time; both maps are swapped
 * whole, so readers never lock.
 */
public final class Placement {
  private final String selfNode;
  private volatile Map<String, ActorRef<ExecutorNode.Command>> executors = Map.of();
  private volatile Map<String, NodeLoad> loads = Map.of();

  /**
   * Runs this node handed out since the last load figures arrived: without it, every job firing in
   * the same second would pick the same least-loaded node from a figure up to a second old.
   */
  private final Map<String, AtomicInteger> sentSinceLoads = new ConcurrentHashMap<>();

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
    sentSinceLoads.clear();
  }

  /**
   * A run was handed to {@code node}: count it until the node's next published load includes it.
   */
  public void sent(String node) {
    sentSinceLoads.computeIfAbsent(node, n -> new AtomicInteger()).incrementAndGet();
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
    Map<String, NodeLoad> estimated = new HashMap<>(loads);
    sentSinceLoads.forEach(
        (node, sent) ->
            estimated.computeIfPresent(
                node, (n, l) -> new NodeLoad(l.running() + sent.get(), l.capacity(), l.cpuLoad())));
    return LeastLoaded.order(estimated, open, ThreadLocalRandom.current());
  }

  /** Empty for an unknown node, and for none (a run not handed to any executor). */
  public Optional<ActorRef<ExecutorNode.Command>> executor(String node) {
    return node == null ? Optional.empty() : Optional.ofNullable(executors.get(node));
  }
}
