package io.distcron.exec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Drains a process's output on its own daemon thread into an {@link OutputTail}, and hands each
 * chunk to a listener as text. A chunk never ends inside a UTF-8 character: the incomplete bytes
 * wait for the next read.
 */
final class OutputPump implements Runnable {

  private static final int CHUNK = 8192;

  private final InputStream in;
  private final OutputTail tail;
  private final CountDownLatch eof = new CountDownLatch(1);
  private final CharsetDecoder decoder =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPLACE)
          .onUnmappableCharacter(CodingErrorAction.REPLACE);
  private volatile Consumer<String> listener;

  OutputPump(InputStream in, OutputTail tail, Consumer<String> listener) {
    this.in = in;
    this.tail = tail;
    this.listener = listener;
  }

  void startThread(String name) {
    Thread t = new Thread(this, name);
    // A background child can hold the pipe open long after the run; it must not keep the JVM alive.
    t.setDaemon(true);
    t.start();
  }

  @Override
  public void run() {
    // Holds the bytes read but not yet decoded: at most 3, the start of a character cut by the
    // read.
    ByteBuffer bytes = ByteBuffer.allocate(CHUNK);
    CharBuffer chars = CharBuffer.allocate(CHUNK);
    try (in) {
      int n;
      while ((n = in.read(bytes.array(), bytes.position(), bytes.remaining())) != -1) {
        tail.append(bytes.array(), bytes.position(), n);
        bytes.position(bytes.position() + n);
        bytes.flip();
        emit(bytes, chars, false);
        bytes.compact();
      }
      bytes.flip();
      emit(bytes, chars, true);
    } catch (IOException e) {
      // The stream was closed under us: nothing more to read, same as EOF.
    } finally {
      eof.countDown();
    }
  }

  private void emit(ByteBuffer bytes, CharBuffer chars, boolean endOfInput) {
    Consumer<String> l = listener;
    if (l == null) {
      bytes.position(bytes.limit()); // nobody listens: drop instead of decoding
      return;
    }
    chars.clear();
    // UTF-8 never yields more chars than bytes, so chars (CHUNK) cannot overflow.
    decoder.decode(bytes, chars, endOfInput);
    if (endOfInput) {
      decoder.flush(chars);
    }
    chars.flip();
    if (!chars.hasRemaining()) {
      return;
    }
    try {
      l.accept(chars.toString());
    } catch (RuntimeException e) {
      // A failing listener must not stop the draining, or the process would block on a full pipe.
      listener = null;
    }
  }

  /** True when the stream reached EOF within the wait. */
  boolean awaitEof(Duration wait) throws InterruptedException {
    return eof.await(wait.toNanos(), TimeUnit.NANOSECONDS);
  }

  /** Stops calling the listener: output arriving after the run has finished belongs to no run. */
  void detach() {
    listener = null;
  }
}
