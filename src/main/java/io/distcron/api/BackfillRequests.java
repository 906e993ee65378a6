package io.distcron.api;

import io.distcron.job.Backfill;
import java.time.Instant;

/** A backfill request checked: 400 naming the field. The range's tick count is the job's call. */
final class BackfillRequests {
  private BackfillRequests() {}

  record Parsed(Instant from, Instant to, Backfill.Overlap overlap) {}

  static Parsed parse(Dtos.BackfillRequest r) {
    if (r.from() == null) throw ApiError.badRequest("from", "from is required");
    if (r.to() == null) throw ApiError.badRequest("to", "to is required");
    Instant from = JobSpecs.instant(r.from(), "from");
    Instant to = JobSpecs.instant(r.to(), "to");
    if (!to.isAfter(from)) throw ApiError.badRequest("to", "to must be after from");
    Backfill.Overlap overlap =
        r.overlap() == null
            ? Backfill.Overlap.QUEUE
            : JobSpecs.enumValue(Backfill.Overlap.class, r.overlap(), "overlap");
    return new Parsed(from, to, overlap);
  }
}
