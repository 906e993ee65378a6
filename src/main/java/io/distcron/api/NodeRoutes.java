package io.distcron.api;

import static org.apache.pekko.http.javadsl.server.Directives.*;

import io.distcron.placement.ExecutorDirectory;
import io.distcron.placement.NodeLoad;
import io.distcron.placement.Placement;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.http.javadsl.server.Route;

/** {@code /api/v1/nodes}: every member with its roles, status and load. */
final class NodeRoutes {
  private final ActorSystem<?> system;
  private final Placement placement;
  private final Json json;

  NodeRoutes(ActorSystem<?> system, Placement placement, Json json) {
    this.system = system;
    this.placement = placement;
    this.json = json;
  }

  Route route() {
    return path("nodes", () -> get(() -> complete(json.response(200, new Dtos.Items<>(nodes())))));
  }

  private List<Dtos.NodeDto> nodes() {
    List<Dtos.NodeDto> nodes = new ArrayList<>();
    Iterable<Member> members = Cluster.get(system).state().getMembers();
    StreamSupport.stream(members.spliterator(), false)
        .forEach(
            m -> {
              String node = ExecutorDirectory.nodeOf(m.address(), placement.selfNode());
              NodeLoad load = placement.loads().get(node);
              boolean self = node.equals(placement.selfNode());
              List<String> roles =
                  m.getRoles().stream().filter(r -> !r.startsWith("dc-")).sorted().toList();
              nodes.add(
                  new Dtos.NodeDto(
                      node,
                      roles,
                      m.status().toString(),
                      self,
                      load == null ? null : load.running(),
                      load == null ? null : load.capacity(),
                      load == null ? null : load.cpuLoad(),
                      load == null && !self ? null : new TreeMap<>(placement.labels(node))));
            });
    return nodes;
  }
}
