package dev.peregrine.distill;

import java.time.Duration;
import java.util.Objects;

/**
 * How a student is made and trained. The defaults distill all-MiniLM-L6-v2 into 3 layers on the
 * shipped corpus within 20 minutes on 2 cores: three epochs of the layers chosen by importance, the
 * time budget (18 minutes from the start, then the student so far is written, checked and measured)
 * being the guarantee.
 *
 * @param layers         layers the student keeps
 * @param selection      which ones
 * @param epochs         passes over the training texts
 * @param batchSize      texts per training step
 * @param maxLength      tokens per text (texts are truncated)
 * @param learningRate   Adam's peak learning rate (warm-up over the first 5% of steps, cosine decay)
 * @param temperature    softening of both models' logits for a classifier's KL loss
 * @param hiddenWeight   weight of the hidden-state MSE next to the output loss
 * @param relationWeight embedders: weight of the in-batch similarity loss (how the texts of a batch
 *                       relate to each other, which is what nearest-neighbour search reads)
 * @param timeBudget     training stops once this is spent (the student so far is written); null for none
 * @param seed           order of the texts and the held-out split; same seed, same student
 * @param maxTexts       use at most this many texts (0 = all)
 * @param heldOut        texts kept out of training to measure fidelity
 * @param threads        PyTorch threads (0 = one per core)
 */
public record DistillOptions(int layers, LayerSelection selection, int epochs, int batchSize, int maxLength,
                             double learningRate, double temperature, double hiddenWeight, double relationWeight,
                             Duration timeBudget,
                             long seed, int maxTexts, int heldOut, int threads) {

    public static final int DEFAULT_LAYERS = 3;
    /** {@code epochs} value that lets the texts' number decide ({@link #epochsFor}). */
    public static final int AUTO_EPOCHS = 0;
    public static final int AUTO_MIN_EPOCHS = 3;
    public static final int AUTO_MIN_STEPS = 400;
    public static final int DEFAULT_EPOCHS = AUTO_EPOCHS;
    public static final int DEFAULT_BATCH_SIZE = 32;
    public static final int DEFAULT_MAX_LENGTH = 128;
    public static final double DEFAULT_LEARNING_RATE = 3e-4;
    public static final double DEFAULT_TEMPERATURE = 2;
    public static final double DEFAULT_HIDDEN_WEIGHT = 1;
    public static final double DEFAULT_RELATION_WEIGHT = 0;
    public static final Duration DEFAULT_TIME_BUDGET = Duration.ofMinutes(18);
    public static final long DEFAULT_SEED = 42;
    public static final int DEFAULT_HELD_OUT = 500;

    public DistillOptions {
        Objects.requireNonNull(selection, "selection");
        if (layers < 1) {
            throw new IllegalArgumentException("--layers must be at least 1, was " + layers);
        }
        if (epochs < 0) {
            throw new IllegalArgumentException("--epochs must be auto (0) or at least 1, was " + epochs);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("--batch-size must be at least 1, was " + batchSize);
        }
        if (maxLength < 2) {
            throw new IllegalArgumentException("--max-length must be at least 2, was " + maxLength);
        }
        if (!(learningRate > 0) || !(temperature > 0) || !(hiddenWeight >= 0) || !(relationWeight >= 0)) {
            throw new IllegalArgumentException("learning rate and temperature must be > 0, hidden and relation weights >= 0");
        }
        if (timeBudget != null && (timeBudget.isNegative() || timeBudget.isZero())) {
            throw new IllegalArgumentException("--time-budget must be positive, was " + timeBudget);
        }
        if (maxTexts < 0 || heldOut < 1 || threads < 0) {
            throw new IllegalArgumentException("max texts and threads must be >= 0, held-out texts >= 1");
        }
    }

    /**
     * Epochs for {@code texts} training texts: the asked number, or with {@link #AUTO_EPOCHS}
     * {@value #AUTO_MIN_EPOCHS}, or as many as {@value #AUTO_MIN_STEPS} steps need (measured: 3 layers
     * of the ticket classifier on its 667 training tickets lost 1.5 points of accuracy after 420 steps).
     */
    public int epochsFor(int texts) {
        if (epochs != AUTO_EPOCHS) {
            return epochs;
        }
        int perEpoch = Math.max(1, (texts + batchSize - 1) / batchSize);
        return Math.max(AUTO_MIN_EPOCHS, (AUTO_MIN_STEPS + perEpoch - 1) / perEpoch);
    }

    public static DistillOptions defaults() {
        return new DistillOptions(DEFAULT_LAYERS, LayerSelection.IMPORTANCE, DEFAULT_EPOCHS, DEFAULT_BATCH_SIZE,
                DEFAULT_MAX_LENGTH, DEFAULT_LEARNING_RATE, DEFAULT_TEMPERATURE, DEFAULT_HIDDEN_WEIGHT, DEFAULT_RELATION_WEIGHT,
                DEFAULT_TIME_BUDGET, DEFAULT_SEED, 0, DEFAULT_HELD_OUT, 0);
    }

    public DistillOptions withLayers(int n, LayerSelection how) {
        return new DistillOptions(n, how, epochs, batchSize, maxLength, learningRate, temperature, hiddenWeight,
                relationWeight, timeBudget, seed, maxTexts, heldOut, threads);
    }

    public DistillOptions withTraining(int epochCount, int batch, int length, double rate) {
        return new DistillOptions(layers, selection, epochCount, batch, length, rate, temperature, hiddenWeight,
                relationWeight, timeBudget, seed, maxTexts, heldOut, threads);
    }

    public DistillOptions withLoss(double t, double hidden, double relation) {
        return new DistillOptions(layers, selection, epochs, batchSize, maxLength, learningRate, t, hidden, relation,
                timeBudget, seed, maxTexts, heldOut, threads);
    }

    public DistillOptions withLimits(Duration budget, long seedValue, int textLimit, int held, int threadCount) {
        return new DistillOptions(layers, selection, epochs, batchSize, maxLength, learningRate, temperature,
                hiddenWeight, relationWeight, budget, seedValue, textLimit, held, threadCount);
    }
}
