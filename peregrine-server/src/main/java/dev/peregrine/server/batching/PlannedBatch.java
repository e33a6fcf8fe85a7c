package dev.peregrine.server.batching;

import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.List;

/**
 * The texts of one forward pass. Built and grown by the queue's owner thread; once handed to a
 * worker's slot it belongs to whoever takes it from the slot (the worker, or the owner reclaiming it
 * to add companions), so it is never touched by two threads at once.
 */
final class PlannedBatch {

    final List<WorkItem> items = new ArrayList<>();
    /** The length companions are chosen around: that of the oldest text, which started the batch. */
    final int anchorLength;
    int longest;
    /** Real tokens of its texts (padding excluded). */
    long tokens;

    PlannedBatch(int anchorLength) {
        this.anchorLength = anchorLength;
    }

    void add(WorkItem item) {
        items.add(item);
        longest = Math.max(longest, item.length);
        tokens += item.length;
    }

    int size() {
        return items.size();
    }

    /** Whether one more text of {@code length} tokens keeps the batch within both limits. */
    boolean fits(int length, int maxBatchSize, int maxBatchTokens) {
        int count = items.size() + 1;
        return count <= maxBatchSize && (long) count * Math.max(longest, length) <= maxBatchTokens;
    }

    long paddedTokens() {
        return (long) items.size() * longest;
    }

    List<EncodedText> texts() {
        List<EncodedText> texts = new ArrayList<>(items.size());
        for (WorkItem item : items) {
            texts.add(item.text());
        }
        return texts;
    }
}
