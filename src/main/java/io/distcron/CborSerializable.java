package io.distcron;

/**
 * Marker for every message and event that crosses the wire or the journal: bound to jackson-cbor.
 */
public interface CborSerializable {}
