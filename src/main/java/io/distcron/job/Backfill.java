package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.schedule.CronSchedule;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A backfill in progress: the ticks of the job's schedule in {@code [from, to)} that lie in {@code
 * spans}, decided in order. Only a cursor (the last tick decided) moves, so a backfill of 10,000
 * ticks keeps a few instants in the state, not 10,000. Pure: the schedule is given.
 *
 * <p>Which ticks a backfill may take: a span is time the live schedule did not own (before the job
 * was first defined, while it was paused, disabled or deleted, a tick dropped by a redefinition),
 * always at or before the high-water mark; the state keeps those spans ({@link JobState#unowned()})
 * and a backfill takes its range out of them, so no tick is run by both the live schedule and a
 * backfill, nor by two backfills.
 *
 * @param ticks how many ticks the backfill took when it was requested
 * @param cursor the last tick decided (run or skipped); null before the first
 * @param decided how many of its ticks are decided
 */
public record Backfill(
    Instant from,
    Instant to,
    Overlap overlap,
    int ticks,
    List<Span> spans,
    Instant cursor,
    int decided)
    implements CborSerializable {

  /** At most this many ticks in one request's range. */
  public static final int MAX_TICKS = 10_000;

  /**
   * At most this many unowned spans are kept, the newest: a job paused and resumed more often than
   * this loses the oldest, whose ticks then can no longer be backfilled (never the other way).
   */
  static final int MAX_SPANS = 64;

  /** More ticks skipped at once than this are recorded as one range. */
  static final int MAX_SKIPPED_ONE_BY_ONE = 100;

  /** How a backfill's runs go relative to the job's other runs. */
  public enum Overlap {
    /** One after another, each when no run of the job is active or queued. */
    QUEUE,
    /** Without waiting for anything. */
    ALLOW,
    /** One after another; a tick whose turn comes while a run of the job is active is skipped. */
    SKIP
  }

  /**
   * The ticks {@code t} with {@code after < t <= until}; {@code after} null: no lower bound.
   * Half-open at the bottom, as the high-water mark is: the tick at a mark belongs below it.
   */
  public record Span(Instant after, Instant until) implements CborSerializable {
    boolean contains(Instant t) {
      return (after == null || t.isAfter(after)) && !t.isAfter(until);
    }
  }

  public Backfill {
    spans = spans == null ? List.of() : List.copyOf(spans);
  }

  /** What a request for {@code [from, to)} would do, or why it cannot. */
  sealed interface Plan {}

  /**
   * {@code ticks}: to run; {@code leftOut}: in the range but the live schedule's or an earlier
   * backfill's.
   */
  record Accepted(int ticks, int leftOut) implements Plan {}

  record TooMany(String message) implements Plan {}

  /** Plans a backfill of {@code [from, to)} over the {@code unowned} spans; {@code from < to}. */
  static Plan plan(CronSchedule schedule, List<Span> unowned, Instant from, Instant to) {
    List<Instant> all = schedule.between(from.minusNanos(1), to.minusNanos(1), MAX_TICKS + 1);
    if (all.size() > MAX_TICKS) {
      return new TooMany(
          "to: the range holds more than "
              + MAX_TICKS
              + " ticks of the job's schedule; the "
              + (MAX_TICKS + 1)
              + "th is "
              + all.get(MAX_TICKS)
              + ", so to must be at or before it");
    }
    List<Span> spans = intersect(unowned, from, to);
    int ticks = (int) all.stream().filter(t -> inAny(spans, t)).count();
    return new Accepted(ticks, all.size() - ticks);
  }

  /** A new backfill of what of {@code [from, to)} is {@code unowned}. */
  static Backfill start(Instant from, Instant to, Overlap overlap, int ticks, List<Span> unowned) {
    return new Backfill(from, to, overlap, ticks, intersect(unowned, from, to), null, 0);
  }

  /**
   * The next tick to decide, after the cursor; empty when every tick is decided. Spans are {@link
   * #intersect}ed with the range, so each has a lower bound.
   */
  Optional<Instant> next(CronSchedule schedule) {
    for (Span s : spans) {
      if (cursor != null && !cursor.isBefore(s.until())) continue;
      Instant after = cursor != null && cursor.isAfter(s.after()) ? cursor : s.after();
      Optional<Instant> t = schedule.nextAfter(after);
      if (t.isPresent() && !t.get().isAfter(s.until())) return t;
    }
    return Optional.empty();
  }

  /** The ticks still to decide, in order, at most {@code max}. */
  List<Instant> remaining(CronSchedule schedule, int max) {
    List<Instant> out = new ArrayList<>();
    Backfill b = this;
    for (var t = b.next(schedule); t.isPresent() && out.size() < max; t = b.next(schedule)) {
      out.add(t.get());
      b = b.decided(t.get(), 0);
    }
    return out;
  }

  /** Moves the cursor to {@code tick}, {@code count} more ticks decided. */
  Backfill decided(Instant tick, int count) {
    Instant next = cursor != null && cursor.isAfter(tick) ? cursor : tick;
    return new Backfill(from, to, overlap, ticks, spans, next, decided + count);
  }

  // ---- span arithmetic: spans are disjoint and in order

  /** The parts of {@code spans} in {@code [from, to)}. */
  static List<Span> intersect(List<Span> spans, Instant from, Instant to) {
    Instant lo = from.minusNanos(1);
    Instant hi = to.minusNanos(1);
    List<Span> out = new ArrayList<>();
    for (Span s : spans) {
      Instant after = s.after() == null || s.after().isBefore(lo) ? lo : s.after();
      Instant until = s.until().isAfter(hi) ? hi : s.until();
      if (until.isAfter(after)) out.add(new Span(after, until));
    }
    return out;
  }

  /** {@code spans} without {@code [from, to)}. */
  static List<Span> subtract(List<Span> spans, Instant from, Instant to) {
    Instant lo = from.minusNanos(1);
    Instant hi = to.minusNanos(1);
    List<Span> out = new ArrayList<>();
    for (Span s : spans) {
      if (s.after() == null || s.after().isBefore(lo)) {
        Instant until = s.until().isAfter(lo) ? lo : s.until();
        out.add(new Span(s.after(), until));
      }
      if (s.until().isAfter(hi)) {
        Instant after = s.after() != null && s.after().isAfter(hi) ? s.after() : hi;
        out.add(new Span(after, s.until()));
      }
    }
    return out;
  }

  /**
   * {@code spans} and then {@code (after, until]}, which lies after them; joined to the last when
   * they touch, the oldest dropped beyond {@link #MAX_SPANS}.
   */
  static List<Span> append(List<Span> spans, Instant after, Instant until) {
    List<Span> out = new ArrayList<>(spans);
    Span last = out.isEmpty() ? null : out.get(out.size() - 1);
    if (last != null && after != null && !after.isAfter(last.until())) {
      out.set(out.size() - 1, new Span(last.after(), until));
    } else {
      out.add(new Span(after, until));
    }
    return out.size() > MAX_SPANS ? out.subList(out.size() - MAX_SPANS, out.size()) : out;
  }

  private static boolean inAny(List<Span> spans, Instant t) {
    return spans.stream().anyMatch(s -> s.contains(t));
  }
}
