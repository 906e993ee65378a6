package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.store.RunReason;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;

/**
 * A job's write-side state. {@code lastScheduled} is the persisted high-water mark: a scheduled tick at or
 * before it has been decided already and is never fired again.
 *
 * @param spec null while the job does not exist (never defined, or deleted)
 * @param active runs fired and not yet finished, by run id
 */
public record JobState(
    JobSpec spec, boolean paused, Instant lastScheduled, Map<String, ActiveRun> active)
    implements CborSerializable {

  /** A run in flight; {@code node} is the executor it was handed to (null for runs done in place). */
  public record ActiveRun(Instant scheduledAt, int attempt, RunReason reason, String node)
      implements CborSerializable {
    ActiveRun onNode(String newNode) {
      return new ActiveRun(scheduledAt, attempt, reason, newNode);
    }
  }

  public static final JobState EMPTY = new JobState(null, false, null, Map.of());

  public JobState {
    active = Map.copyOf(active);
  }

  public boolean exists() {
    return spec != null;
  }

  /** Whether the schedule should tick: defined, enabled and not paused. */
  public boolean ticking() {
    return spec != null && spec.enabled() && !paused;
  }

  JobState apply(JobEntity.Event event) {
    if (event instanceof JobEntity.Defined d) return new JobState(d.spec(), paused, lastScheduled, active);
    if (event instanceof JobEntity.Paused) return new JobState(spec, true, lastScheduled, active);
    if (event instanceof JobEntity.Resumed) return new JobState(spec, false, lastScheduled, active);
    if (event instanceof JobEntity.Deleted) return new JobState(null, false, lastScheduled, Map.of());
    if (event instanceof JobEntity.RunFired f) return fired(f);
    if (event instanceof JobEntity.RunRedirected r) return redirected(r);
    if (event instanceof JobEntity.RunFinished f) return finished(f.runId());
    throw new IllegalArgumentException("unknown event " + event);
  }

  private JobState fired(JobEntity.RunFired f) {
    Map<String, ActiveRun> next = new HashMap<>(active);
    next.put(f.runId(), new ActiveRun(f.scheduledAt(), f.attempt(), f.reason(), f.node()));
    Instant mark = lastScheduled;
    if (f.reason() != RunReason.MANUAL && (mark == null || f.scheduledAt().isAfter(mark))) {
      mark = f.scheduledAt();
    }
    return new JobState(spec, paused, mark, next);
  }

  private JobState redirected(JobEntity.RunRedirected r) {
    ActiveRun run = active.get(r.runId());
    if (run == null) return this;
    Map<String, ActiveRun> next = new HashMap<>(active);
    next.put(r.runId(), run.onNode(r.node()));
    return new JobState(spec, paused, lastScheduled, next);
  }

  private JobState finished(String runId) {
    if (!active.containsKey(runId)) return this;
    Map<String, ActiveRun> next = new HashMap<>(active);
    next.remove(runId);
    return new JobState(spec, paused, lastScheduled, next);
  }
}
