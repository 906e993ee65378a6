package io.distcron.job;

import io.distcron.exec.ExecutorNode;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;

/** Executors' reports reach a run's job through sharding, wherever the job lives now. */
public final class JobReports implements ExecutorNode.Reports {
  private final ClusterSharding sharding;

  public JobReports(ActorSystem<?> system) {
    this.sharding = ClusterSharding.get(system);
  }

  @Override
  public void send(String job, ExecutorNode.Report report) {
    sharding.entityRefFor(JobEntity.ENTITY_KEY, job).tell(new JobEntity.Reported(report));
  }
}
