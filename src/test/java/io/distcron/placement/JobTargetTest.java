package io.distcron.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which executors a job's target selects, and the least-loaded choice among them. */
class JobTargetTest {
  private static final Map<String, Map<String, String>> LABELS =
      Map.of(
          "a", Map.of("zone", "eu1", "disk", "ssd", "host", "web1"),
          "b", Map.of("zone", "eu1", "disk", "hdd", "host", "web2"),
          "c", Map.of("zone", "us1", "disk", "ssd", "host", "web3"));

  private static JobTarget target(Map<String, String> selector) {
    return new JobTarget(selector, null);
  }

  @Test
  void everySelectorEntryMustMatch() {
    assertThat(target(Map.of("zone", "eu1")).matching(LABELS.keySet(), LABELS))
        .containsExactlyInAnyOrder("a", "b");
    assertThat(target(Map.of("zone", "eu1", "disk", "ssd")).matching(LABELS.keySet(), LABELS))
        .containsExactly("a");
    assertThat(target(Map.of("host", "web3")).matching(LABELS.keySet(), LABELS))
        .containsExactly("c");
  }

  @Test
  void aValueMatchesExactlyAndAMissingKeyNever() {
    assertThat(target(Map.of("zone", "EU1")).matching(LABELS.keySet(), LABELS)).isEmpty();
    assertThat(target(Map.of("zone", "eu")).matching(LABELS.keySet(), LABELS)).isEmpty();
    assertThat(target(Map.of("rack", "r1")).matching(LABELS.keySet(), LABELS)).isEmpty();
  }

  @Test
  void aNodeWithUnknownLabelsMatchesNoSelector() {
    assertThat(target(Map.of("zone", "eu1")).matching(Set.of("a", "new"), LABELS))
        .containsExactly("a");
    assertThat(target(Map.of()).matching(Set.of("a", "new"), LABELS))
        .containsExactlyInAnyOrder("a", "new");
  }

  @Test
  void onlyTheNodesGivenAreConsidered() {
    assertThat(target(Map.of("zone", "eu1")).matching(Set.of("b", "c"), LABELS))
        .containsExactly("b");
  }

  @Test
  void theLeastLoadedMatchingNodeComesFirst() {
    Map<String, NodeLoad> loads =
        Map.of(
            "a", new NodeLoad(3, 4, 0.0),
            "b", new NodeLoad(1, 4, 0.0),
            "c", new NodeLoad(0, 4, 0.0));
    Set<String> eu1 = target(Map.of("zone", "eu1")).matching(LABELS.keySet(), LABELS);
    assertThat(LeastLoaded.order(loads, eu1, new Random(7))).containsExactly("b", "a");
  }

  @Test
  void defaultsAndDescription() {
    JobTarget t = new JobTarget(Map.of("zone", "eu1", "disk", "ssd"), null);
    assertThat(t.mode()).isEqualTo(JobTarget.Mode.ANY);
    assertThat(t.describe()).isEqualTo("{disk=ssd, zone=eu1}");
    assertThat(new JobTarget(null, null).nodeSelector()).isEmpty();
  }
}
