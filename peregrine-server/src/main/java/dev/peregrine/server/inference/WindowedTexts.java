package dev.peregrine.server.inference;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.engine.WindowPooling;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TokenStats;
import dev.peregrine.core.tokenize.WindowedText;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * One request's texts under {@code long_text: chunk}: their windows, flattened in text order for
 * the batcher, and the windows' answers pooled back into one answer per text
 * ({@link WindowPooling}). Immutable.
 */
final class WindowedTexts {

    private final List<WindowedText> texts;

    WindowedTexts(List<WindowedText> texts) {
        this.texts = List.copyOf(texts);
    }

    /** Whether any text is longer than the model's limit (else each is its own only window). */
    boolean anySplit() {
        for (WindowedText t : texts) {
            if (t.count() > 1) {
                return true;
            }
        }
        return false;
    }

    /** Every window of every text, in text order. */
    List<EncodedText> windows() {
        List<EncodedText> out = new ArrayList<>();
        for (WindowedText t : texts) {
            out.addAll(t.windows());
        }
        return out;
    }

    /** Windows per text, in request order. */
    List<Integer> counts() {
        return texts.stream().map(WindowedText::count).toList();
    }

    /**
     * One answer per text from the answers of its windows.
     *
     * @param windowResults one per window, in the order of {@link #windows()}, as the batch ran them:
     *                      embeddings not normalized, a classifier's raw logits
     * @param normalize     scale each embedding (each window's, then the mean) to unit length
     * @param scores        what a classifier's mean logits become: the model's probabilities, or
     *                      themselves for raw scores
     */
    List<TextResult> pool(List<TextResult> windowResults, Task task, boolean normalize, UnaryOperator<float[]> scores) {
        List<TextResult> out = new ArrayList<>(texts.size());
        int next = 0;
        for (WindowedText t : texts) {
            List<float[]> rows = new ArrayList<>(t.count());
            for (int w = 0; w < t.count(); w++) {
                rows.add(windowResults.get(next++).values());
            }
            float[] pooled = task == Task.EMBEDDING
                    ? WindowPooling.embedding(rows, t.windows(), normalize)
                    : scores.apply(WindowPooling.meanLogits(rows));
            out.add(new TextResult(pooled, TokenStats.of(t)));
        }
        if (next != windowResults.size()) {
            throw new IllegalArgumentException(windowResults.size() + " window answers for " + next + " windows");
        }
        return out;
    }
}
