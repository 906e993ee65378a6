package io.distcron.telemetry;

import io.opentelemetry.api.trace.SpanId;
import io.opentelemetry.api.trace.TraceId;
import io.opentelemetry.sdk.trace.IdGenerator;
import java.nio.charset.StandardCharsets;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * A run's trace id and its tick span's id, derived from the run id, so that any node — the job's
 * after a failover, an executor handed the run — can name the run's trace and its root span without
 * being told.
 *
 * <p>The ids are a mix of the run id's bits, not the UUID itself: a random UUID has fixed version
 * and variant bits, and the ratio sampler reads the trace id's low 64 bits as a uniform number.
 *
 * <p>As the SDK's {@link IdGenerator} it hands out the derived ids to the one span started inside
 * {@link #seeded} on the same thread (the tick span, a root: the SDK draws its trace id from here),
 * and random ids to every other span.
 */
final class RunTraceIds implements IdGenerator {
  private final IdGenerator random = IdGenerator.random();
  private final ThreadLocal<String[]> seed = new ThreadLocal<>();

  static String traceId(String runId) {
    UUID u = uuid(runId);
    return TraceId.fromLongs(mix(u.getMostSignificantBits()), mix(u.getLeastSignificantBits()));
  }

  static String tickSpanId(String runId) {
    UUID u = uuid(runId);
    long id = mix(u.getMostSignificantBits() ^ Long.rotateLeft(u.getLeastSignificantBits(), 29));
    // An all-zero span id is invalid.
    return SpanId.fromLong(id == 0 ? 1 : id);
  }

  /** Runs {@code start} with the run's derived ids as the next ones handed out on this thread. */
  <T> T seeded(String runId, Supplier<T> start) {
    seed.set(new String[] {traceId(runId), tickSpanId(runId)});
    try {
      return start.get();
    } finally {
      seed.remove();
    }
  }

  @Override
  public String generateSpanId() {
    String[] s = seed.get();
    return s != null ? s[1] : random.generateSpanId();
  }

  @Override
  public String generateTraceId() {
    String[] s = seed.get();
    return s != null ? s[0] : random.generateTraceId();
  }

  @Override
  public boolean generatesRandomTraceIds() {
    return true;
  }

  /** Run ids are UUIDs; any other string (tests, old ids) is hashed into one. */
  private static UUID uuid(String runId) {
    try {
      return UUID.fromString(runId);
    } catch (IllegalArgumentException e) {
      return UUID.nameUUIDFromBytes(runId.getBytes(StandardCharsets.UTF_8));
    }
  }

  /** splitmix64's finaliser: every input bit moves every output bit. */
  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }
}
