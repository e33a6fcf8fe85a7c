package dev.peregrine.datasets.offline;

import dev.peregrine.core.Task;
import java.util.List;
import java.util.Objects;

/**
 * What an output row holds, decided once from the model and the command line.
 *
 * @param task     embedding (an {@code embedding} column) or classification ({@code label}, {@code score})
 * @param labels   the classifier's labels in output order (empty for embedders)
 * @param idColumn the caller's id column copied to the output, or null to number rows (0-based) instead
 * @param scores   classification: also write every class's probability ({@code scores}, in label order)
 * @param topK     JSONL classification: ranked scores to write per row; null for all
 */
public record OutputLayout(Task task, List<String> labels, String idColumn, boolean scores, Integer topK) {
    public OutputLayout {
        Objects.requireNonNull(task, "task");
        labels = List.copyOf(labels);
        if (task == Task.CLASSIFICATION && labels.isEmpty()) {
            throw new IllegalArgumentException("a classification layout needs the labels");
        }
        if (topK != null && topK < 1) {
            throw new IllegalArgumentException("topK must be at least 1, got " + topK);
        }
        if (idColumn != null && idColumn.isBlank()) {
            throw new IllegalArgumentException("idColumn must not be blank");
        }
    }

    /** The Parquet column that identifies a row: the caller's id column, or {@code row}. */
    public String keyColumn() {
        return idColumn != null ? idColumn : "row";
    }
}
