package dev.peregrine.server.batching;

import dev.peregrine.core.tokenize.EncodedText;

/** One text of one submission, queued on its own so that batches can mix texts of many callers. */
final class WorkItem {

    final Submission owner;
    final int index;
    final int length;
    final long enqueuedNanos;
    /** Set by the queue's owner thread when the item leaves the queue (taken into a batch or skipped). */
    boolean removed;

    WorkItem(Submission owner, int index, long enqueuedNanos) {
        this.owner = owner;
        this.index = index;
        this.length = Math.max(1, owner.texts.get(index).length());
        this.enqueuedNanos = enqueuedNanos;
    }

    EncodedText text() {
        return owner.texts.get(index);
    }
}
