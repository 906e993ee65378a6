package io.distcron.cluster;

import java.sql.Connection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.ActorSystem;

/**
 * The node's own part of {@code /ready} (Pekko Management adds "member is Up"): the node has
 * started its job sharding and API, and the database answers. Pekko Management builds this check by
 * reflection from the actor system alone, so the node registers what the check needs here when it
 * starts.
 */
public final class Readiness implements Supplier<CompletionStage<Boolean>> {
  private static final Map<ActorSystem, DataSource> STARTED = new ConcurrentHashMap<>();
  private static final int DB_TIMEOUT_SECONDS = 2;

  private final ActorSystem system;

  public Readiness(ActorSystem system) {
    this.system = system;
  }

  /** Called once the node's parts are running; forgotten when the actor system terminates. */
  public static void started(org.apache.pekko.actor.typed.ActorSystem<?> system, DataSource ds) {
    ActorSystem classic = system.classicSystem();
    STARTED.put(classic, ds);
    classic.getWhenTerminated().thenRun(() -> STARTED.remove(classic));
  }

  @Override
  public CompletionStage<Boolean> get() {
    DataSource ds = STARTED.get(system);
    if (ds == null) return CompletableFuture.completedFuture(false);
    return CompletableFuture.supplyAsync(
        () -> {
          try (Connection c = ds.getConnection()) {
            return c.isValid(DB_TIMEOUT_SECONDS);
          } catch (Exception e) {
            return false;
          }
        });
  }
}
