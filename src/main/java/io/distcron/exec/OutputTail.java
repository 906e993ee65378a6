package io.distcron.exec;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * The last {@code capacity} bytes of a byte stream, in a ring buffer, so a chatty job costs bounded
 * memory.
 *
 * <p>Thread-safe: one thread appends (the output reader) while others read {@link #text()}.
 */
public final class OutputTail {

  private final byte[] ring;
  private long total; // bytes ever appended; the next write index is total % capacity

  public OutputTail(int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("capacity must be positive, got " + capacity);
    }
    this.ring = new byte[capacity];
  }

  public int capacity() {
    return ring.length;
  }

  public synchronized void append(byte[] b, int off, int len) {
    Objects.checkFromIndexSize(off, len, b.length);
    // Bytes that would be overwritten within this same call are never copied.
    int skip = Math.max(0, len - ring.length);
    off += skip;
    len -= skip;
    total += skip;
    int pos = (int) (total % ring.length);
    int first = Math.min(len, ring.length - pos);
    System.arraycopy(b, off, ring, pos, first);
    System.arraycopy(b, off + first, ring, 0, len - first);
    total += len;
  }

  /** Bytes appended since creation, including the ones no longer kept. */
  public synchronized long totalBytes() {
    return total;
  }

  public synchronized boolean truncated() {
    return total > ring.length;
  }

  /**
   * The kept bytes decoded as UTF-8. Malformed bytes become U+FFFD. When bytes were dropped the
   * text starts with a marker line {@code [... N bytes truncated ...]}; a character cut in half by
   * the drop is dropped with them rather than shown as U+FFFD.
   */
  public String text() {
    byte[] kept;
    long dropped;
    synchronized (this) {
      kept = keptBytes();
      dropped = total - kept.length;
    }
    int from = 0;
    if (dropped > 0) {
      // A UTF-8 character has at most 3 continuation bytes (10xxxxxx) after its lead byte.
      while (from < kept.length && from < 3 && (kept[from] & 0xC0) == 0x80) {
        from++;
      }
      dropped += from;
    }
    String body = new String(kept, from, kept.length - from, StandardCharsets.UTF_8);
    return dropped > 0 ? "[... " + dropped + " bytes truncated ...]\n" + body : body;
  }

  private byte[] keptBytes() {
    int size = (int) Math.min(total, ring.length);
    byte[] out = new byte[size];
    int start = (int) ((total - size) % ring.length);
    int first = Math.min(size, ring.length - start);
    System.arraycopy(ring, start, out, 0, first);
    System.arraycopy(ring, 0, out, first, size - first);
    return out;
  }
}
