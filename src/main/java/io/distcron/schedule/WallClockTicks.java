package io.distcron.schedule;

import com.cronutils.descriptor.CronDescriptor;
import com.cronutils.model.Cron;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.time.ExecutionTime;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.time.zone.ZoneOffsetTransition;
import java.time.zone.ZoneRules;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A cron expression read as wall-clock times in a zone, with the DST rules documented on {@link
 * CronSchedule}.
 *
 * <p>cron-utils is only ever asked for the next match at a fixed {@link ZoneOffset}, where local
 * time and instants map one to one. Left to itself in a DST zone it skips local times that fall
 * into a spring-forward gap, and in a fall-back overlap its answer depends on where the search
 * starts (from inside the overlap it returns the second 02:30 of a {@code 30 2 * * *} job). So this
 * class walks the zone's offset periods itself and decides gaps and overlaps explicitly.
 */
final class WallClockTicks implements Ticks {

  private static final Set<String> EVERY_HOUR = Set.of("*", "*/1", "0/1", "0-23");

  private final Cron cron;
  private final ZoneId zone;
  private final ExecutionTime execution;
  private final boolean everyHour;

  WallClockTicks(Cron cron, ZoneId zone) {
    this.cron = cron;
    this.zone = zone;
    this.execution = ExecutionTime.forCron(cron);
    var hour = cron.retrieve(CronFieldName.HOUR).getExpression();
    this.everyHour = hour instanceof Always || EVERY_HOUR.contains(hour.asString());
  }

  @Override
  public Optional<Instant> nextAfter(Instant t) {
    ZoneRules rules = zone.getRules();
    // Ticks are whole seconds; cron-utils' Quartz executor would carry a fraction along.
    Instant floor = t.truncatedTo(ChronoUnit.SECONDS);
    while (true) {
      // The offset period holding the first candidate instant, floor + 1s.
      Instant first = floor.plusSeconds(1);
      ZoneOffset offset = rules.getOffset(first);
      ZoneOffsetTransition entered = rules.previousTransition(first.plusNanos(1));
      ZoneOffsetTransition ends = rules.nextTransition(first);

      // Local times of this period; after a fall-back the repeated hour counts for every-hour only.
      Instant from = floor;
      if (entered != null && entered.isOverlap() && !everyHour) {
        from = latest(from, entered.getInstant().plus(entered.getDuration().abs()).minusSeconds(1));
      }
      Optional<Instant> plain = next(from, offset);
      Optional<Instant> best = plain.filter(i -> ends == null || i.isBefore(ends.getInstant()));

      // Local times skipped by a spring-forward that opened this period: at the offset before it.
      Instant gapEnd = entered == null ? null : entered.getInstant().plus(entered.getDuration());
      if (entered != null && entered.isGap() && first.isBefore(gapEnd)) {
        Optional<Instant> shifted =
            next(latest(floor, entered.getInstant().minusSeconds(1)), entered.getOffsetBefore())
                .filter(i -> i.isBefore(gapEnd));
        if (shifted.isPresent() && (best.isEmpty() || shifted.get().isBefore(best.get()))) {
          best = shifted;
        }
      }

      if (best.isPresent()) return best;
      if (ends == null) return Optional.empty();
      // Nothing matches after floor at any offset on earth: the schedule is over (its years ended).
      if (plain.isEmpty() && next(floor, ZoneOffset.MIN).isEmpty()) return Optional.empty();
      floor = ends.getInstant().minusSeconds(1);
    }
  }

  /** The first instant strictly after {@code after} whose local time at {@code offset} matches. */
  private Optional<Instant> next(Instant after, ZoneOffset offset) {
    return execution.nextExecution(after.atZone(offset)).map(ZonedDateTime::toInstant);
  }

  private static Instant latest(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  @Override
  public String describe() {
    return CronDescriptor.instance(Locale.ENGLISH).describe(cron);
  }
}
