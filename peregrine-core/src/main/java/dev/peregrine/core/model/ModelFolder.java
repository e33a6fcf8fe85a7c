package dev.peregrine.core.model;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * A model on disk in the Hugging Face layout that Optimum exports and hub repositories use:
 *
 * <pre>
 * folder/
 *   model.onnx  or  onnx/model.onnx      (other variants: onnx/model_quantized.onnx, ...)
 *   tokenizer.json
 *   config.json                          (id2label, max_position_embeddings)
 *   tokenizer_config.json                (model_max_length)      optional
 *   modules.json, 1_Pooling/config.json  (sentence-transformers) optional
 *   validation.jsonl                     (held-out texts, labelled for classifiers) optional
 * </pre>
 *
 * @param name          how the model is called in logs, metrics and APIs (the folder or embedded name)
 * @param root          the folder
 * @param onnxFile      the chosen ONNX graph
 * @param variant       the chosen variant: the graph's file name without {@code .onnx}
 * @param tokenizerFile the folder's {@code tokenizer.json}
 * @param config        facts read from the folder's JSON files
 */
public record ModelFolder(
        String name, Path root, Path onnxFile, String variant, Path tokenizerFile, ModelConfig config) {

    /** The variant used when none is asked for. */
    public static final String DEFAULT_VARIANT = "model";

    public ModelFolder {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(root, "root");
        Objects.requireNonNull(onnxFile, "onnxFile");
        Objects.requireNonNull(variant, "variant");
        Objects.requireNonNull(tokenizerFile, "tokenizerFile");
        Objects.requireNonNull(config, "config");
    }

    /**
     * Refuses {@code out} as the folder to write a model made from this one when it is this model's
     * own folder: the new files would replace the ones they are made from. Call it before the work
     * (a search, a training run), not when writing at the end.
     *
     * @throws PeregrineException {@link ErrorKind#INVALID_INPUT} when {@code out} is this folder
     */
    public void requireOutputElsewhere(Path out) {
        requireOutputElsewhere(root, out);
    }

    /** {@link #requireOutputElsewhere(Path)} for a source folder given by its path (the same folder through a link counts). */
    public static void requireOutputElsewhere(Path source, Path out) {
        boolean same;
        try {
            same = Files.exists(out) && Files.exists(source) ? Files.isSameFile(source, out)
                    : out.toAbsolutePath().normalize().equals(source.toAbsolutePath().normalize());
        } catch (IOException e) {
            same = out.toAbsolutePath().normalize().equals(source.toAbsolutePath().normalize());
        }
        if (same) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT,
                    "--out must be a new folder, not the source model folder " + source);
        }
    }

    /** Opens {@code root} with the default variant, named after the folder. */
    public static ModelFolder open(Path root) {
        return open(root, null, null);
    }

    /**
     * Opens a model folder.
     *
     * @param root    the folder
     * @param variant a variant such as {@code model_quantized}, {@code quantized} or
     *                {@code onnx/model_fp16.onnx}; null for the default ({@code model.onnx}, or the
     *                folder's only ONNX file)
     * @param name    the model's name; null for the folder's name
     * @throws PeregrineException {@link ErrorKind#MODEL_NOT_FOUND} when the folder does not exist,
     *                            {@link ErrorKind#MODEL_INVALID} when a required file is missing or broken
     */
    public static ModelFolder open(Path root, String variant, String name) {
        Objects.requireNonNull(root, "root");
        if (!Files.exists(root)) {
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no such model folder: " + root);
        }
        if (!Files.isDirectory(root)) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    root + " is a file, not a model folder (expected a folder with model.onnx and tokenizer.json)");
        }
        Path onnx = findOnnx(root, variant);
        Path tokenizer = root.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizer)) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID,
                    "no tokenizer.json in " + root + " (export it with the model, e.g. optimum-cli export onnx)");
        }
        String fileName = onnx.getFileName().toString();
        String chosenVariant = fileName.substring(0, fileName.length() - ".onnx".length());
        String modelName = name != null ? name : defaultName(root);
        return new ModelFolder(modelName, root, onnx, chosenVariant, tokenizer, ModelConfig.read(root));
    }

    /**
     * The file holding texts the model was not trained on, one JSON object per line with
     * {@code text} (and {@code label} for classifiers), written by {@code train} and by the default
     * classifier's build. Optimization commands judge a model on it when no data is given: a
     * fine-tuned classifier's fidelity is only meaningful on texts like the ones it serves.
     */
    public static final String HELD_OUT_FILE = "validation.jsonl";

    /** The folder's held-out texts ({@value #HELD_OUT_FILE}), if it has them. */
    public Optional<Path> heldOutData() {
        Path file = root.resolve(HELD_OUT_FILE);
        return Files.isRegularFile(file) ? Optional.of(file) : Optional.empty();
    }

    /** A copy under another name. */
    public ModelFolder withName(String newName) {
        return new ModelFolder(newName, root, onnxFile, variant, tokenizerFile, config);
    }

    /** The ONNX variants this folder holds (file names without {@code .onnx}), root first, sorted. */
    public static List<String> variants(Path root) {
        List<String> names = new ArrayList<>();
        for (Path file : onnxFiles(root)) {
            String n = file.getFileName().toString();
            names.add(n.substring(0, n.length() - ".onnx".length()));
        }
        return names;
    }

    private static Path findOnnx(Path root, String variant) {
        List<Path> all = onnxFiles(root);
        List<String> relative = all.stream().map(p -> relativeName(root, p)).toList();
        Optional<String> chosen = OnnxVariants.choose(relative, variant);
        if (chosen.isPresent()) {
            return root.resolve(chosen.get());
        }
        if (variant == null || variant.isBlank()) {
            if (all.isEmpty()) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID,
                        "no ONNX file in " + root + " (expected model.onnx or onnx/model.onnx)");
            }
            throw new PeregrineException(ErrorKind.MODEL_INVALID, "no model.onnx in " + root
                    + " and several other variants; choose one with --variant: " + String.join(", ", variants(root)));
        }
        String v = variant.trim();
        if (v.endsWith(".onnx") && Files.isRegularFile(root.resolve(v))) {
            return root.resolve(v); // an explicit path may point anywhere under the folder
        }
        String known = all.isEmpty() ? "none" : String.join(", ", variants(root));
        throw new PeregrineException(ErrorKind.MODEL_INVALID,
                "no variant '" + v + "' in " + root + " (variants here: " + known + ")");
    }

    private static String relativeName(Path root, Path file) {
        return root.relativize(file).toString().replace(java.io.File.separatorChar, '/');
    }

    private static List<Path> onnxFiles(Path root) {
        List<Path> files = new ArrayList<>();
        for (Path dir : List.of(root, root.resolve("onnx"))) {
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> list = Files.list(dir)) {
                list.filter(p -> p.getFileName().toString().endsWith(".onnx") && Files.isRegularFile(p))
                        .sorted()
                        .forEach(files::add);
            } catch (IOException e) {
                throw new PeregrineException(ErrorKind.IO, "cannot list " + dir + ": " + e.getMessage(), e);
            }
        }
        return files;
    }

    private static String defaultName(Path root) {
        Path abs = root.toAbsolutePath().normalize();
        Path fileName = abs.getFileName();
        return fileName == null ? "model" : fileName.toString();
    }
}
