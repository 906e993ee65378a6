package io.distcron.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LeaseTimingsTest {

  @Test
  void theShippedTimingsAreSafe() {
    var config = Configs.load(Map.of());
    var lease = DistcronSettings.from(config).lease();
    assertThat(
            LeaseTimings.problem(
                lease.duration(),
                lease.watchdogTimeout(),
                config.getDuration("pekko.cluster.failure-detector.acceptable-heartbeat-pause"),
                config.getDuration("pekko.cluster.split-brain-resolver.stable-after")))
        .isNull();
  }

  @Test
  void aLeaseThatOutlivesTheDowningIsRefused() {
    assertThat(
            LeaseTimings.problem(
                Duration.ofSeconds(3),
                Duration.ofSeconds(2),
                Duration.ofSeconds(2),
                Duration.ofSeconds(3)))
        .contains("stable-after");
  }
}
