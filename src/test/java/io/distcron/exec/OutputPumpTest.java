package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class OutputPumpTest {

  /** Hands out one byte per read, so every multibyte character is cut by a read boundary. */
  private static InputStream oneByteAtATime(byte[] bytes) {
    return new ByteArrayInputStream(bytes) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        return super.read(b, off, Math.min(len, 1));
      }
    };
  }

  @Test
  void chunksNeverSplitACharacter() throws Exception {
    String text = "héllo wörld ✓ 😀\n";
    OutputTail tail = new OutputTail(1024);
    List<String> chunks = new CopyOnWriteArrayList<>();
    OutputPump pump =
        new OutputPump(oneByteAtATime(text.getBytes(StandardCharsets.UTF_8)), tail, chunks::add);

    pump.startThread("test-pump");

    assertThat(pump.awaitEof(Duration.ofSeconds(5))).isTrue();
    assertThat(chunks).noneMatch(c -> c.contains("\uFFFD"));
    assertThat(String.join("", chunks)).isEqualTo(text);
    assertThat(tail.text()).isEqualTo(text);
  }

  @Test
  void anIncompleteCharacterAtEofBecomesAReplacementCharacter() throws Exception {
    List<String> chunks = new CopyOnWriteArrayList<>();
    OutputPump pump =
        new OutputPump(
            oneByteAtATime(new byte[] {'a', (byte) 0xE2, (byte) 0x82}),
            new OutputTail(8),
            chunks::add);

    pump.startThread("test-pump");

    assertThat(pump.awaitEof(Duration.ofSeconds(5))).isTrue();
    assertThat(String.join("", chunks)).isEqualTo("a\uFFFD");
  }

  @Test
  void aFailingListenerDoesNotStopTheDraining() throws Exception {
    OutputTail tail = new OutputTail(1024);
    OutputPump pump =
        new OutputPump(
            oneByteAtATime("abc".getBytes(StandardCharsets.UTF_8)),
            tail,
            s -> {
              throw new IllegalStateException("boom");
            });

    pump.startThread("test-pump");

    assertThat(pump.awaitEof(Duration.ofSeconds(5))).isTrue();
    assertThat(tail.text()).isEqualTo("abc");
  }
}
