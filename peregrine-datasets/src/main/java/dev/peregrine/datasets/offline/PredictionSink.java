package dev.peregrine.datasets.offline;

import dev.peregrine.datasets.TextRecord;

/**
 * Where offline predictions go, in input order. A sink opened to resume reports what an earlier run
 * already committed; the predictor skips that many input rows and appends the rest.
 *
 * <p>Contract: rows are written in order starting at {@link #resumedRows()}; {@link #checkpoint()}
 * is called between windows (a point where every row written so far may be made durable);
 * {@link #finish()} once at the end. A process killed at any moment leaves an output that a
 * resuming sink reads back as a prefix of the rows, with no gap and no duplicate. Not thread-safe:
 * one thread drives a sink.
 */
public sealed interface PredictionSink extends AutoCloseable permits JsonlSink, ParquetSink {

    /** Rows the output held when it was opened (0 unless resuming). */
    long resumedRows();

    /** The id of the last row held when opened, or null when there is none or rows are numbered. */
    String lastId();

    /** Appends one row. */
    void write(long row, TextRecord record, Prediction prediction);

    /** A safe point between windows: the sink may commit what it holds. */
    void checkpoint();

    /** Commits everything and puts the output in its final place. */
    void finish();

    /** Frees resources; without {@link #finish()} the output stays resumable. */
    @Override
    void close();
}
