package io.distcron.schedule;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jenkins' {@code H} ("hash") in cron fields: a value chosen from the job's name, the same on every
 * node and at every start, different for different jobs, so that a thousand {@code H * * * *} jobs
 * spread over the hour instead of all firing at minute 0.
 *
 * <ul>
 *   <li>{@code H}: one value of the field's range; {@code H(a-b)}: one value of {@code a-b}.
 *   <li>{@code H/n}, {@code H(a-b)/n}: every {@code n}th value, starting at a hashed offset below
 *       {@code n}: {@code H/15} in the minutes may give {@code 7,22,37,52}.
 * </ul>
 *
 * Day-of-month hashes over 1-28, as in Jenkins, so that the day exists in every month. The year
 * field takes no {@code H}.
 *
 * <h2>Where a job lands</h2>
 *
 * A name is read as a family and a member: a trailing number is the member ({@code backup-07}:
 * family {@code backup-}, member 7), a name without one is a family of its own. The family's hash
 * (SHA-256, one per field, so that minute and hour are not the same number) places member 0; each
 * next member takes the next slot, counting through the first {@code H} field and carrying into the
 * next like the digits of a number. So n numbered jobs fill the slots in turn, as evenly as n
 * allows, where hashing each name alone would spread them only as chance does.
 */
final class HashedFields {

  private static final Pattern TOKEN =
      Pattern.compile("H(?:\\((\\d{1,4})-(\\d{1,4})\\))?(?:/(\\d{1,4}))?");

  /** A name's family and member; the member's digits are capped so the number stays a long. */
  private static final Pattern MEMBER = Pattern.compile("(.*?)(\\d{1,18})");

  private record Range(int min, int max, String name) {}

  private static final List<Range> UNIX =
      List.of(
          new Range(0, 59, "minute"),
          new Range(0, 23, "hour"),
          new Range(1, 28, "day-of-month"),
          new Range(1, 12, "month"),
          new Range(0, 6, "day-of-week"));

  private static final List<Range> QUARTZ =
      List.of(
          new Range(0, 59, "second"),
          new Range(0, 59, "minute"),
          new Range(0, 23, "hour"),
          new Range(1, 28, "day-of-month"),
          new Range(1, 12, "month"),
          new Range(1, 7, "day-of-week"));

  private HashedFields() {}

  /** Whether any element of any field is an {@code H} form. */
  static boolean present(String[] fields) {
    for (String field : fields) {
      for (String element : field.split(",", -1)) {
        if (element.startsWith("H")) return true;
      }
    }
    return false;
  }

  /**
   * The fields with every {@code H} form replaced by plain cron for {@code seed}.
   *
   * @param fields upper-case fields, 5 (Unix) or 6-7 (Quartz, seconds first)
   * @throws InvalidScheduleException naming {@code "schedule"} for a malformed {@code H}, or when
   *     there is no seed to hash
   */
  static String[] resolve(String[] fields, String seed, String original) {
    if (seed == null || seed.isBlank()) {
      throw InvalidScheduleException.schedule(
          original, "H needs the job's name to hash; give one (a preview takes \"name\")");
    }
    Matcher member = MEMBER.matcher(seed);
    String family = member.matches() ? member.group(1) : seed;
    long count = member.matches() ? Long.parseLong(member.group(2)) : 0;
    List<Range> ranges = fields.length == 5 ? UNIX : QUARTZ;
    String[] out = fields.clone();
    for (int i = 0; i < fields.length; i++) {
      if (!fields[i].contains("H")) continue;
      if (i >= ranges.size()) {
        throw InvalidScheduleException.schedule(original, "H is not allowed in the year field");
      }
      List<String> elements = new ArrayList<>();
      for (String element : fields[i].split(",", -1)) {
        if (!element.startsWith("H")) {
          elements.add(element);
          continue;
        }
        Slots slots = slots(element, ranges.get(i), original);
        long slot = Math.floorMod(StableHash.of(family + "#" + i) + count, slots.width());
        elements.add(slots.render((int) slot));
        count /= slots.width();
      }
      out[i] = String.join(",", elements);
    }
    return out;
  }

  /** What one {@code H} form can resolve to: {@code width} slots from {@code min}. */
  private record Slots(int min, int max, Integer step) {
    int width() {
      return step == null ? max - min + 1 : step;
    }

    String render(int slot) {
      return step == null ? Integer.toString(min + slot) : (min + slot) + "-" + max + "/" + step;
    }
  }

  private static Slots slots(String element, Range field, String original) {
    Matcher m = TOKEN.matcher(element);
    if (!m.matches()) {
      throw InvalidScheduleException.schedule(
          original,
          "'" + element + "' in the " + field.name() + " field: use H, H(a-b), H/n or H(a-b)/n");
    }
    int min = field.min();
    int max = field.max();
    if (m.group(1) != null) {
      min = Integer.parseInt(m.group(1));
      max = Integer.parseInt(m.group(2));
      if (min > max || min < field.min() || max > field.max()) {
        throw InvalidScheduleException.schedule(
            original,
            "H(%s-%s) in the %s field must lie within %d-%d"
                .formatted(m.group(1), m.group(2), field.name(), field.min(), field.max()));
      }
    }
    if (m.group(3) == null) return new Slots(min, max, null);
    int step = Integer.parseInt(m.group(3));
    if (step < 1 || step > max - min + 1) {
      throw InvalidScheduleException.schedule(
          original,
          "the step of '%s' must be from 1 to %d in the %s field"
              .formatted(element, max - min + 1, field.name()));
    }
    return new Slots(min, max, step);
  }
}
