package io.distcron.schedule;

import java.time.Instant;
import java.util.Optional;

/** The instants a schedule fires at; the two shapes behind {@link CronSchedule}. */
sealed interface Ticks permits WallClockTicks, IntervalTicks {

  /** The first tick strictly after {@code t}; empty if there is none. */
  Optional<Instant> nextAfter(Instant t);

  String describe();
}
