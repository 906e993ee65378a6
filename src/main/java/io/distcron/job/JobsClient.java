package io.distcron.job;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** The ask facade the API uses: any node reaches any job through sharding. */
public final class JobsClient {
  private final ClusterSharding sharding;
  private final Duration timeout;

  public JobsClient(ActorSystem<?> system, Duration timeout) {
    this.sharding = ClusterSharding.get(system);
    this.timeout = timeout;
  }

  public Duration timeout() {
    return timeout;
  }

  public CompletionStage<JobEntity.Reply> create(JobSpec spec) {
    return ask(spec.name(), r -> new JobEntity.Create(spec, r));
  }

  public CompletionStage<JobEntity.Reply> replace(JobSpec spec) {
    return ask(spec.name(), r -> new JobEntity.Replace(spec, r));
  }

  public CompletionStage<JobEntity.Reply> get(String name) {
    return ask(name, JobEntity.Get::new);
  }

  public CompletionStage<JobEntity.Reply> pause(String name) {
    return ask(name, JobEntity.Pause::new);
  }

  public CompletionStage<JobEntity.Reply> resume(String name) {
    return ask(name, JobEntity.Resume::new);
  }

  public CompletionStage<JobEntity.Reply> delete(String name) {
    return ask(name, JobEntity.Delete::new);
  }

  public CompletionStage<JobEntity.Reply> trigger(String name) {
    return ask(name, JobEntity.Trigger::new);
  }

  public CompletionStage<JobEntity.Reply> kill(String job, String runId) {
    return ask(job, r -> new JobEntity.KillRun(runId, r));
  }

  private CompletionStage<JobEntity.Reply> ask(
      String name, Function<ActorRef<JobEntity.Reply>, JobEntity.Command> command) {
    return sharding.entityRefFor(JobEntity.ENTITY_KEY, name).ask(command::apply, timeout);
  }
}
