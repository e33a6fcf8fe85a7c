package dev.peregrine.spark;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.Vectors;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.api.java.function.MapPartitionsFunction;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Runs one partition through the executor's engine lazily: it reads a window of rows, hands their
 * texts to {@link Engine#run} (which sorts them by length into batches), and gives back the window's
 * rows in their order with the result columns appended, then reads the next window. Memory is one
 * window, whatever the partition's size. A null text gives null results.
 */
final class PartitionPredictor implements MapPartitionsFunction<Row, Row> {

    private static final long serialVersionUID = 1L;

    private final EngineSpec spec;
    private final int textIndex;
    private final Task task;
    private final int window;

    PartitionPredictor(EngineSpec spec, int textIndex, Task task) {
        this.spec = spec;
        this.textIndex = textIndex;
        this.task = task;
        this.window = spec.batchSize() * PeregrineTransformer.WINDOW_BATCHES;
    }

    @Override
    public Iterator<Row> call(Iterator<Row> rows) {
        Engine engine = ExecutorEngines.get(spec);
        if (engine.info().task() != task) {
            throw new IllegalArgumentException("model '" + spec.model() + "' is "
                    + (engine.info().task() == Task.EMBEDDING ? "an embedding model; use PeregrineEmbedder"
                    : "a classifier; use PeregrineClassifier"));
        }
        return new Iterator<>() {
            private final ArrayDeque<Row> ready = new ArrayDeque<>();

            @Override
            public boolean hasNext() {
                if (ready.isEmpty() && rows.hasNext()) {
                    fill(engine, rows, ready);
                }
                return !ready.isEmpty();
            }

            @Override
            public Row next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return ready.poll();
            }
        };
    }

    private void fill(Engine engine, Iterator<Row> rows, ArrayDeque<Row> ready) {
        List<Row> chunk = new ArrayList<>(window);
        List<String> texts = new ArrayList<>(window);
        while (chunk.size() < window && rows.hasNext()) {
            Row r = rows.next();
            chunk.add(r);
            if (!r.isNullAt(textIndex)) {
                texts.add(r.getString(textIndex));
            }
        }
        float[][] results = engine.run(engine.encode(texts));
        boolean normalize = engine.info().normalize();
        int k = 0;
        for (Row r : chunk) {
            Object[] values = new Object[r.length() + (task == Task.EMBEDDING ? 1 : 2)];
            for (int i = 0; i < r.length(); i++) {
                values[i] = r.get(i);
            }
            if (!r.isNullAt(textIndex)) {
                float[] row = results[k++];
                if (task == Task.EMBEDDING) {
                    values[r.length()] = normalize ? Vectors.normalizeInPlace(row) : row;
                } else {
                    Classification c = engine.toClassification(row);
                    values[r.length()] = c.label();
                    values[r.length() + 1] = (float) c.score();
                }
            }
            ready.add(RowFactory.create(values));
        }
    }
}
