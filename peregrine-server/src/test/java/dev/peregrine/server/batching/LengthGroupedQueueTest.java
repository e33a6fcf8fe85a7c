package dev.peregrine.server.batching;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The batch-cutting policy on its own: explicit times, no threads. */
class LengthGroupedQueueTest {

    private final List<WorkItem> dropped = new ArrayList<>();
    private final LengthGroupedQueue queue = new LengthGroupedQueue(dropped::add);

    static EncodedText text(int length) {
        return new EncodedText(new long[length], new long[length], false, 0);
    }

    /** Queues one single-text submission of the given length at time {@code t}. */
    private Submission add(int length, long t) {
        return add(queue, length, t);
    }

    private static Submission add(LengthGroupedQueue q, int length, long t) {
        Submission s = new Submission(List.of(text(length)), t);
        q.add(new WorkItem(s, 0, t));
        return s;
    }

    private static List<Integer> lengths(PlannedBatch batch) {
        return batch.items.stream().map(i -> i.length).toList();
    }

    @Test
    void cut_startsWithTheOldestText_andTakesTheNearestLengths() {
        add(10, 0);
        add(50, 1);
        add(11, 2);
        add(9, 3);
        add(200, 4);
        add(12, 5);

        PlannedBatch first = queue.cut(4, 10_000);
        assertThat(lengths(first)).containsExactly(10, 9, 11, 12);
        PlannedBatch second = queue.cut(4, 10_000);
        assertThat(lengths(second)).containsExactly(50, 200);
        assertThat(queue.cut(4, 10_000)).isNull();
    }

    @Test
    void cut_keepsPaddedTokensWithinBudget_andATooLongTextRunsAlone() {
        add(300, 0);
        add(5, 1);
        add(5, 2);
        add(40, 3);

        assertThat(lengths(queue.cut(32, 100))).containsExactly(300);
        // 3 x 40 = 120 > 100: the 40-token text cannot join the two short ones.
        assertThat(lengths(queue.cut(32, 100))).containsExactly(5, 5);
        assertThat(lengths(queue.cut(32, 100))).containsExactly(40);
    }

    @Test
    void withAPassOverhead_companionsMustBeWorthTheirPadding() {
        // A pass costs 32 padded tokens of overhead: mixed lengths split into passes of similar length.
        LengthGroupedQueue q = new LengthGroupedQueue(dropped::add, 32);
        add(q, 40, 0);
        add(q, 5, 1);    // its row would be 35 of padding beside 40: cheaper in a pass of its own
        add(q, 30, 2);   // 11 of padding beside 41: worth it
        add(q, 41, 3);   // pads the one row there by 1: worth it
        add(q, 80, 4);   // would pad two rows by 39: not worth it
        add(q, 8, 5);    // 33 of padding beside 41: not worth it

        assertThat(lengths(q.cut(32, 100_000))).containsExactly(40, 41, 30);
        assertThat(lengths(q.cut(32, 100_000))).as("the oldest left, with the near length").containsExactly(5, 8);
        assertThat(lengths(q.cut(32, 100_000))).containsExactly(80);
        assertThat(q.isEmpty()).isTrue();

        // The same texts without a pass overhead make one batch padded to 80.
        LengthGroupedQueue free = new LengthGroupedQueue(dropped::add);
        for (int length : new int[] {40, 5, 30, 41, 80, 8}) {
            add(free, length, 0);
        }
        assertThat(free.cut(32, 100_000).size()).isEqualTo(6);
    }

    @Test
    void aFullWindowOfMixedShortTexts_isCutIntoThePlannersPasses_notOneBatchPaddedToTheLongest() {
        // A saturated server's queue: the load generator's twelve texts (7-21 tokens), three times over.
        // Every one is within 32 tokens of every other, so judged against a pass of its own each would
        // join one batch padded to 21; the planner splits them into passes of near lengths.
        int[] cycle = {12, 16, 14, 8, 21, 14, 16, 8, 18, 8, 20, 7};
        LengthGroupedQueue q = new LengthGroupedQueue(dropped::add, 32, 128);
        int[] lengths = new int[3 * cycle.length];
        for (int i = 0; i < lengths.length; i++) {
            lengths[i] = cycle[i % cycle.length];
            add(q, lengths[i], i);
        }
        long cost = 0;
        int passes = 0;
        PlannedBatch batch;
        while ((batch = q.cut(32, 8192)) != null) {
            passes++;
            cost += 32 + batch.paddedTokens();
        }
        long planned = 0;
        for (int[] pass : dev.peregrine.core.engine.BatchPlanner.plan(lengths, 32, 8192, true, 32)) {
            int longest = 0;
            for (int i : pass) {
                longest = Math.max(longest, lengths[i]);
            }
            planned += 32 + (long) pass.length * longest;
        }
        assertThat(passes).isGreaterThan(1);
        assertThat(cost).as("the offline planner's cost for the same texts").isEqualTo(planned);
        assertThat(cost).as("one batch of 32 padded to 21, then the rest").isLessThan(32 + 32 * 21 + 32 + 4 * 21);
    }

    @Test
    void textsOfTheSameLength_leaveInArrivalOrder() {
        Submission a = add(7, 0);
        Submission b = add(7, 1);
        Submission c = add(7, 2);

        PlannedBatch batch = queue.cut(2, 1000);
        assertThat(batch.items).extracting(i -> i.owner).containsExactly(a, b);
        assertThat(queue.cut(2, 1000).items).extracting(i -> i.owner).containsExactly(c);
    }

    @Test
    void ready_waitsForTheDelay_unlessEnoughTextsWaitToFillABatch() {
        long delay = 5_000_000;
        add(8, 0);
        assertThat(queue.ready(1_000_000, delay, 4, 1000)).isFalse();
        assertThat(queue.deadline(delay)).isEqualTo(delay);
        assertThat(queue.ready(delay, delay, 4, 1000)).isTrue();
        assertThat(queue.ready(0, 0, 4, 1000)).as("no delay: ready at once").isTrue();

        add(8, 1);
        add(8, 2);
        assertThat(queue.ready(3, delay, 4, 1000)).isFalse();
        add(8, 3);
        assertThat(queue.ready(4, delay, 4, 1000)).as("four texts fill a batch of four").isTrue();
    }

    @Test
    void textsOfDoneSubmissions_areDroppedWhenMet_andReported() {
        Submission gone = add(10, 0);
        Submission kept = add(10, 1);
        Submission goneToo = add(30, 2);
        gone.future.cancel(false);
        goneToo.future.cancel(false);

        PlannedBatch batch = queue.cut(8, 1000);
        assertThat(batch.items).extracting(i -> i.owner).containsExactly(kept);
        assertThat(dropped).extracting(i -> i.owner).containsExactlyInAnyOrder(gone, goneToo);
        assertThat(queue.size()).isZero();
        assertThat(queue.isEmpty()).isTrue();
    }

    @Test
    void extend_growsABatchAlreadyCut_withinTheLimits() {
        add(20, 0);
        PlannedBatch batch = queue.cut(3, 1000);
        assertThat(batch.size()).isEqualTo(1);

        add(21, 1);
        add(500, 2);
        add(19, 3);
        add(20, 4);
        queue.extend(batch, 3, 1000);

        assertThat(lengths(batch)).containsExactly(20, 20, 19);
        assertThat(queue.size()).isEqualTo(2);
        // 2 x 500 = 1000 > 999: the long text cannot join.
        assertThat(lengths(queue.cut(3, 999))).containsExactly(21);
        assertThat(lengths(queue.cut(3, 999))).containsExactly(500);
    }

    @Test
    void purge_dropsEveryDoneText() {
        Submission a = add(3, 0);
        add(4, 1);
        Submission c = add(5, 2);
        a.future.cancel(false);
        c.future.cancel(false);

        assertThat(queue.purge()).isEqualTo(2);
        assertThat(queue.size()).isEqualTo(1);
        assertThat(dropped).hasSize(2);
    }

    @Test
    void withALookaheadWindow_batchesAreCutOnlyFromTheMostUrgentTexts_andWaitingOnesEnterByDeadline() {
        LengthGroupedQueue q = new LengthGroupedQueue(dropped::add, Integer.MAX_VALUE, 2);
        Submission first = new Submission(List.of(text(10)), 0, 100);
        Submission second = new Submission(List.of(text(50)), 1, 200);
        Submission late = new Submission(List.of(text(10)), 2, 400);
        Submission urgent = new Submission(List.of(text(10)), 3, 300);
        for (Submission s : List.of(first, second, late, urgent)) {
            q.add(new WorkItem(s, 0, s.submittedNanos));
        }
        assertThat(q.size()).isEqualTo(4);

        // The 10-token texts beyond the window do not join the first batch, though nearer in length.
        assertThat(q.cut(4, 10_000).items).extracting(i -> i.owner).containsExactly(first, second);
        // Of the two that waited, the earlier deadline entered first, though it arrived later.
        assertThat(q.cut(1, 10_000).items).extracting(i -> i.owner).containsExactly(urgent);
        assertThat(q.cut(1, 10_000).items).extracting(i -> i.owner).containsExactly(late);
        assertThat(q.isEmpty()).isTrue();
    }

    @Test
    void textsPastTheirDeadline_areDroppedWhenMet_andTheirSubmissionTimesOut() {
        Submission expired = new Submission(List.of(text(10)), 0, 50);
        Submission alive = new Submission(List.of(text(10)), 1, 500);
        queue.add(new WorkItem(expired, 0, 0));
        queue.add(new WorkItem(alive, 0, 1));
        queue.advance(100);

        assertThat(queue.cut(4, 1000).items).extracting(i -> i.owner).containsExactly(alive);
        assertThat(dropped).extracting(i -> i.owner).containsExactly(expired);
        assertThat(expired.future).isCompletedExceptionally();
    }
}
