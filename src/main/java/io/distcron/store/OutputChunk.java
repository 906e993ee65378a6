package io.distcron.store;

/**
 * A piece of a run's output as the executor streamed it; {@code seq} orders the pieces of one run.
 */
public record OutputChunk(int seq, String text) {}
