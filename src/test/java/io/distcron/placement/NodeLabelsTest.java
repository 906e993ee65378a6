package io.distcron.placement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@code DISTCRON_NODE_LABELS}: parsed once at start, refused with the variable's name. */
class NodeLabelsTest {

  @Test
  void pairsSeparatedByCommasPlusTheHost() {
    assertThat(NodeLabels.parse("zone=eu1,disk=ssd", "web1"))
        .isEqualTo(Map.of("zone", "eu1", "disk", "ssd", "host", "web1"));
    assertThat(NodeLabels.parse(" zone = eu1 , k8s.io/arch=amd64 ", "web1"))
        .isEqualTo(Map.of("zone", "eu1", "k8s.io/arch", "amd64", "host", "web1"));
  }

  @Test
  void noLabelsLeavesTheHost() {
    assertThat(NodeLabels.parse("", "web1.example.com"))
        .isEqualTo(Map.of("host", "web1.example.com"));
    assertThat(NodeLabels.parse("  ", "web1")).isEqualTo(Map.of("host", "web1"));
  }

  @Test
  void anExplicitHostWins() {
    assertThat(NodeLabels.parse("host=db1,zone=eu1", "web1"))
        .isEqualTo(Map.of("host", "db1", "zone", "eu1"));
  }

  @Test
  void badSyntaxIsRefusedNamingTheVariable() {
    for (String bad :
        new String[] {
          "zone",
          "zone=",
          "=eu1",
          "zone=eu1,",
          "zone=eu1,,disk=ssd",
          "zone=eu 1",
          "zone=eu1=x",
          "-zone=eu1",
          "zone=eu1,zone=eu2",
          "zone=eu\u00e91"
        }) {
      assertThatThrownBy(() -> NodeLabels.parse(bad, "web1"))
          .as("'%s'", bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("DISTCRON_NODE_LABELS");
    }
    assertThatThrownBy(() -> NodeLabels.parse("zone=eu1,zone=eu2", "web1"))
        .hasMessageContaining("label 'zone' is given twice");
    assertThatThrownBy(() -> NodeLabels.parse("zone=eu1,disk", "web1"))
        .hasMessageContaining("'disk' is not key=value");
  }

  @Test
  void theNodesSettingsCarryItsLabels() {
    var settings =
        DistcronSettings.from(Configs.load(Map.of("distcron.node.labels", "zone=eu1,host=n1")));
    assertThat(settings.nodeLabels()).isEqualTo(Map.of("zone", "eu1", "host", "n1"));
    assertThat(DistcronSettings.from(Configs.load(Map.of())).nodeLabels()).containsKey("host");
  }

  @Test
  void aNodeWithBadLabelsDoesNotStart() {
    assertThatThrownBy(
            () -> DistcronSettings.from(Configs.load(Map.of("distcron.node.labels", "zone:eu1"))))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("DISTCRON_NODE_LABELS (distcron.node.labels) must be key=value");
  }
}
