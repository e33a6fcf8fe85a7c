package dev.peregrine.core.engine;

import dev.peregrine.core.Task;
import dev.peregrine.core.model.EmbeddingConfig;
import dev.peregrine.core.model.Pooling;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a loaded model is and how it will be run.
 *
 * @param name           the model's name
 * @param task           classification or embedding, detected from the graph and config
 * @param folder         the model folder
 * @param onnxFile       the ONNX graph loaded
 * @param variant        the variant (graph file name without {@code .onnx})
 * @param fileSizeBytes  size of the ONNX file (plus external data files, if any)
 * @param inputs         graph inputs
 * @param outputs        graph outputs
 * @param outputName     the output Peregrine reads
 * @param labels         class names for classifiers, empty for embedders
 * @param maxLength      tokens per text after truncation, special tokens included
 * @param dimension      embedding size, or number of classes
 * @param pooling        pooling applied to token embeddings; null when the graph's output is already
 *                       one vector per text (logits, sentence embeddings)
 * @param normalize      whether embeddings are L2-normalized by default
 * @param multiLabel     classifier probabilities are per-class sigmoids rather than a softmax
 * @param onnxRuntime    ONNX Runtime version
 * @param graphMetadata  the graph's custom metadata (for example what a quantizer recorded)
 * @param warnings       what the user should know before serving it (see {@link LoadWarnings}); usually empty
 * @param embedding      an embedder's declared prompts and Matryoshka dimensions ({@link EmbeddingConfig#NONE}
 *                       for classifiers)
 */
public record ModelInfo(
        String name,
        Task task,
        Path folder,
        Path onnxFile,
        String variant,
        long fileSizeBytes,
        List<TensorSpec> inputs,
        List<TensorSpec> outputs,
        String outputName,
        List<String> labels,
        int maxLength,
        int dimension,
        Pooling pooling,
        boolean normalize,
        boolean multiLabel,
        String onnxRuntime,
        Map<String, String> graphMetadata,
        List<String> warnings,
        EmbeddingConfig embedding) {

    public ModelInfo {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(task, "task");
        inputs = List.copyOf(inputs);
        outputs = List.copyOf(outputs);
        labels = List.copyOf(labels);
        graphMetadata = Map.copyOf(graphMetadata);
        warnings = List.copyOf(warnings);
        Objects.requireNonNull(embedding, "embedding");
    }
}
