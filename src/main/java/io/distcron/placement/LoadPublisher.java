package io.distcron.placement;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ddata.Key;
import org.apache.pekko.cluster.ddata.LWWMap;
import org.apache.pekko.cluster.ddata.LWWMapKey;
import org.apache.pekko.cluster.ddata.SelfUniqueAddress;
import org.apache.pekko.cluster.ddata.typed.javadsl.DistributedData;
import org.apache.pekko.cluster.ddata.typed.javadsl.Replicator;

/**
 * Publishes this node's load through Distributed Data about once a second (executor nodes only),
 * and keeps {@link Placement}'s view of every node's load up to date (every node). Without
 * pekko-cluster-metrics, CPU load comes from the JDK.
 */
public final class LoadPublisher {
  static final Key<LWWMap<String, NodeLoad>> KEY = LWWMapKey.create("distcron-node-loads");
  private static final Duration EVERY = Duration.ofSeconds(1);

  private LoadPublisher() {}

  sealed interface Command {}

  private record Publish() implements Command {}

  private record Changed(Replicator.SubscribeResponse<LWWMap<String, NodeLoad>> response)
      implements Command {}

  private record Published(Replicator.UpdateResponse<LWWMap<String, NodeLoad>> response)
      implements Command {}

  /**
   * {@code inProgress} null: this node runs nothing, it only reads the others' loads. {@code
   * labels} go with every load, so every node knows every executor's labels.
   */
  public static Behavior<?> create(
      Placement placement, AtomicInteger inProgress, int capacity, Map<String, String> labels) {
    return Behaviors.<Command>setup(
        ctx ->
            DistributedData.<Command, LWWMap<String, NodeLoad>>withReplicatorMessageAdapter(
                replicator ->
                    Behaviors.withTimers(
                        timers -> {
                          replicator.subscribe(KEY, Changed::new);
                          if (inProgress != null) {
                            timers.startTimerWithFixedDelay(new Publish(), EVERY);
                          }
                          SelfUniqueAddress self =
                              DistributedData.get(ctx.getSystem()).selfUniqueAddress();
                          OperatingSystemMXBean os =
                              (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
                          return Behaviors.receive(Command.class)
                              .onMessage(
                                  Publish.class,
                                  p -> {
                                    NodeLoad load =
                                        new NodeLoad(
                                            inProgress.get(),
                                            capacity,
                                            Math.max(0, os.getCpuLoad()),
                                            labels);
                                    replicator.askUpdate(
                                        replyTo ->
                                            new Replicator.Update<>(
                                                KEY,
                                                LWWMap.empty(),
                                                Replicator.writeLocal(),
                                                replyTo,
                                                map -> map.put(self, placement.selfNode(), load)),
                                        Published::new);
                                    return Behaviors.same();
                                  })
                              .onMessage(
                                  Changed.class,
                                  c -> {
                                    if (c.response()
                                        instanceof
                                        Replicator.Changed<LWWMap<String, NodeLoad>> changed) {
                                      placement.loads(changed.get(KEY).getEntries());
                                    }
                                    return Behaviors.same();
                                  })
                              .onMessage(Published.class, p -> Behaviors.same())
                              .build();
                        })));
  }
}
