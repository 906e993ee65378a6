package io.distcron.placement;

import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Where a job's runs may go: to the executors whose labels hold every entry of {@code
 * nodeSelector}. {@code ANY} picks the least-loaded of them for each run. A job without a target
 * (null in its spec, as in every event written before targets existed) runs on any executor.
 */
public record JobTarget(Map<String, String> nodeSelector, Mode mode) {

  public enum Mode {
    ANY
  }

  public JobTarget {
    nodeSelector = nodeSelector == null ? Map.of() : Map.copyOf(nodeSelector);
    mode = mode == null ? Mode.ANY : mode;
  }

  public boolean matches(Map<String, String> labels) {
    return labels.entrySet().containsAll(nodeSelector.entrySet());
  }

  /** The nodes whose labels match; a node whose labels are unknown matches no selector entry. */
  public Set<String> matching(Set<String> nodes, Map<String, Map<String, String>> labels) {
    return nodes.stream()
        .filter(n -> matches(labels.getOrDefault(n, Map.of())))
        .collect(Collectors.toSet());
  }

  /** The selector as people read it, keys sorted: {@code {disk=ssd, zone=eu1}}. */
  public String describe() {
    return new TreeMap<>(nodeSelector).toString();
  }
}
