package io.distcron.store;

import io.distcron.alert.AlertRules;
import io.distcron.job.JobEntity;
import io.distcron.run.RunIds;
import io.distcron.run.RunStatus;
import java.time.Instant;
import java.util.List;

/** What a job event says for alerts: pure, beside {@link RunRows}, whose run ids it uses. */
final class AlertFacts {
  private AlertFacts() {}

  static List<AlertJobs.Fact> of(String job, JobEntity.Event event, Instant at) {
    if (event instanceof JobEntity.Defined d) {
      return List.of(new AlertJobs.Rules(job, d.spec().notifyRules()));
    }
    if (event instanceof JobEntity.Deleted) return List.of(new AlertJobs.Gone(job));
    if (event instanceof JobEntity.RunFired f && f.done()) {
      return List.of(ended(job, f.runId(), RunStatus.SUCCEEDED, at));
    }
    if (event instanceof JobEntity.RunStarted s) {
      return List.of(new AlertJobs.RunFact(job, s.runId(), AlertRules.Phase.STARTED, null, at));
    }
    if (event instanceof JobEntity.RunFinished f) {
      return List.of(ended(job, f.runId(), f.status(), at));
    }
    if (event instanceof JobEntity.TicksSkipped s) {
      return s.ticks().stream()
          .map(t -> ended(job, RunIds.skipped(job, t), RunStatus.SKIPPED, at))
          .toList();
    }
    if (event instanceof JobEntity.TickRangeSkipped r) {
      return List.of(ended(job, RunIds.skipped(job, r.from()), RunStatus.SKIPPED, at));
    }
    return List.of();
  }

  private static AlertJobs.Fact ended(String job, String runId, RunStatus status, Instant at) {
    return new AlertJobs.RunFact(job, runId, AlertRules.Phase.ENDED, status, at);
  }
}
