package io.distcron.job;

import io.distcron.CborSerializable;
import io.distcron.alert.NotifyRule;
import io.distcron.placement.JobTarget;
import io.distcron.run.Action;
import io.distcron.schedule.CatchUpPolicy;
import io.distcron.schedule.CronSchedule;
import io.distcron.schedule.OverlapPolicy;
import io.distcron.schedule.RetryPolicy;
import io.distcron.schedule.StableHash;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A validated job definition: what the entity persists. Built from the API's request by {@code
 * JobSpecs}. Policies left null (as in events written before they existed) take their defaults.
 * {@code managedBy}: the owner that applies it in bulk ({@code POST /api/v1/apply}), null for a job
 * defined one at a time. {@code jitter}: each tick's run starts up to that long after the tick
 * (null: none); {@code startAt}, {@code endAt}: no ticks before or after (null: open). {@code
 * target}: the executors its runs may go to, null for any. {@code notifyRules}: its alert rules
 * (the API's {@code notify}) (none when null). {@code excludeCalendars}: the names of the calendars
 * whose excluded times its ticks skip ({@link io.distcron.schedule.Calendar}), empty for none.
 */
public record JobSpec(
    String name,
    String description,
    Map<String, String> labels,
    String schedule,
    String timezone,
    Action action,
    int timeoutSeconds,
    boolean enabled,
    OverlapPolicy overlap,
    CatchUpPolicy catchUp,
    RetryPolicy retry,
    Duration jitter,
    Instant startAt,
    Instant endAt,
    String managedBy,
    JobTarget target,
    List<NotifyRule> notifyRules,
    List<String> excludeCalendars)
    implements CborSerializable {

  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9._-]{0,99}");
  public static final int DEFAULT_TIMEOUT_SECONDS = 3600;

  public JobSpec {
    labels = labels == null ? Map.of() : Map.copyOf(labels);
    description = description == null ? "" : description;
    overlap = overlap == null ? OverlapPolicy.SKIP : overlap;
    catchUp = catchUp == null ? CatchUpPolicy.DEFAULT : catchUp;
    retry = retry == null ? RetryPolicy.NONE : retry;
    notifyRules = notifyRules == null ? List.of() : List.copyOf(notifyRules);
    excludeCalendars = excludeCalendars == null ? List.of() : List.copyOf(excludeCalendars);
  }

  public JobSpec withManagedBy(String owner) {
    return new JobSpec(
        name,
        description,
        labels,
        schedule,
        timezone,
        action,
        timeoutSeconds,
        enabled,
        overlap,
        catchUp,
        retry,
        jitter,
        startAt,
        endAt,
        owner,
        target,
        notifyRules,
        excludeCalendars);
  }

  /** When the job fires: its schedule, {@code H} hashed from its name, within its bounds. */
  public CronSchedule ticks() {
    return CronSchedule.parse(schedule, timezone, name).within(startAt, endAt);
  }

  /** How long after {@code tick} its run starts: the tick's share of the job's jitter. */
  public Duration delayOf(Instant tick) {
    return StableHash.jitter(name, tick, jitter);
  }

  /** Whether the job's schedule is over: it had an end, and no tick is left after {@code now}. */
  public boolean endedBy(Instant now) {
    return endAt != null && ticks().nextAfter(now).isEmpty();
  }
}
