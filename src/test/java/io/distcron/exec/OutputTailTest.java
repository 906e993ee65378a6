package io.distcron.exec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class OutputTailTest {

  private static void append(OutputTail tail, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    tail.append(b, 0, b.length);
  }

  @Test
  void keepsEverythingBelowCapacity() {
    OutputTail tail = new OutputTail(16);
    append(tail, "hello ");
    append(tail, "world");

    assertThat(tail.text()).isEqualTo("hello world");
    assertThat(tail.totalBytes()).isEqualTo(11);
    assertThat(tail.truncated()).isFalse();
  }

  @Test
  void exactlyFullIsNotTruncated() {
    OutputTail tail = new OutputTail(4);
    append(tail, "abcd");

    assertThat(tail.text()).isEqualTo("abcd");
    assertThat(tail.truncated()).isFalse();
  }

  @Test
  void keepsTheLastBytesAcrossManySmallAppends() {
    OutputTail tail = new OutputTail(10);
    for (int i = 0; i < 100; i++) {
      append(tail, Integer.toString(i % 10));
    }

    assertThat(tail.text()).isEqualTo("[... 90 bytes truncated ...]\n0123456789");
    assertThat(tail.totalBytes()).isEqualTo(100);
    assertThat(tail.truncated()).isTrue();
  }

  @Test
  void oneAppendLargerThanCapacityKeepsItsEnd() {
    OutputTail tail = new OutputTail(5);
    append(tail, "xy");
    append(tail, "abcdefghij");

    assertThat(tail.text()).isEqualTo("[... 7 bytes truncated ...]\nfghij");
    assertThat(tail.totalBytes()).isEqualTo(12);
  }

  @Test
  void appendHonoursOffsetAndLength() {
    OutputTail tail = new OutputTail(8);
    byte[] b = "..abc..".getBytes(StandardCharsets.UTF_8);
    tail.append(b, 2, 3);

    assertThat(tail.text()).isEqualTo("abc");
    assertThatThrownBy(() -> tail.append(b, 5, 3)).isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void aCharacterCutByTheDropIsDroppedWithIt() {
    // "€" is 3 bytes (E2 82 AC); capacity 5 keeps "AC" + "abc", a cut through the euro sign.
    OutputTail tail = new OutputTail(5);
    append(tail, "€abc");

    assertThat(tail.text()).isEqualTo("[... 3 bytes truncated ...]\nabc");
  }

  @Test
  void malformedBytesBecomeReplacementCharacters() {
    OutputTail tail = new OutputTail(16);
    tail.append(new byte[] {'a', (byte) 0xFF, 'b', (byte) 0xE2, (byte) 0x82}, 0, 5);

    assertThat(tail.text()).isEqualTo("a\uFFFDb\uFFFD");
  }

  @Test
  void rejectsNonPositiveCapacity() {
    assertThatThrownBy(() -> new OutputTail(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void readsWhileAnotherThreadAppends() throws Exception {
    OutputTail tail = new OutputTail(64);
    CountDownLatch started = new CountDownLatch(1);
    Thread writer =
        new Thread(
            () -> {
              started.countDown();
              for (int i = 0; i < 100_000; i++) {
                append(tail, "0123456789\n");
              }
            });
    writer.start();
    started.await();
    while (writer.isAlive()) {
      String text = tail.text();
      // Every snapshot is consistent: whole lines after the marker, except possibly a cut first
      // one.
      assertThat(text.lines().skip(2).filter(l -> !l.isEmpty())).allMatch("0123456789"::equals);
    }
    writer.join();

    assertThat(tail.totalBytes()).isEqualTo(1_100_000);
    assertThat(tail.text())
        .endsWith("0123456789\n")
        .startsWith("[... 1099936 bytes truncated ...]\n");
  }
}
