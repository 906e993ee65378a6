package io.distcron.store;

import java.time.Instant;

/**
 * A job's runs whose tick is at or after {@code since}. {@code failed}: ended in FAILED, TIMED_OUT,
 * KILLED or LOST; {@code unfinished}: PENDING or RUNNING; {@code skipped}: ticks decided not to run
 * (a range of them skipped at once counts once). Lateness (milliseconds, null without a started
 * tick): how long after its tick plus its jitter a tick's first run started.
 */
public record RunStats(
    Instant since,
    long runs,
    long succeeded,
    long failed,
    long unfinished,
    long skipped,
    Long latenessP50Ms,
    Long latenessP99Ms,
    Long latenessMaxMs,
    Long meanDurationMs) {}
