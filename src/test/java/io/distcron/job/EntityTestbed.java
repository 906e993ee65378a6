package io.distcron.job;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import com.zaxxer.hikari.HikariDataSource;
import io.distcron.TestDatabases;
import io.distcron.config.Configs;
import io.distcron.config.DistcronSettings;
import io.distcron.store.Database;
import io.distcron.store.JobIndex;
import io.distcron.store.RunStore;
import io.distcron.store.Schema;
import io.distcron.store.Stores;
import java.util.Map;
import java.util.concurrent.Executors;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;

/** What the job entity tests share: a local actor system on manual time and a real H2 run store. */
final class EntityTestbed {
  private EntityTestbed() {}

  static ActorTestKit kit() {
    return ActorTestKit.create(
        ManualTime.config()
            .withFallback(EventSourcedBehaviorTestKit.config())
            .withFallback(ConfigFactory.parseString("pekko.actor.provider = local"))
            .withFallback(Configs.load(Map.of())));
  }

  static DistcronSettings settings() {
    return DistcronSettings.from(Configs.load(Map.of()));
  }

  static HikariDataSource database(String name) {
    HikariDataSource ds = Database.open(TestDatabases.db("h2", TestDatabases.uniqueName(name)));
    Schema.create(ds);
    return ds;
  }

  static Stores stores(HikariDataSource ds) {
    return new Stores(
        new RunStore(ds),
        new JobIndex(ds, new ObjectMapper().findAndRegisterModules()),
        Executors.newSingleThreadExecutor());
  }
}
