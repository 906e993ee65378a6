package io.distcron.run;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.UUID;

/** Run ids that are derived rather than drawn, so events need not carry them. */
public final class RunIds {
  private RunIds() {}

  public static String random() {
    return UUID.randomUUID().toString();
  }

  /** The run record of a skipped tick: the same id wherever and whenever it is derived. */
  public static String skipped(String job, Instant tick) {
    return UUID.nameUUIDFromBytes((job + "|" + tick).getBytes(StandardCharsets.UTF_8)).toString();
  }
}
