package io.distcron.job;

import io.distcron.run.RunReason;
import io.distcron.run.RunStatus;
import io.distcron.schedule.CalendarRules;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.OverlapPolicy;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What a job does with a tick, a finished run and the ticks it missed: pure functions of its state,
 * the time and the policies. The entity persists what they return and acts on it; nothing here
 * touches an actor.
 */
final class TickDecisions {
  /**
   * At most this many missed ticks get a decision and a run record each; older ones in a longer gap
   * are recorded as one range (a per-second job down for a day would otherwise write 86,400
   * records, and retention keeps 1,000 per job anyway).
   */
  static final int MAX_RECORDED = 10_000;

  /**
   * More ticks skipped for one reason than this are recorded as one range: a per-second job back
   * after an hour would otherwise add 3,500 SKIPPED records to its history, which keeps 1,000 runs
   * per job anyway, and write them all while it catches up.
   */
  static final int MAX_SKIPPED_ONE_BY_ONE = 100;

  private TickDecisions() {}

  /** What to do with a tick that is due. */
  sealed interface OnTick {}

  record Fire() implements OnTick {}

  record Skip(String reason) implements OnTick {}

  /** {@code replace}: kill what runs, once the queued run is persisted. */
  record Queue(boolean replace) implements OnTick {}

  /**
   * A queued run may start now and its drain is still in the mailbox: start it first, then decide
   * the tick against what really runs (else a tick after a catch-up is skipped as "previous run
   * still active" while nothing runs).
   */
  record DrainFirst() implements OnTick {}

  /** A due tick of a ticking job, after its high-water mark, under its overlap policy. */
  static OnTick onTick(JobState state, Instant now) {
    OverlapPolicy overlap = state.spec().overlap();
    if (overlap != OverlapPolicy.ALLOW && startsNow(state, now)) return new DrainFirst();
    if (!state.busy() || overlap == OverlapPolicy.ALLOW) return new Fire();
    if (overlap == OverlapPolicy.SKIP) return new Skip("previous run still active");
    boolean tickWaiting =
        state.queued().stream()
            .anyMatch(q -> q.reason() == RunReason.SCHEDULE || q.reason() == RunReason.CATCHUP);
    if (tickWaiting) return new Skip("a run is already queued");
    return new Queue(overlap == OverlapPolicy.REPLACE);
  }

  /** What a backfill does now. */
  sealed interface BackfillStep {}

  record RunTick(Instant tick) implements BackfillStep {}

  /** Ticks whose turn came while a run of the job is active: the next, and those after it. */
  record SkipTicks(List<Instant> ticks, String reason) implements BackfillStep {}

  record Wait() implements BackfillStep {}

  /**
   * The backfill's next tick, when its turn has come: unless it allows overlap, a tick's turn comes
   * once the tick before it has no run going or waiting (retries included); under QUEUE it runs
   * once no run of the job is active or queued, under SKIP it is skipped if one is active (and so
   * are the ticks after it, whose turn comes at once). Nothing while the job does not tick.
   */
  static BackfillStep backfillStep(JobState state, CronSchedule schedule) {
    Backfill backfill = state.backfill();
    if (backfill == null || !state.ticking()) return new Wait();
    if (backfill.overlap() != Backfill.Overlap.ALLOW && state.backfillRunning()) {
      return new Wait();
    }
    Optional<Instant> next = backfill.next(schedule);
    if (next.isEmpty()) return new Wait();
    if (backfill.overlap() == Backfill.Overlap.QUEUE && state.busy()) return new Wait();
    if (backfill.overlap() == Backfill.Overlap.SKIP && !state.active().isEmpty()) {
      return new SkipTicks(
          backfill.remaining(schedule, Backfill.MAX_SKIPPED_ONE_BY_ONE),
          "backfill: a run of the job was active when its turn came");
    }
    return new RunTick(next.get());
  }

  /** Whether a drain would start a queued run right now. */
  static boolean startsNow(JobState state, Instant now) {
    return state.ticking()
        && state.active().isEmpty()
        && state.nextQueued().map(q -> !q.notBefore().isAfter(now)).orElse(false);
  }

  /** The queued run a drain may start now, if any (queued runs wait while one is active). */
  static Optional<JobState.QueuedRun> drainable(JobState state) {
    if (!state.ticking()) return Optional.empty();
    if (!state.active().isEmpty() && state.spec().overlap() != OverlapPolicy.ALLOW) {
      return Optional.empty();
    }
    return state.nextQueued();
  }

  /**
   * The next attempt of a run that ended with {@code status}, queued after its backoff, if the
   * retry policy wants one: FAILED, TIMED_OUT and LOST runs are retried.
   */
  static Optional<JobEntity.RunQueued> retry(
      JobSpec spec,
      String runId,
      Instant scheduledAt,
      int attempt,
      RunStatus status,
      Instant now,
      Supplier<String> ids) {
    boolean retryable =
        status == RunStatus.FAILED || status == RunStatus.TIMED_OUT || status == RunStatus.LOST;
    if (!retryable || spec == null || !spec.retry().retriesAfter(attempt)) return Optional.empty();
    return Optional.of(
        new JobEntity.RunQueued(
            ids.get(),
            scheduledAt,
            RunReason.RETRY,
            attempt + 1,
            now.plus(spec.retry().backoffAfter(attempt)),
            runId));
  }

  /**
   * The events that decide every tick missed after {@code lastScheduled} up to {@code now}: runs
   * (done at once when {@code inPlace}, else queued), skips with their reasons, and a range for
   * more ticks than are recorded one by one. Ticks one of the job's {@code calendars} excludes are
   * skipped whatever the catch-up policy, which plans the others. Empty when none was missed.
   */
  static List<JobEntity.Event> catchUp(
      JobSpec spec,
      CronSchedule schedule,
      Instant lastScheduled,
      Instant now,
      boolean inPlace,
      String selfNode,
      CalendarRules.Lookup calendars,
      Supplier<String> ids) {
    List<JobEntity.Event> events = new ArrayList<>();
    List<Instant> missed = schedule.between(lastScheduled, now, MAX_RECORDED + 1);
    if (missed.size() > MAX_RECORDED) {
      // Too many to record one by one: the newest MAX_RECORDED are, those before are one range.
      Instant from = missed.get(0);
      List<Instant> newest = newest(schedule, lastScheduled, now);
      Instant until = newest.isEmpty() ? now.plusNanos(1) : newest.get(0);
      events.add(
          new JobEntity.TickRangeSkipped(
              from, until, 0, "catch-up: more than " + MAX_RECORDED + " ticks were missed"));
      missed = newest;
    }
    if (missed.isEmpty()) return events;
    List<Instant> allowed = new ArrayList<>();
    events.addAll(excluded(missed, spec.excludeCalendars(), calendars, allowed));
    if (allowed.isEmpty()) return events;
    Map<String, List<Instant>> skipped = new LinkedHashMap<>();
    for (CatchUpPolicy.Decision d : spec.catchUp().plan(allowed, now)) {
      if (!d.fires()) {
        skipped.computeIfAbsent(d.skipReason(), r -> new ArrayList<>()).add(d.tick());
      } else if (inPlace) {
        events.add(
            new JobEntity.RunFired(
                ids.get(), d.tick(), now, RunReason.CATCHUP, 1, selfNode, true, 0, 0, null));
      } else {
        events.add(new JobEntity.RunQueued(ids.get(), d.tick(), RunReason.CATCHUP, 1, now, null));
      }
    }
    // The ticks of one reason are consecutive (older than the window, beyond maxRuns, all but the
    // latest): a range holds exactly them.
    skipped.forEach(
        (reason, ticks) ->
            events.add(
                ticks.size() <= MAX_SKIPPED_ONE_BY_ONE
                    ? new JobEntity.TicksSkipped(List.copyOf(ticks), reason)
                    : new JobEntity.TickRangeSkipped(
                        ticks.get(0),
                        ticks.get(ticks.size() - 1).plusNanos(1),
                        ticks.size(),
                        reason)));
    return events;
  }

  /**
   * The skips of the ticks in {@code ticks} (consecutive ticks of the schedule) that a calendar
   * excludes; the others are added to {@code allowed}. A run of more than {@link
   * #MAX_SKIPPED_ONE_BY_ONE} consecutive ticks with one reason is one range, which holds exactly
   * them; the shorter runs of a reason are one list.
   */
  private static List<JobEntity.Event> excluded(
      List<Instant> ticks,
      List<String> names,
      CalendarRules.Lookup calendars,
      List<Instant> allowed) {
    if (names.isEmpty()) {
      allowed.addAll(ticks);
      return List.of();
    }
    List<JobEntity.Event> ranges = new ArrayList<>();
    Map<String, List<Instant>> oneByOne = new LinkedHashMap<>();
    List<Instant> run = new ArrayList<>();
    String runReason = null;
    for (Instant tick : ticks) {
      String reason = CalendarRules.excludedBy(names, tick, calendars).orElse(null);
      if (!Objects.equals(reason, runReason)) {
        endRun(runReason, run, ranges, oneByOne);
        runReason = reason;
      }
      if (reason == null) allowed.add(tick);
      else run.add(tick);
    }
    endRun(runReason, run, ranges, oneByOne);
    List<JobEntity.Event> events = new ArrayList<>(ranges);
    oneByOne.forEach((reason, list) -> events.add(new JobEntity.TicksSkipped(list, reason)));
    return events;
  }

  private static void endRun(
      String reason,
      List<Instant> run,
      List<JobEntity.Event> ranges,
      Map<String, List<Instant>> oneByOne) {
    if (run.isEmpty()) return;
    if (run.size() > MAX_SKIPPED_ONE_BY_ONE) {
      ranges.add(
          new JobEntity.TickRangeSkipped(
              run.get(0), run.get(run.size() - 1).plusNanos(1), run.size(), reason));
    } else {
      oneByOne.computeIfAbsent(reason, r -> new ArrayList<>()).addAll(run);
    }
    run.clear();
  }

  /**
   * The newest {@link #MAX_RECORDED} ticks in (after, now]: a start close enough to now that few
   * ticks follow it is found by stepping closer, at least halving the distance each time (so it
   * ends); the ticks between the last two starts then fill up to the limit, newest kept.
   */
  private static List<Instant> newest(CronSchedule schedule, Instant after, Instant now) {
    Instant from = after;
    Instant wider = after;
    List<Instant> ticks = schedule.between(from, now, MAX_RECORDED + 1);
    while (ticks.size() > MAX_RECORDED) {
      wider = from;
      long covered = Duration.between(from, ticks.get(MAX_RECORDED - 1)).toNanos();
      long half = Duration.between(from, now).toNanos() / 2;
      from = now.minusNanos(Math.max(1, Math.min(covered * 9 / 10, half)));
      ticks = schedule.between(from, now, MAX_RECORDED + 1);
    }
    int room = MAX_RECORDED - ticks.size();
    ArrayDeque<Instant> before = new ArrayDeque<>();
    for (Instant cursor = wider; room > 0; ) {
      List<Instant> chunk = schedule.between(cursor, from, MAX_RECORDED);
      for (Instant t : chunk) {
        before.addLast(t);
        if (before.size() > room) before.removeFirst();
      }
      if (chunk.size() < MAX_RECORDED) break;
      cursor = chunk.get(chunk.size() - 1);
    }
    List<Instant> out = new ArrayList<>(before);
    out.addAll(ticks);
    return out;
  }
}
