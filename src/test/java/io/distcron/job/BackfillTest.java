package io.distcron.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.distcron.schedule.CronSchedule;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The range math of a backfill, without actors: which ticks, how many, in what order. */
class BackfillTest {
  private static final Instant T0 = Instant.parse("2026-11-01T00:00:00Z");
  private static final CronSchedule HOURLY = CronSchedule.parse("@hourly", "UTC");

  private static Instant h(int n) {
    return T0.plus(Duration.ofHours(n));
  }

  private static List<Instant> hours(int from, int toInclusive) {
    return IntStream.rangeClosed(from, toInclusive).mapToObj(BackfillTest::h).toList();
  }

  private static Backfill.Span span(Integer after, int until) {
    return new Backfill.Span(after == null ? null : h(after), h(until));
  }

  private static Backfill.Accepted accepted(Backfill.Plan plan) {
    assertThat(plan).isInstanceOf(Backfill.Accepted.class);
    return (Backfill.Accepted) plan;
  }

  @Test
  void aRangeIsFromInclusiveToExclusive() {
    var plan = accepted(Backfill.plan(HOURLY, List.of(span(null, 100)), h(2), h(5)));
    assertThat(plan.ticks()).isEqualTo(3);
    assertThat(plan.leftOut()).isZero();
    Backfill b = Backfill.start(h(2), h(5), Backfill.Overlap.QUEUE, 3, List.of(span(null, 100)));
    assertThat(b.remaining(HOURLY, 100)).containsExactlyElementsOf(hours(2, 4));
  }

  @Test
  void onlyTheTicksInUnownedSpansAreTakenTheRestAreLeftOut() {
    // Owned by the live schedule: (3, 6]; unowned before and after the pause.
    List<Backfill.Span> unowned = List.of(span(null, 3), span(6, 9));
    var plan = accepted(Backfill.plan(HOURLY, unowned, h(0), h(12)));
    // 0..11: 0..3 and 7..9 taken; 4..6 (live) and 10, 11 (after the mark) left out.
    assertThat(plan.ticks()).isEqualTo(7);
    assertThat(plan.leftOut()).isEqualTo(5);
    Backfill b = Backfill.start(h(0), h(12), Backfill.Overlap.QUEUE, 7, unowned);
    assertThat(b.remaining(HOURLY, 100)).containsExactly(h(0), h(1), h(2), h(3), h(7), h(8), h(9));
  }

  @Test
  void theCursorMovesThroughTheSpansAndOnlyForward() {
    Backfill b =
        Backfill.start(h(0), h(12), Backfill.Overlap.QUEUE, 7, List.of(span(null, 3), span(6, 9)));
    assertThat(b.next(HOURLY)).contains(h(0));
    b = b.decided(h(3), 4);
    assertThat(b.next(HOURLY)).contains(h(7));
    assertThat(b.decided(h(1), 1).cursor()).isEqualTo(h(3));
    b = b.decided(h(9), 3);
    assertThat(b.next(HOURLY)).isEmpty();
    assertThat(b.decided()).isEqualTo(7);
  }

  @Test
  void aRangeTakenIsNoLongerUnownedSoOverlappingBackfillsShareNoTick() {
    List<Backfill.Span> unowned = List.of(span(null, 10));
    List<Backfill.Span> after = Backfill.subtract(unowned, h(2), h(5));
    assertThat(after)
        .containsExactly(
            new Backfill.Span(null, h(2).minusNanos(1)),
            new Backfill.Span(h(5).minusNanos(1), h(10)));
    var second = accepted(Backfill.plan(HOURLY, after, h(0), h(8)));
    assertThat(second.ticks()).isEqualTo(5); // 0, 1, 5, 6, 7
    assertThat(second.leftOut()).isEqualTo(3);
    assertThat(Backfill.subtract(after, h(0), h(8)))
        .containsExactly(
            new Backfill.Span(null, h(0).minusNanos(1)),
            new Backfill.Span(h(8).minusNanos(1), h(10)));
  }

  @Test
  void moreThanTenThousandTicksAreRefusedNamingTheFirstBeyond() {
    Instant from = h(-Backfill.MAX_TICKS - 1);
    var plan = Backfill.plan(HOURLY, List.of(span(null, 0)), from, h(0));
    assertThat(plan).isInstanceOf(Backfill.TooMany.class);
    assertThat(((Backfill.TooMany) plan).message()).startsWith("to:").contains(h(-1).toString());
    assertThat(accepted(Backfill.plan(HOURLY, List.of(span(null, 0)), h(-10_000), h(0))).ticks())
        .isEqualTo(Backfill.MAX_TICKS);
  }

  @Test
  void spansTouchingAreJoinedAndOnlyTheNewestAreKept() {
    List<Backfill.Span> spans = Backfill.append(List.of(span(null, 1)), h(1), h(3));
    assertThat(spans).containsExactly(span(null, 3));
    List<Backfill.Span> many = List.of();
    for (int i = 0; i < Backfill.MAX_SPANS + 5; i++) {
      many = Backfill.append(many, h(2 * i), h(2 * i + 1));
    }
    assertThat(many).hasSize(Backfill.MAX_SPANS);
    assertThat(many.get(0)).isEqualTo(span(10, 11));
  }
}
