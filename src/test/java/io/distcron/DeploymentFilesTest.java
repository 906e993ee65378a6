package io.distcron;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.typesafe.config.Config;
import io.distcron.config.Configs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * docker-compose.yml and the Kubernetes manifests parse, use the ports the node listens on and set
 * only DISTCRON_* variables that the node reads.
 */
class DeploymentFilesTest {
  private static final YAMLMapper YAML = new YAMLMapper();
  private static final Pattern ENV_NAME = Pattern.compile("DISTCRON_[A-Z0-9_]+");

  private static Set<String> readVariables;
  private static int httpPort;
  private static int remotingPort;
  private static int managementPort;

  @BeforeAll
  static void whatTheNodeReads() throws IOException {
    Set<String> vars = new TreeSet<>();
    try (Stream<Path> confs = Files.list(Path.of("src/main/resources"))) {
      for (Path conf : confs.filter(p -> p.toString().endsWith(".conf")).toList()) {
        Matcher m =
            Pattern.compile("\\$\\{\\?(DISTCRON_[A-Z0-9_]+)\\}").matcher(Files.readString(conf));
        while (m.find()) vars.add(m.group(1));
      }
    }
    String configs = Files.readString(Path.of("src/main/java/io/distcron/config/Configs.java"));
    Matcher m = Pattern.compile("env\\.get\\(\"(DISTCRON_[A-Z0-9_]+)\"\\)").matcher(configs);
    while (m.find()) vars.add(m.group(1));
    assertThat(vars)
        .contains(
            "DISTCRON_ROLES", "DISTCRON_SEED_NODES", "DISTCRON_DB_URL", "DISTCRON_ADMIN_TOKEN");
    String logback = Files.readString(Path.of("src/main/resources/logback.xml"));
    m = Pattern.compile("\\$\\{(DISTCRON_[A-Z0-9_]+)").matcher(logback);
    while (m.find()) vars.add(m.group(1));
    assertThat(vars).contains("DISTCRON_LOG_FORMAT");
    readVariables = vars;

    Config config = Configs.load(Map.of());
    httpPort = config.getInt("distcron.http.port");
    remotingPort = config.getInt("pekko.remote.artery.canonical.port");
    managementPort = config.getInt("pekko.management.http.port");
  }

  private static List<JsonNode> documents(Path file) throws IOException {
    List<JsonNode> docs = new ArrayList<>();
    try (var it = YAML.readerFor(JsonNode.class).<JsonNode>readValues(file.toFile())) {
      while (it.hasNext()) {
        JsonNode doc = it.next();
        if (doc != null && !doc.isNull() && !doc.isMissingNode()) docs.add(doc);
      }
    }
    return docs;
  }

  private static List<Path> manifests() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("ops/k8s"))) {
      return files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList();
    }
  }

  @Test
  void theNodeListensOnTheDocumentedPorts() {
    assertThat(List.of(httpPort, remotingPort, managementPort)).containsExactly(8080, 2551, 8558);
  }

  @Test
  void composeUsesTheNodesPortsAndVariables() throws IOException {
    Path file = Path.of("docker/docker-compose.yml");
    assertThat(documents(file)).hasSize(1); // Jackson parses it
    // Jackson does not apply YAML merge keys (<<: *anchor); SnakeYAML (under Jackson's YAML module)
    // does.
    Object merged = new org.yaml.snakeyaml.Yaml().load(Files.readString(file));
    JsonNode services =
        new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(merged).get("services");
    List<String> nodes = new ArrayList<>();
    services
        .fieldNames()
        .forEachRemaining(
            n -> {
              if (n.startsWith("node")) nodes.add(n);
            });
    assertThat(nodes).containsExactly("node1", "node2", "node3");
    for (String n : nodes) {
      JsonNode node = services.get(n);
      // YAML merge keys (<<) are not applied by Jackson: read the anchors' fields through them.
      Map<String, String> env = new HashMap<>();
      collectEnv(node.get("environment"), env);
      assertThat(env)
          .as(n + " environment")
          .containsKeys("DISTCRON_DB_URL", "DISTCRON_CLUSTER_HOST", "DISTCRON_ADMIN_TOKEN");
      assertThat(readVariables)
          .as(n + " sets only variables the node reads")
          .containsAll(env.keySet());
      assertThat(env.get("DISTCRON_CLUSTER_PORT")).isEqualTo(Integer.toString(remotingPort));
      for (String seed : env.get("DISTCRON_SEED_NODES").split(",")) {
        assertThat(seed.trim()).endsWith(":" + remotingPort);
        assertThat(nodes).contains(seed.trim().split(":")[0]);
      }
      Set<Integer> containerPorts = new TreeSet<>();
      for (JsonNode p : node.get("ports")) {
        String[] parts = p.asText().split(":");
        containerPorts.add(Integer.parseInt(parts[parts.length - 1]));
      }
      assertThat(containerPorts)
          .as(n + " published ports")
          .containsExactly(httpPort, managementPort);
    }
    assertThat(services.get("postgres")).isNotNull();
    // Every DISTCRON_ variable mentioned anywhere in the file is one the node reads.
    assertThat(readVariables).containsAll(mentioned(Path.of("docker/docker-compose.yml")));
  }

  /** A compose environment: its own keys and those of a merged anchor ({@code <<}). */
  private static void collectEnv(JsonNode environment, Map<String, String> env) {
    if (environment == null) return;
    environment
        .fields()
        .forEachRemaining(
            e -> {
              if (e.getKey().equals("<<")) collectEnv(e.getValue(), env);
              else env.put(e.getKey(), e.getValue().asText());
            });
  }

  private static Set<String> mentioned(Path file) throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher m = ENV_NAME.matcher(Files.readString(file));
    while (m.find()) names.add(m.group());
    return names;
  }

  @Test
  void kubernetesManifestsUseTheNodesPortsAndVariables() throws IOException {
    List<Path> files = manifests();
    assertThat(files).isNotEmpty();
    Map<String, Integer> namedPorts = new HashMap<>();
    List<JsonNode> services = new ArrayList<>();
    int containers = 0;
    for (Path file : files) {
      List<JsonNode> docs = documents(file);
      assertThat(docs).as(file + " has documents").isNotEmpty();
      for (JsonNode doc : docs) {
        String kind = doc.path("kind").asText();
        assertThat(kind).as(file + " kind").isNotEmpty();
        if (kind.equals("Service")) services.add(doc);
        if (kind.equals("Deployment") || kind.equals("StatefulSet")) {
          JsonNode pod = doc.path("spec").path("template");
          assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText())
              .isEqualTo(Integer.toString(managementPort));
          for (JsonNode c : pod.path("spec").path("containers")) {
            containers++;
            Set<Integer> ports = new TreeSet<>();
            for (JsonNode p : c.path("ports")) {
              ports.add(p.get("containerPort").asInt());
              namedPorts.put(p.get("name").asText(), p.get("containerPort").asInt());
            }
            assertThat(ports).containsExactlyInAnyOrder(httpPort, remotingPort, managementPort);
            Map<String, String> env = new HashMap<>();
            for (JsonNode e : c.path("env"))
              env.put(e.get("name").asText(), e.path("value").asText(null));
            Set<String> distcron = new TreeSet<>();
            for (String name : env.keySet()) if (name.startsWith("DISTCRON_")) distcron.add(name);
            assertThat(readVariables)
                .as(file + " sets only variables the node reads")
                .containsAll(distcron);
            assertThat(env.get("DISTCRON_CLUSTER_PORT")).isEqualTo(Integer.toString(remotingPort));
            assertThat(env.get("DISTCRON_MANAGEMENT_PORT"))
                .isEqualTo(Integer.toString(managementPort));
            for (String probe : List.of("livenessProbe", "readinessProbe")) {
              JsonNode get = c.path(probe).path("httpGet");
              assertThat(get.path("path").asText()).as(probe).isIn("/alive", "/ready");
              assertThat(portNumber(get.path("port"), namedPorts))
                  .as(probe)
                  .isEqualTo(managementPort);
            }
          }
        }
        assertThat(readVariables).as(file + " mentions").containsAll(mentioned(file));
      }
    }
    assertThat(containers).isPositive();
    assertThat(services).isNotEmpty();
    for (JsonNode s : services) {
      for (JsonNode p : s.path("spec").path("ports")) {
        int target =
            portNumber(p.has("targetPort") ? p.get("targetPort") : p.get("port"), namedPorts);
        assertThat(target)
            .as(s.path("metadata").path("name").asText() + " targetPort")
            .isIn(httpPort, remotingPort, managementPort);
        assertThat(p.get("port").asInt()).isEqualTo(target);
      }
    }
  }

  private static int portNumber(JsonNode port, Map<String, Integer> named) {
    if (port.isInt()) return port.asInt();
    assertThat(named).as("named port " + port.asText()).containsKey(port.asText());
    return named.get(port.asText());
  }

  @Test
  void kustomizationListsOnlyFilesThatExist() throws IOException {
    JsonNode k = documents(Path.of("ops/k8s/kustomization.yaml")).get(0);
    assertThat(k.path("resources")).isNotEmpty();
    for (JsonNode r : k.path("resources")) assertThat(Path.of("ops/k8s", r.asText())).exists();
  }
}
