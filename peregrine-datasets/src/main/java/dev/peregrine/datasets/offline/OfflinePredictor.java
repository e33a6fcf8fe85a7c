package dev.peregrine.datasets.offline;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.TextRecord;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.LongConsumer;

/**
 * Runs a model over a stream of records of any length in bounded memory, writing every row to a
 * {@link PredictionSink} in input order.
 *
 * <h2>Why windows</h2>
 * The engine is fastest when a batch holds texts of similar length, which needs many texts to choose
 * from; memory stays bounded only if few are held. So the predictor reads a window of texts (a few
 * thousand), hands its distinct texts to {@link Engine#run}, which sorts them by length into batches,
 * writes the window's rows in input order, and reads the next. A repeated text is computed once: within
 * a window exactly, and across windows while it is among the last {@code rememberedTexts} distinct
 * texts computed (a bounded LRU map).
 *
 * <p>Resuming: the sink says how many rows an earlier run committed; that many records are skipped
 * (and, with ids, the id of the last one skipped must be the one the output holds, so an input that
 * changed between runs is refused rather than silently misaligned).
 *
 * <p>Not thread-safe: one thread drives a run (the engine uses its own threads for a pass).
 */
public final class OfflinePredictor {

    /** Texts read ahead and sorted by length unless told otherwise. */
    public static final int DEFAULT_WINDOW = 4096;
    /** Distinct results remembered across windows to skip repeated texts. */
    public static final int DEFAULT_REMEMBERED_TEXTS = 10_000;

    /** What a run did: rows written this run, and how many of them needed a forward pass. */
    public record Stats(long rows, long computed, long skipped) {
    }

    private final Engine engine;
    private final int window;
    private final int rememberedTexts;
    private final boolean normalize;

    /**
     * @param normalize embeddings: scale to unit length (ignored for classifiers)
     */
    public OfflinePredictor(Engine engine, int window, int rememberedTexts, boolean normalize) {
        this.engine = Objects.requireNonNull(engine, "engine");
        if (window < 1) {
            throw new IllegalArgumentException("window must be at least 1, got " + window);
        }
        if (rememberedTexts < 0) {
            throw new IllegalArgumentException("rememberedTexts must be >= 0, got " + rememberedTexts);
        }
        this.window = window;
        this.rememberedTexts = rememberedTexts;
        this.normalize = normalize && engine.info().task() == Task.EMBEDDING;
    }

    /**
     * Skips what the sink already holds, predicts the rest, and finishes the sink.
     *
     * @param progress told how many more rows are done: per forward pass (the texts it computed) and,
     *                 per window, its repeated texts; the calls add up to the rows written
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when the input no longer matches
     *                            what the output holds
     */
    public Stats run(Iterator<TextRecord> records, PredictionSink sink, LongConsumer progress) {
        long row = skipCommitted(records, sink);
        Map<String, Prediction> remembered = new LinkedHashMap<>(256, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Prediction> eldest) {
                return size() > rememberedTexts;
            }
        };
        long written = 0;
        long computed = 0;
        List<TextRecord> chunk = new ArrayList<>(Math.min(window, 1 << 14));
        while (records.hasNext()) {
            chunk.clear();
            while (chunk.size() < window && records.hasNext()) {
                chunk.add(records.next());
            }
            Map<String, Prediction> results = new HashMap<>();
            List<String> missing = new ArrayList<>();
            for (TextRecord r : chunk) {
                if (!results.containsKey(r.text())) {
                    Prediction known = remembered.get(r.text());
                    results.put(r.text(), known);
                    if (known == null) {
                        missing.add(r.text());
                    }
                }
            }
            if (!missing.isEmpty()) {
                List<EncodedText> encoded = engine.encode(missing);
                float[][] rows = engine.run(encoded, progress::accept);
                for (int i = 0; i < missing.size(); i++) {
                    float[] v = normalize ? Vectors.normalizeInPlace(rows[i]) : rows[i];
                    Prediction p = new Prediction(v, encoded.get(i).length(), encoded.get(i).truncated());
                    results.put(missing.get(i), p);
                    if (rememberedTexts > 0) {
                        remembered.put(missing.get(i), p);
                    }
                }
                computed += missing.size();
            }
            for (TextRecord r : chunk) {
                sink.write(row++, r, results.get(r.text()));
            }
            sink.checkpoint();
            written += chunk.size();
            progress.accept(chunk.size() - missing.size());
        }
        sink.finish();
        return new Stats(written, computed, sink.resumedRows());
    }

    private static long skipCommitted(Iterator<TextRecord> records, PredictionSink sink) {
        long done = sink.resumedRows();
        TextRecord last = null;
        for (long i = 0; i < done; i++) {
            if (!records.hasNext()) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "the output already holds " + done
                        + " rows but the input has only " + i + "; was the input or --query changed?");
            }
            last = records.next();
        }
        if (last != null && sink.lastId() != null && !sink.lastId().equals(last.id())) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "cannot resume: the output's row " + (done - 1)
                    + " has id '" + sink.lastId() + "' but the input's has '" + last.id()
                    + "'; was the input or --query changed?");
        }
        return done;
    }
}
