package io.distcron.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigsTest {
  private static final String READ_ONLY = "pekko.management.http.route-providers-read-only";

  @Test
  void leaveAndDownStayWritableOnLoopbackOnly() {
    assertThat(Configs.load(Map.of(), Map.of()).getBoolean(READ_ONLY)).isFalse();
  }

  @Test
  void aManagementHostnameOffLoopbackMakesTheClusterRoutesReadOnly() {
    var config = Configs.load(Map.of("pekko.management.http.hostname", "10.0.0.7"), Map.of());
    assertThat(config.getBoolean(READ_ONLY)).isTrue();
  }

  /** ops/k8s binds 0.0.0.0 and keeps hostname for what it advertises: the bind address decides. */
  @Test
  void aBindHostnameOffLoopbackMakesTheClusterRoutesReadOnly() {
    var config =
        Configs.load(
            Map.of(
                "pekko.management.http.hostname", "127.0.0.1",
                "pekko.management.http.bind-hostname", "0.0.0.0"),
            Map.of());
    assertThat(config.getBoolean(READ_ONLY)).isTrue();
  }
}
