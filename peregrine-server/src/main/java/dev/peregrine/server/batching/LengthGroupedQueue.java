package dev.peregrine.server.batching;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.Iterator;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * The texts waiting for a forward pass, indexed both by age and by token length. Owned by one
 * thread (the batcher's), so it has no locks; it knows no threads and no clock, so its policy is
 * tested by calling it with explicit times.
 *
 * <h2>How a batch is cut</h2>
 * The oldest waiting text always starts the next batch, so no text starves whatever its length.
 * Companions are then taken from the texts closest to it in length (shorter first on a tie, since
 * they add no padding to the others), within the limits {@link dev.peregrine.core.engine.BatchPlanner}
 * uses for offline batches: at most {@code maxBatchSize} texts and at most {@code maxBatchTokens}
 * padded tokens (texts x longest). A text longer than the token budget runs alone. Texts of the same
 * length leave in arrival order.
 *
 * <p>A companion must also be worth its padding, by the planner's cost model (a pass costs a fixed
 * {@code passOverheadTokens} plus texts x longest): a shorter text joins only while the padding of
 * its own row is at most the overhead, a longer one only while the padding it adds to the rows
 * already in the batch is. Otherwise it waits for a pass of texts nearer its length. Without this,
 * a busy server with texts of mixed length pads every text to the longest of everything queued
 * (measured: 3-4x fewer texts per second than the engine's length-sorted batches).
 *
 * <h2>Fairness: a lookahead window</h2>
 * Batches are cut only from the {@code lookahead} most urgent texts (earliest deadline first, then
 * arrival); the rest wait behind them in deadline order and move up as texts leave. Without the
 * window, a busy queue of requests with several texts each formed convoys: each batch took the
 * oldest text and its nearest lengths from the <em>whole</em> queue, so every request's texts were
 * spread over the whole queue's passes and every request finished late together (measured: 10% of
 * 200 requests of 16 texts answered by 14.5 s, median 18.8 s, where arrival order gives about 14 s).
 * With the window, a text can be passed only by texts at most {@code lookahead} places younger, so
 * requests complete in about arrival order, while the window is wide enough (several batches) for
 * length grouping to keep padding low. Everything above holds inside the window.
 *
 * <p>Texts whose submission is already done (its caller went away, timed out, or another of its
 * texts failed), or whose deadline has passed by the time last given to {@link #advance} (the
 * submission then fails with a timeout), are dropped when met, and reported to the {@code dropped}
 * callback so their admission can be released.
 */
final class LengthGroupedQueue {

    /** Earliest deadline first; texts of one submission (same deadline) and no deadline: by arrival. */
    private static final Comparator<WorkItem> URGENCY = Comparator.<WorkItem>comparingLong(i -> i.owner.deadlineNanos)
            .thenComparingLong(i -> i.sequence);

    private final TreeMap<Integer, ArrayDeque<WorkItem>> byLength = new TreeMap<>();
    private final ArrayDeque<WorkItem> byAge = new ArrayDeque<>();
    /** Texts beyond the window, most urgent first. */
    private final PriorityQueue<WorkItem> waiting = new PriorityQueue<>(URGENCY);
    private final Consumer<WorkItem> dropped;
    private final int passOverheadTokens;
    private final int lookahead;
    private long sequence;
    private int inWindow;
    private int size;
    private long tokens;
    /** The present, for deadlines: set by the owner before it cuts; before any, nothing has expired. */
    private long now = Long.MIN_VALUE;

    /** A queue that pads freely within the batch limits (no cost check on companions), with no window. */
    LengthGroupedQueue(Consumer<WorkItem> dropped) {
        this(dropped, Integer.MAX_VALUE);
    }

    /** No window: every waiting text may be a companion. */
    LengthGroupedQueue(Consumer<WorkItem> dropped, int passOverheadTokens) {
        this(dropped, passOverheadTokens, Integer.MAX_VALUE);
    }

    /**
     * @param passOverheadTokens the fixed cost of a pass in padded tokens; companions that would add
     *                           more padding than this are left for another pass
     * @param lookahead          how many of the most urgent texts batches are cut from
     */
    LengthGroupedQueue(Consumer<WorkItem> dropped, int passOverheadTokens, int lookahead) {
        if (lookahead < 1) {
            throw new IllegalArgumentException("lookahead must be >= 1, was " + lookahead);
        }
        this.dropped = dropped;
        this.passOverheadTokens = passOverheadTokens;
        this.lookahead = lookahead;
    }

    /** Moves the queue's present to {@code nowNanos}: texts past their deadline then are dropped when met. */
    void advance(long nowNanos) {
        now = nowNanos;
    }

    private boolean dead(WorkItem item) {
        return now == Long.MIN_VALUE ? item.owner.isDone() : item.owner.doneAt(now);
    }

    void add(WorkItem item) {
        item.sequence = sequence++;
        size++;
        tokens += item.length;
        if (waiting.isEmpty() && inWindow < lookahead) {
            enter(item);
        } else {
            waiting.add(item);
            refill();
        }
    }

    private void enter(WorkItem item) {
        inWindow++;
        item.inWindow = true;
        byAge.addLast(item);
        byLength.computeIfAbsent(item.length, k -> new ArrayDeque<>()).addLast(item);
    }

    /** Moves the most urgent waiting texts into the window while it has room; true when any moved. */
    private boolean refill() {
        boolean moved = false;
        while (inWindow < lookahead && !waiting.isEmpty()) {
            WorkItem next = waiting.poll();
            if (dead(next)) {
                drop(next);
            } else {
                enter(next);
                moved = true;
            }
        }
        return moved;
    }

    /** Texts waiting (an upper bound: dead ones not yet met are counted). */
    int size() {
        return size;
    }

    boolean isEmpty() {
        return oldest() == null;
    }

    /**
     * Whether a batch should be cut now, given a free worker: at once when {@code maxDelayNanos} is
     * zero; otherwise when the oldest text has waited that long, or enough texts wait to fill a batch.
     */
    boolean ready(long nowNanos, long maxDelayNanos, int maxBatchSize, int maxBatchTokens) {
        WorkItem oldest = oldest();
        if (oldest == null) {
            return false;
        }
        return maxDelayNanos == 0
                || nowNanos - oldest.enqueuedNanos >= maxDelayNanos
                || size >= maxBatchSize
                || tokens >= maxBatchTokens;
    }

    /** When the oldest text's wait runs out, or {@code Long.MAX_VALUE} when nothing waits. */
    long deadline(long maxDelayNanos) {
        WorkItem oldest = oldest();
        return oldest == null ? Long.MAX_VALUE : oldest.enqueuedNanos + maxDelayNanos;
    }

    /** Cuts the next batch (see the class comment), or returns null when nothing waits. */
    PlannedBatch cut(int maxBatchSize, int maxBatchTokens) {
        refill();
        WorkItem oldest = oldest();
        if (oldest == null) {
            return null;
        }
        take(oldest);
        ArrayDeque<WorkItem> bucket = byLength.get(oldest.length);
        bucket.remove(oldest);
        if (bucket.isEmpty()) {
            byLength.remove(oldest.length);
        }
        PlannedBatch batch = new PlannedBatch(oldest.length);
        batch.add(oldest);
        grow(batch, maxBatchSize, maxBatchTokens);
        refill();
        return batch;
    }

    /**
     * Adds waiting texts to a batch already cut (one not yet taken by a worker), nearest in length
     * to the batch's anchor first, while the limits allow.
     */
    void extend(PlannedBatch batch, int maxBatchSize, int maxBatchTokens) {
        refill();
        grow(batch, maxBatchSize, maxBatchTokens);
        refill();
    }

    /** Companions for a batch from the window as it stands (it is refilled between batches, not during one). */
    private void grow(PlannedBatch batch, int maxBatchSize, int maxBatchTokens) {
        int anchor = batch.anchorLength;
        Integer lower = byLength.floorKey(anchor);
        Integer higher = byLength.higherKey(anchor);
        while ((lower != null || higher != null) && batch.size() < maxBatchSize) {
            if (lower != null && (long) batch.longest - lower > passOverheadTokens) {
                lower = null;      // its own row would be mostly padding; shorter ones are worse
                continue;
            }
            if (higher != null && (long) batch.size() * (higher - batch.longest) > passOverheadTokens) {
                higher = null;     // it would pad every row already in; longer ones are worse
                continue;
            }
            boolean takeLower = higher == null || (lower != null && anchor - lower <= higher - anchor);
            int key = takeLower ? lower : higher;
            boolean exhausted = drainBucket(key, batch, maxBatchSize, maxBatchTokens);
            if (takeLower) {
                if (!exhausted) {
                    // A shorter text adds no padding; if it does not fit, the batch is full.
                    return;
                }
                lower = byLength.lowerKey(key);
            } else {
                // A longer text that does not fit means no longer one will; shorter ones still may.
                higher = exhausted ? byLength.higherKey(key) : null;
            }
        }
    }

    /** Moves texts of one length into the batch while they fit; true when none of that length is left. */
    private boolean drainBucket(int key, PlannedBatch batch, int maxBatchSize, int maxBatchTokens) {
        ArrayDeque<WorkItem> bucket = byLength.get(key);
        while (!bucket.isEmpty()) {
            WorkItem item = bucket.peekFirst();
            if (item.removed) {
                bucket.pollFirst();
                continue;
            }
            if (dead(item)) {
                bucket.pollFirst();
                drop(item);
                continue;
            }
            if (!batch.fits(item.length, maxBatchSize, maxBatchTokens)) {
                return false;
            }
            bucket.pollFirst();
            take(item);
            batch.add(item);
        }
        byLength.remove(key);
        return true;
    }

    /** Drops every text whose submission is done; returns how many. */
    int purge() {
        int before = size;
        for (Iterator<Map.Entry<Integer, ArrayDeque<WorkItem>>> it = byLength.entrySet().iterator(); it.hasNext(); ) {
            ArrayDeque<WorkItem> bucket = it.next().getValue();
            bucket.removeIf(item -> {
                if (item.removed) {
                    return true;
                }
                if (dead(item)) {
                    drop(item);
                    return true;
                }
                return false;
            });
            if (bucket.isEmpty()) {
                it.remove();
            }
        }
        waiting.removeIf(item -> {
            if (dead(item)) {
                drop(item);
                return true;
            }
            return false;
        });
        refill();
        oldest();
        return before - size;
    }

    /** The oldest live text, dropping dead ones met on the way; null when none. */
    private WorkItem oldest() {
        do {
            while (!byAge.isEmpty()) {
                WorkItem head = byAge.peekFirst();
                if (head.removed) {
                    byAge.pollFirst();
                } else if (dead(head)) {
                    byAge.pollFirst();
                    drop(head);
                } else {
                    return head;
                }
            }
        } while (refill());
        return null;
    }

    private void take(WorkItem item) {
        item.removed = true;
        size--;
        tokens -= item.length;
        if (item.inWindow) {
            inWindow--;
        }
    }

    private void drop(WorkItem item) {
        take(item);
        dropped.accept(item);
    }
}
