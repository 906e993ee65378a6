package io.distcron.placement;

import io.distcron.exec.ExecutorNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * This node's view of the executors in the cluster, their load and their membership. Written by the
 * actors that watch the Receptionist and Distributed Data, read by job entities; the maps are
 * swapped whole, so readers never lock.
 */
public final class Placement {

  /** Who is in the cluster now; a node name is its {@code host:port}. */
  public interface Members {
    /** The incarnation of the member at {@code node}, if there is one. */
    OptionalLong uid(String node);

    /**
     * Whether the incarnation {@code uid} of {@code node} is still a member; false means it has
     * left for good. {@code uid} 0 (a run from before incarnations were recorded) asks about any.
     */
    default boolean has(String node, long uid) {
      OptionalLong current = uid(node);
      return current.isPresent() && (uid == 0 || current.getAsLong() == uid);
    }
  }

  /** An executor to hand a run to: its node, that node's incarnation, and the actor. */
  public record Target(String node, long uid, ActorRef<ExecutorNode.Command> ref) {}

  private final String selfNode;
  private final Map<String, String> selfLabels;
  private final Members members;
  private volatile Map<String, ActorRef<ExecutorNode.Command>> executors = Map.of();
  private volatile Map<String, NodeLoad> loads = Map.of();

  /**
   * Runs this node handed out since the last load figures arrived: without it, every job firing in
   * the same second would pick the same least-loaded node from a figure up to a second old.
   */
  private final Map<String, AtomicInteger> sentSinceLoads = new ConcurrentHashMap<>();

  /**
   * {@code selfLabels}: this node's own labels, known before its first published load comes back.
   */
  public Placement(String selfNode, Map<String, String> selfLabels, Members members) {
    this.selfNode = selfNode;
    this.selfLabels = Map.copyOf(selfLabels);
    this.members = members;
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

  /**
   * A node's labels as it last published them (this node's own even before that); empty if unknown.
   */
  public Map<String, String> labels(String node) {
    NodeLoad load = loads.get(node);
    if (load != null) return load.labels();
    return node.equals(selfNode) ? selfLabels : Map.of();
  }

  /**
   * Executors to try for a run, best first: those {@code target} selects (any, for null), leaving
   * out those already tried and non-members.
   */
  public List<Target> candidates(JobTarget target, Set<String> exclude) {
    Set<String> open =
        executors.keySet().stream().filter(n -> !exclude.contains(n)).collect(Collectors.toSet());
    if (target != null) {
      Map<String, Map<String, String>> labels = new HashMap<>();
      open.forEach(n -> labels.put(n, labels(n)));
      open = target.matching(open, labels);
    }
    Map<String, NodeLoad> estimated = new HashMap<>(loads);
    sentSinceLoads.forEach(
        (node, sent) ->
            estimated.computeIfPresent(
                node,
                (n, l) ->
                    new NodeLoad(l.running() + sent.get(), l.capacity(), l.cpuLoad(), l.labels())));
    return LeastLoaded.order(estimated, open, ThreadLocalRandom.current()).stream()
        .map(this::executor)
        .flatMap(Optional::stream)
        .toList();
  }

  /**
   * The executor of {@code node}'s current incarnation; empty for an unknown node, a node that is
   * not a member, and for none (a run not handed to any executor).
   */
  public Optional<Target> executor(String node) {
    if (node == null) return Optional.empty();
    ActorRef<ExecutorNode.Command> ref = executors.get(node);
    OptionalLong uid = members.uid(node);
    if (ref == null || uid.isEmpty()) return Optional.empty();
    return Optional.of(new Target(node, uid.getAsLong(), ref));
  }

  /** See {@link Members#has}. */
  public boolean isMember(String node, long uid) {
    return node != null && members.has(node, uid);
  }
}
