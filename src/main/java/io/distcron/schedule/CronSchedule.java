package io.distcron.schedule;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A job's schedule: when it fires, as instants. Pure and immutable; the caller supplies the time.
 *
 * <h2>Syntax</h2>
 *
 * <ul>
 *   <li>5 fields: Unix cron ({@code min hour dom month dow}), minute resolution; day-of-week 0 or 7
 *       is Sunday. When both day-of-month and day-of-week are restricted a day matches if
 *       <em>either</em> does, as in Vixie cron ({@code 0 0 13 * 5} fires on every 13th and every
 *       Friday); cron-utils' Unix definition already does this.
 *   <li>6 or 7 fields: Quartz with seconds first and an optional year (1970-2099), with {@code ?},
 *       {@code L}, {@code W}, {@code #}, {@code LW}, {@code L-n}; day-of-week 1 = Sunday or names.
 *       Quartz needs {@code ?} in day-of-month or day-of-week; a {@code *} in one of them is read
 *       as that {@code ?}, so {@code 0 0 12 * * *} works. Restricting both is rejected.
 *   <li>Macros {@code @yearly @annually @monthly @weekly @daily @midnight @hourly}: the usual
 *       5-field expressions.
 *   <li>{@code H} in any field but the year, as in Jenkins ({@link HashedFields}): a value hashed
 *       from the job's name, so that jobs with one schedule spread out instead of firing together.
 *   <li>{@code @every 30s | 5m | 2h | 1h30m}: fixed intervals aligned to the epoch. Ticks are the
 *       instants that are whole multiples of the interval since 1970-01-01T00:00Z, so every node
 *       computes the same ticks with no stored anchor; {@code @every 1h} fires on the hour in UTC,
 *       whatever the zone.
 * </ul>
 *
 * <h2>Time zones and DST</h2>
 *
 * Cron fields are wall-clock times in the job's zone (UTC when none is given).
 *
 * <ul>
 *   <li>Spring forward: a local time that does not exist fires once, shifted forward by the length
 *       of the gap, which is the instant the pre-transition offset gives it. {@code 30 2 * * *} in
 *       Europe/Berlin fires at 03:30 CEST (01:30Z) on that day. A shifted tick that coincides with
 *       a regular one counts once, so {@code *}/15 produces no extra ticks.
 *   <li>Fall back: a repeated local time fires at its first occurrence only ({@code 30 2 * * *} in
 *       Europe/Berlin: 02:30 CEST, 00:30Z), unless the hour field is every hour ({@code *}): such
 *       schedules keep their cadence through the repeated hour, so {@code *}/15 fires every 15
 *       minutes of real time and {@code 0 * * * *} every hour.
 * </ul>
 *
 * The ticks form a fixed set of instants, so {@link #nextAfter} does not depend on where a search
 * starts, and ticks are always unique and strictly increasing. {@link #within} bounds them to a
 * job's {@code startAt} and {@code endAt}.
 */
public final class CronSchedule {

  private static final CronParser UNIX =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.UNIX));
  private static final CronParser QUARTZ =
      new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));

  // The cron-utils Unix definition does not accept nicknames, so they are expanded here.
  private static final Map<String, String> MACROS =
      Map.of(
          "@yearly", "0 0 1 1 *",
          "@annually", "0 0 1 1 *",
          "@monthly", "0 0 1 * *",
          "@weekly", "0 0 * * 0",
          "@daily", "0 0 * * *",
          "@midnight", "0 0 * * *",
          "@hourly", "0 * * * *");
  private static final String EVERY = "@every ";

  /**
   * Parsed schedules by zone and expression, shared: jobs with one schedule then share one
   * instance, and its memo answers most of their next-tick questions (thousands of per-second jobs
   * all ask for the tick after the same second).
   */
  private static final Map<String, CronSchedule> PARSED = new ConcurrentHashMap<>();

  private static final int MAX_PARSED = 10_000;

  private final String expression;
  private final ZoneId zone;
  private final Ticks ticks;

  /** Set by {@link #within}: the shared, unbounded schedule and the bounds, inclusive. */
  private final CronSchedule unbounded;

  private final Instant start;
  private final Instant end;

  private record Memo(Instant after, Optional<Instant> next) {}

  /** The last answer of {@link #nextAfter}. */
  private volatile Memo last;

  private CronSchedule(String expression, ZoneId zone, Ticks ticks) {
    this(expression, zone, ticks, null, null, null);
  }

  private CronSchedule(
      String expression,
      ZoneId zone,
      Ticks ticks,
      CronSchedule unbounded,
      Instant start,
      Instant end) {
    this.expression = expression;
    this.zone = zone;
    this.ticks = ticks;
    this.unbounded = unbounded;
    this.start = start;
    this.end = end;
  }

  /** A schedule without {@code H}; see {@link #parse(String, String, String)}. */
  public static CronSchedule parse(String expression, String timezone) {
    return parse(expression, timezone, null);
  }

  /**
   * @param timezone an IANA zone id; null or blank means UTC
   * @param seed what {@code H} hashes: the job's name; null when there is none (an {@code H} is
   *     then refused)
   * @throws InvalidScheduleException naming {@code "schedule"} or {@code "timezone"}
   */
  public static CronSchedule parse(String expression, String timezone, String seed) {
    if (expression != null && (expression.indexOf('H') >= 0 || expression.indexOf('h') >= 0)) {
      expression = resolveHashes(expression, seed);
    }
    // A null part makes a key no valid schedule has, and an invalid schedule is never stored.
    String key = timezone + ' ' + expression;
    CronSchedule known = PARSED.get(key);
    if (known != null) return known;
    CronSchedule parsed = parseUncached(expression, timezone);
    // Bounded without bookkeeping: distinct schedules are few, and a reparse is all a clear costs.
    if (PARSED.size() >= MAX_PARSED) PARSED.clear();
    PARSED.put(key, parsed);
    return parsed;
  }

  private static CronSchedule parseUncached(String expression, String timezone) {
    if (expression == null || expression.isBlank()) {
      throw InvalidScheduleException.schedule(String.valueOf(expression), "must not be blank");
    }
    ZoneId zone = zone(timezone);
    String trimmed = expression.trim();
    String normal = String.join(" ", trimmed.split("\\s+")).toUpperCase(Locale.ROOT);
    if (normal.startsWith("@")) {
      String macro = normal.toLowerCase(Locale.ROOT);
      if (macro.startsWith(EVERY)) {
        Ticks every =
            IntervalTicks.parse(macro.substring(EVERY.length()))
                .orElseThrow(
                    () ->
                        InvalidScheduleException.schedule(
                            trimmed,
                            "@every needs a positive interval such as 30s, 5m, 2h or 1h30m"));
        return new CronSchedule(trimmed, zone, every);
      }
      String expanded = MACROS.get(macro);
      if (expanded == null) {
        throw InvalidScheduleException.schedule(
            trimmed,
            "unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly"
                + " or @every");
      }
      return new CronSchedule(
          trimmed, zone, new WallClockTicks(cron(UNIX, expanded, trimmed), zone));
    }
    String[] fields = normal.split(" ");
    Cron cron;
    if (fields.length == 5) {
      cron = cron(UNIX, normal, trimmed);
    } else if (fields.length == 6 || fields.length == 7) {
      cron = cron(QUARTZ, questionMarkForStar(fields), trimmed);
    } else {
      throw InvalidScheduleException.schedule(
          trimmed,
          "expected 5 fields (Unix) or 6-7 fields (Quartz, seconds first), got " + fields.length);
    }
    return new CronSchedule(trimmed, zone, new WallClockTicks(cron, zone));
  }

  /**
   * The expression with its {@code H} forms replaced for {@code seed}; jobs that resolve alike then
   * share one parsed schedule. Macros and {@code @every} take no {@code H}.
   */
  private static String resolveHashes(String expression, String seed) {
    String trimmed = expression.trim();
    if (trimmed.startsWith("@")) return expression;
    String[] fields = trimmed.split("\\s+");
    String[] upper = new String[fields.length];
    for (int i = 0; i < fields.length; i++) upper[i] = fields[i].toUpperCase(Locale.ROOT);
    if (!HashedFields.present(upper) || fields.length < 5 || fields.length > 7) return expression;
    return String.join(" ", HashedFields.resolve(upper, seed, trimmed));
  }

  private static ZoneId zone(String timezone) {
    if (timezone == null || timezone.isBlank()) return ZoneOffset.UTC;
    try {
      return ZoneId.of(timezone.trim());
    } catch (DateTimeException e) {
      throw InvalidScheduleException.timezone(timezone, e);
    }
  }

  private static Cron cron(CronParser parser, String text, String original) {
    try {
      Cron cron = parser.parse(text);
      cron.validate();
      return cron;
    } catch (IllegalArgumentException e) {
      String reason = Objects.toString(e.getMessage(), e.getClass().getSimpleName());
      throw InvalidScheduleException.schedule(
          original, reason.replace("Failed to parse cron expression. ", ""));
    }
  }

  /** Quartz wants {@code ?} in one day field; a {@code *} there means the same "don't care". */
  private static String questionMarkForStar(String[] fields) {
    String[] f = fields.clone();
    if (!f[3].equals("?") && !f[5].equals("?")) {
      if (f[5].equals("*")) f[5] = "?";
      else if (f[3].equals("*")) f[3] = "?";
    }
    return String.join(" ", f);
  }

  /** The expression as given (trimmed), with its {@code H} forms resolved. */
  public String expression() {
    return expression;
  }

  /**
   * The smallest step its fields tell apart: a minute for a Unix expression or a macro, a second
   * for a Quartz expression or {@code @every}.
   */
  public Duration resolution() {
    String lower = expression.toLowerCase(Locale.ROOT);
    boolean minutes =
        lower.startsWith("@") ? !lower.startsWith(EVERY) : lower.split("\\s+").length == 5;
    return minutes ? Duration.ofMinutes(1) : Duration.ofSeconds(1);
  }

  /**
   * These ticks from {@code startAt} to {@code endAt}, both inclusive; a null bound is open. The
   * bounded schedule asks this one, so jobs still share its memo.
   */
  public CronSchedule within(Instant startAt, Instant endAt) {
    CronSchedule base = unbounded != null ? unbounded : this;
    if (startAt == null && endAt == null) return base;
    return new CronSchedule(expression, zone, ticks, base, startAt, endAt);
  }

  public ZoneId zone() {
    return zone;
  }

  /** The first tick strictly after {@code t}; empty if the schedule never fires again. */
  public Optional<Instant> nextAfter(Instant t) {
    if (unbounded != null) {
      Instant from = start != null && t.isBefore(start) ? start.minusNanos(1) : t;
      return unbounded.nextAfter(from).filter(i -> end == null || !i.isAfter(end));
    }
    Memo m = last;
    if (m != null && m.after().equals(t)) return m.next();
    return compute(t);
  }

  /**
   * Under the instance's lock: cron-utils does not promise that its execution times may be used by
   * several threads at once, and a thread that waited here mostly finds its answer in the memo.
   */
  private synchronized Optional<Instant> compute(Instant t) {
    Memo m = last;
    if (m != null && m.after().equals(t)) return m.next();
    Optional<Instant> next = ticks.nextAfter(t);
    last = new Memo(t, next);
    return next;
  }

  /** Up to {@code count} ticks strictly after {@code after}; fewer if the schedule ends. */
  public List<Instant> next(Instant after, int count) {
    return between(after, Instant.MAX, count);
  }

  /** The ticks in {@code (afterExclusive, untilInclusive]}, earliest first, at most {@code max}. */
  public List<Instant> between(Instant afterExclusive, Instant untilInclusive, int max) {
    if (max < 0) throw new IllegalArgumentException("max must not be negative: " + max);
    List<Instant> out = new ArrayList<>();
    Instant t = afterExclusive;
    while (out.size() < max) {
      Optional<Instant> n = unbounded != null ? nextAfter(t) : compute(t);
      if (n.isEmpty() || n.get().isAfter(untilInclusive)) break;
      t = n.get();
      out.add(t);
    }
    return out;
  }

  /**
   * English, e.g. "every 5 minutes", "at 02:30", "every 30 seconds". Times are in {@link #zone()}.
   */
  public String describe() {
    return ticks.describe();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CronSchedule s
        && s.expression.equals(expression)
        && s.zone.equals(zone)
        && Objects.equals(s.start, start)
        && Objects.equals(s.end, end);
  }

  @Override
  public int hashCode() {
    return Objects.hash(expression, zone, start, end);
  }

  @Override
  public String toString() {
    String bounds = start == null && end == null ? "" : " [" + start + ", " + end + "]";
    return "CronSchedule[" + expression + " " + zone + bounds + "]";
  }
}
