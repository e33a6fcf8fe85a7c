package dev.peregrine.core.model;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * The one rule that turns a variant name into an ONNX file, applied to '/'-separated paths relative
 * to a model folder. {@link ModelFolder} applies it to the files on disk and the hub puller to the
 * files a repository lists, so {@code pull --variant X} downloads exactly the graph that
 * {@code --model ... --variant X} later loads.
 *
 * <p>Variants live at the folder's root or in {@code onnx/}. With no variant: {@code model.onnx},
 * then {@code onnx/model.onnx}, then the only variant there is. A name {@code X} tries {@code X.onnx}
 * and {@code model_X.onnx}, each at the root then in {@code onnx/} (so {@code quantized} finds
 * {@code onnx/model_quantized.onnx}); a name ending in {@code .onnx} is a path taken as given.
 *
 * <p>Stateless and thread-safe.
 */
public final class OnnxVariants {

    private OnnxVariants() {
    }

    /** Whether {@code relativePath} names an ONNX graph where a model folder keeps variants (root or onnx/). */
    public static boolean isVariantPath(String relativePath) {
        if (!relativePath.endsWith(".onnx")) {
            return false;
        }
        int slash = relativePath.lastIndexOf('/');
        return slash < 0 || relativePath.substring(0, slash).equals("onnx");
    }

    /** The variant name of a path: its file name without {@code .onnx}. */
    public static String variantName(String relativePath) {
        String fileName = relativePath.substring(relativePath.lastIndexOf('/') + 1);
        return fileName.endsWith(".onnx") ? fileName.substring(0, fileName.length() - ".onnx".length()) : fileName;
    }

    /**
     * Chooses the ONNX file for {@code variant}.
     *
     * @param onnxPaths the available '/'-separated relative paths of {@code .onnx} files; paths
     *                  outside the root and {@code onnx/} are found only by an explicit path
     * @param variant   a variant name or relative {@code .onnx} path; null or blank for the default
     * @return the chosen path, or empty when nothing matches (or, with no variant, when there is no
     *         default and several variants to choose from); callers word the error for their context
     */
    public static Optional<String> choose(Collection<String> onnxPaths, String variant) {
        List<String> variants = onnxPaths.stream().filter(OnnxVariants::isVariantPath).sorted().toList();
        if (variant == null || variant.isBlank()) {
            for (String candidate : List.of("model.onnx", "onnx/model.onnx")) {
                if (variants.contains(candidate)) {
                    return Optional.of(candidate);
                }
            }
            return variants.size() == 1 ? Optional.of(variants.get(0)) : Optional.empty();
        }
        for (String candidate : candidates(variant.trim())) {
            if (onnxPaths.contains(candidate)) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    /** The relative paths a non-blank variant may name, in the order they are tried. */
    static List<String> candidates(String variant) {
        if (variant.endsWith(".onnx")) {
            return List.of(variant.startsWith("./") ? variant.substring(2) : variant);
        }
        List<String> out = new ArrayList<>(4);
        for (String stem : List.of(variant, "model_" + variant)) {
            out.add(stem + ".onnx");
            out.add("onnx/" + stem + ".onnx");
        }
        return out;
    }
}
