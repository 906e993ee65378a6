package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.run.RunReason;
import io.distcron.run.RunToken;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A job's write-side state. {@code lastScheduled} is the persisted high-water mark: a scheduled
 * tick at or before it has been decided already (fired, queued or skipped) and is never decided
 * again. Defining or resuming a job moves it to that moment, since ticks before it are not owed.
 *
 * @param spec null while the job does not exist (never defined, or deleted)
 * @param active runs handed to an executor and not yet finished, by run id
 * @param queued runs decided but waiting: for the active run to end, or for a retry's backoff
 * @param unowned the spans of time at or before the high-water mark whose ticks nobody decided: the
 *     live schedule did not own them and no backfill took them yet (empty in a state recovered from
 *     a snapshot older than backfills: then none can be backfilled, never one twice)
 * @param backfill the latest backfill, in progress or done; null if none
 */
public record JobState(
    JobSpec spec,
    boolean paused,
    Instant lastScheduled,
    Map<String, ActiveRun> active,
    List<QueuedRun> queued,
    List<Backfill.Span> unowned,
    Backfill backfill)
    implements CborSerializable {

  /**
   * A run in flight.
   *
   * @param node the executor node it was handed to ({@code host:port}); null if none
   * @param nodeUid that node's incarnation; 0 for a run handed over before incarnations were
   *     recorded (its fate can only be learnt, never assumed)
   * @param epoch of the current hand-off; 0 likewise
   * @param startedAt when its executor reported it started; null until then
   */
  public record ActiveRun(
      Instant scheduledAt,
      int attempt,
      RunReason reason,
      String node,
      long nodeUid,
      int epoch,
      Instant startedAt)
      implements CborSerializable {

    public RunToken token(String runId) {
      return new RunToken(runId, epoch);
    }

    public boolean started() {
      return startedAt != null;
    }

    /** Handed over by a version that did not fence hand-offs: whether it ran is unknowable. */
    public boolean legacy() {
      return node != null && nodeUid == 0;
    }
  }

  /** A run that is decided and waits; it may not start before {@code notBefore}. */
  /** {@code cause}: as in {@link JobEntity.RunQueued#cause}. */
  public record QueuedRun(
      String runId,
      Instant scheduledAt,
      RunReason reason,
      int attempt,
      Instant notBefore,
      String cause)
      implements CborSerializable {}

  public static final JobState EMPTY =
      new JobState(null, false, null, Map.of(), List.of(), List.of(), null);

  public JobState {
    active = active == null ? Map.of() : Map.copyOf(active);
    queued = queued == null ? List.of() : List.copyOf(queued);
    unowned = unowned == null ? List.of() : List.copyOf(unowned);
  }

  public boolean exists() {
    return spec != null;
  }

  /** Whether the schedule should tick: defined, enabled and not paused. */
  public boolean ticking() {
    return spec != null && spec.enabled() && !paused;
  }

  /** A run is going or waiting to go: what the overlap policy looks at. */
  public boolean busy() {
    return !active.isEmpty() || !queued.isEmpty();
  }

  /** The queued run that may start first, by not-before then by tick. */
  public Optional<QueuedRun> nextQueued() {
    return queued.stream()
        .min(Comparator.comparing(QueuedRun::notBefore).thenComparing(QueuedRun::scheduledAt));
  }

  /**
   * The backfill's latest tick has a run going or waiting (a retry keeps its tick): the next waits
   * for it unless the backfill allows overlap.
   */
  public boolean backfillRunning() {
    if (backfill == null || backfill.cursor() == null) return false;
    Instant tick = backfill.cursor();
    return active.values().stream()
            .anyMatch(r -> r.scheduledAt().equals(tick) && backfilled(r.reason()))
        || queued.stream().anyMatch(q -> q.scheduledAt().equals(tick) && backfilled(q.reason()));
  }

  private static boolean backfilled(RunReason reason) {
    return reason == RunReason.BACKFILL || reason == RunReason.RETRY;
  }

  public Optional<QueuedRun> queuedRun(String runId) {
    return queued.stream().filter(q -> q.runId().equals(runId)).findFirst();
  }

  JobState apply(JobEntity.Event event) {
    if (event instanceof JobEntity.Defined d) {
      return with(d.spec(), paused).unowning(d.spec(), d.at()).marked(d.at());
    }
    if (event instanceof JobEntity.Paused) return with(spec, true);
    if (event instanceof JobEntity.Resumed r) {
      return with(spec, false).unowning(spec, r.at()).marked(r.at());
    }
    if (event instanceof JobEntity.Deleted) {
      return new JobState(null, false, lastScheduled, Map.of(), List.of(), unowned, null);
    }
    if (event instanceof JobEntity.RunFired f) return fired(f);
    if (event instanceof JobEntity.RunQueued q) return queued(q);
    if (event instanceof JobEntity.TicksSkipped s) {
      Instant last = s.ticks().get(s.ticks().size() - 1);
      return s.backfill() ? backfilled(last, s.ticks().size()) : marked(last);
    }
    if (event instanceof JobEntity.TickRangeSkipped r) {
      Instant last = r.until().minusNanos(1);
      return r.backfill() ? backfilled(last, (int) r.count()) : marked(last);
    }
    if (event instanceof JobEntity.BackfillRequested b) {
      return new JobState(
          spec,
          paused,
          lastScheduled,
          active,
          queued,
          Backfill.subtract(unowned, b.from(), b.to()),
          Backfill.start(b.from(), b.to(), b.overlap(), b.ticks(), unowned));
    }
    if (event instanceof JobEntity.RunRedirected r) return redirected(r);
    if (event instanceof JobEntity.RunStarted s) return started(s);
    if (event instanceof JobEntity.RunFinished f) return finished(f.runId());
    throw new IllegalArgumentException("unknown event " + event);
  }

  private JobState with(JobSpec newSpec, boolean newPaused) {
    return new JobState(newSpec, newPaused, lastScheduled, active, queued, unowned, backfill);
  }

  private JobState withActive(Map<String, ActiveRun> nextActive) {
    return with(nextActive, queued);
  }

  private JobState with(Map<String, ActiveRun> nextActive, List<QueuedRun> nextQueued) {
    return new JobState(spec, paused, lastScheduled, nextActive, nextQueued, unowned, backfill);
  }

  private JobState marked(Instant at) {
    if (at == null || (lastScheduled != null && !at.isAfter(lastScheduled))) return this;
    return new JobState(spec, paused, at, active, queued, unowned, backfill);
  }

  /**
   * The mark jumps to {@code at} (a definition or a resume): the ticks it passes over, of {@code
   * newSpec}'s schedule, were not the live schedule's and may be backfilled.
   */
  private JobState unowning(JobSpec newSpec, Instant at) {
    if (at == null || (lastScheduled != null && !at.isAfter(lastScheduled))) return this;
    if (lastScheduled != null
        && newSpec.ticks().nextAfter(lastScheduled).filter(t -> !t.isAfter(at)).isEmpty()) {
      return this;
    }
    return new JobState(
        spec,
        paused,
        lastScheduled,
        active,
        queued,
        Backfill.append(unowned, lastScheduled, at),
        backfill);
  }

  private JobState backfilled(Instant tick, int count) {
    if (backfill == null) return this;
    return new JobState(
        spec, paused, lastScheduled, active, queued, unowned, backfill.decided(tick, count));
  }

  private static boolean ticks(RunReason reason) {
    return reason == RunReason.SCHEDULE || reason == RunReason.CATCHUP;
  }

  private JobState fired(JobEntity.RunFired f) {
    Map<String, ActiveRun> nextActive = new HashMap<>(active);
    if (!f.done()) {
      nextActive.put(
          f.runId(),
          new ActiveRun(
              f.scheduledAt(), f.attempt(), f.reason(), f.node(), f.nodeUid(), f.epoch(), null));
    }
    List<QueuedRun> nextQueued = new ArrayList<>(queued);
    nextQueued.removeIf(q -> q.runId().equals(f.runId()));
    JobState next = with(nextActive, nextQueued);
    if (f.reason() == RunReason.BACKFILL) return next.backfilled(f.scheduledAt(), 1);
    return ticks(f.reason()) ? next.marked(f.scheduledAt()) : next;
  }

  private JobState queued(JobEntity.RunQueued q) {
    List<QueuedRun> nextQueued = new ArrayList<>(queued);
    nextQueued.add(
        new QueuedRun(
            q.runId(), q.scheduledAt(), q.reason(), q.attempt(), q.notBefore(), q.cause()));
    JobState next = with(active, nextQueued);
    return ticks(q.reason()) ? next.marked(q.scheduledAt()) : next;
  }

  private JobState redirected(JobEntity.RunRedirected r) {
    ActiveRun run = active.get(r.runId());
    if (run == null) return this;
    // Events from before epochs were recorded say 0: the next epoch, as it then was.
    int epoch = r.epoch() > 0 ? r.epoch() : run.epoch() + 1;
    Map<String, ActiveRun> next = new HashMap<>(active);
    next.put(
        r.runId(),
        new ActiveRun(
            run.scheduledAt(), run.attempt(), run.reason(), r.node(), r.nodeUid(), epoch, null));
    return withActive(next);
  }

  private JobState started(JobEntity.RunStarted s) {
    ActiveRun run = active.get(s.runId());
    if (run == null || run.epoch() != s.epoch()) return this;
    Map<String, ActiveRun> next = new HashMap<>(active);
    next.put(
        s.runId(),
        new ActiveRun(
            run.scheduledAt(),
            run.attempt(),
            run.reason(),
            run.node(),
            run.nodeUid(),
            run.epoch(),
            s.at()));
    return withActive(next);
  }

  private JobState finished(String runId) {
    Map<String, ActiveRun> nextActive = new HashMap<>(active);
    nextActive.remove(runId);
    List<QueuedRun> nextQueued = new ArrayList<>(queued);
    nextQueued.removeIf(q -> q.runId().equals(runId));
    return with(nextActive, nextQueued);
  }
}
