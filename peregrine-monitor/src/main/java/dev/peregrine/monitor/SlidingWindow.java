package dev.peregrine.monitor;

/**
 * The last {@code size} predictions, kept as ten block sums rather than the predictions themselves:
 * memory is constant (no stored vectors) and adding a prediction costs one accumulator update. The
 * window slides a block at a time, so it covers between 90% and 100% of {@code size} predictions
 * once full. Not thread-safe: owned by the monitor's thread.
 */
final class SlidingWindow {

    static final int BLOCKS = 10;

    private final int size;
    private final int blockSize;
    private final Accumulator[] blocks;
    private int current;

    SlidingWindow(int size, DriftReference ref) {
        if (size < BLOCKS) {
            throw new IllegalArgumentException("a window holds at least " + BLOCKS + " predictions, was " + size);
        }
        this.size = size;
        this.blockSize = size / BLOCKS;
        this.blocks = new Accumulator[BLOCKS];
        for (int i = 0; i < BLOCKS; i++) {
            blocks[i] = Accumulator.forReference(ref);
        }
    }

    int size() {
        return size;
    }

    int blockSize() {
        return blockSize;
    }

    /** Adds a prediction; returns true when it completed a block (the window just slid). */
    boolean add(Observation o, DriftReference ref) {
        Accumulator block = blocks[current];
        block.add(o, ref);
        if (block.count >= blockSize) {
            current = (current + 1) % BLOCKS;
            blocks[current].clear();
            return true;
        }
        return false;
    }

    /** The sums over the whole window. */
    Accumulator total(DriftReference ref) {
        Accumulator total = Accumulator.forReference(ref);
        for (Accumulator block : blocks) {
            total.addAll(block);
        }
        return total;
    }
}
