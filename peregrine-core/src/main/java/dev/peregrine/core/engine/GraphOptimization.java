package dev.peregrine.core.engine;

import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.util.Locale;

/** ONNX Runtime's graph optimization levels, as the CLI and configs name them. */
public enum GraphOptimization {
    /** No rewriting: the graph runs as exported (the baseline of benchmarks). */
    NONE(OptLevel.NO_OPT),
    /** Constant folding and redundant node removal. */
    BASIC(OptLevel.BASIC_OPT),
    /** Plus ONNX Runtime's operator fusions (GELU, LayerNorm, attention where its matcher fits). */
    EXTENDED(OptLevel.EXTENDED_OPT),
    /** Plus layout optimizations; the default. */
    ALL(OptLevel.ALL_OPT);

    private final OptLevel ortLevel;

    GraphOptimization(OptLevel ortLevel) {
        this.ortLevel = ortLevel;
    }

    OptLevel ortLevel() {
        return ortLevel;
    }

    public static GraphOptimization parse(String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(
                    "unknown graph optimization '" + name + "': expected none, basic, extended or all");
        }
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
