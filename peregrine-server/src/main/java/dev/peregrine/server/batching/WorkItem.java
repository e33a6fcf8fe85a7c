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
    /** The queue's arrival number (ties between equal deadlines go to the earlier). */
    long sequence;
    /** Whether it is in the queue's lookahead window (else it waits behind it). */
    boolean inWindow;

    WorkItem(Submission owner, int index, long enqueuedNanos) {
        this.owner = owner;
        this.index = index;
        this.length = lengthOf(owner.texts.get(index));
        this.enqueuedNanos = enqueuedNanos;
    }

    /** A text's length for batching and admission: its tokens, at least one. */
    static int lengthOf(EncodedText text) {
        return Math.max(1, text.length());
    }

    EncodedText text() {
        return owner.texts.get(index);
    }
}
