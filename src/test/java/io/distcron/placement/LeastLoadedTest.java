package io.distcron.placement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pure least-loaded ordering of executor nodes. */
class LeastLoadedTest {
  private static final Random RANDOM = new Random(42);

  @Test
  void leastUtilisedFirst() {
    Map<String, NodeLoad> loads =
        Map.of(
            "a", new NodeLoad(3, 4, 0.1), // 75 %
            "b", new NodeLoad(1, 4, 0.9), // 25 %
            "c", new NodeLoad(2, 8, 0.5), // 25 %, less CPU than b
            "d", new NodeLoad(1, 2, 0.0)); // 50 %
    assertThat(LeastLoaded.order(loads, Set.of("a", "b", "c", "d"), RANDOM))
        .containsExactly("c", "b", "d", "a");
  }

  @Test
  void utilisationIsRelativeToCapacity() {
    // 4 of 16 is less busy than 2 of 4, although it runs more.
    Map<String, NodeLoad> loads =
        Map.of("big", new NodeLoad(4, 16, 0), "small", new NodeLoad(2, 4, 0));
    assertThat(LeastLoaded.order(loads, Set.of("big", "small"), RANDOM))
        .containsExactly("big", "small");
  }

  @Test
  void unknownNodesCountAsIdle() {
    Map<String, NodeLoad> loads = Map.of("busy", new NodeLoad(1, 10, 0.0));
    assertThat(LeastLoaded.order(loads, Set.of("busy", "new"), RANDOM))
        .containsExactly("new", "busy");
  }

  @Test
  void fullNodesGoLast() {
    Map<String, NodeLoad> loads =
        Map.of(
            "full", new NodeLoad(4, 4, 0.0),
            "over", new NodeLoad(5, 4, 0.0),
            "nocap", new NodeLoad(0, 0, 0.0),
            "almost", new NodeLoad(9, 10, 3.0));
    List<String> order =
        LeastLoaded.order(loads, Set.of("full", "over", "nocap", "almost"), RANDOM);
    assertThat(order.get(0)).isEqualTo("almost");
    assertThat(order.subList(1, 4)).containsExactlyInAnyOrder("full", "over", "nocap");
  }

  @Test
  void cpuBreaksTiesBetweenEquallyBusyNodes() {
    Map<String, NodeLoad> loads =
        Map.of(
            "hot",
            new NodeLoad(1, 4, 2.5),
            "cool",
            new NodeLoad(1, 4, 0.2),
            "warm",
            new NodeLoad(1, 4, 1.0));
    for (int seed = 0; seed < 20; seed++) {
      assertThat(LeastLoaded.order(loads, Set.of("hot", "cool", "warm"), new Random(seed)))
          .containsExactly("cool", "warm", "hot");
    }
  }

  @Test
  void cpuDoesNotBeatUtilisation() {
    Map<String, NodeLoad> loads =
        Map.of("idleHot", new NodeLoad(0, 4, 8.0), "busyCool", new NodeLoad(1, 4, 0.0));
    assertThat(LeastLoaded.order(loads, Set.of("idleHot", "busyCool"), RANDOM))
        .containsExactly("idleHot", "busyCool");
  }

  @Test
  void tiesAreShuffledSoEquallyIdleNodesShareTheWork() {
    Map<String, NodeLoad> loads =
        Map.of("a", new NodeLoad(1, 4, 0.5), "b", new NodeLoad(1, 4, 0.5));
    Set<String> firsts = new HashSet<>();
    for (int seed = 0; seed < 100; seed++) {
      // "c" is busier and must always come last, whatever the shuffle.
      List<String> order =
          LeastLoaded.order(
              Map.of("a", loads.get("a"), "b", loads.get("b"), "c", new NodeLoad(3, 4, 0.0)),
              new LinkedHashSet<>(List.of("a", "b", "c")),
              new Random(seed));
      assertThat(order.get(2)).isEqualTo("c");
      firsts.add(order.get(0));
    }
    assertThat(firsts).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void onlyCandidatesAreOrderedAndNoneGivesEmpty() {
    Map<String, NodeLoad> loads = Map.of("a", new NodeLoad(0, 4, 0), "b", new NodeLoad(0, 4, 0));
    assertThat(LeastLoaded.order(loads, Set.of("b"), RANDOM)).containsExactly("b");
    assertThat(LeastLoaded.order(loads, Set.of(), RANDOM)).isEmpty();
  }
}
