package dev.peregrine.cli;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.quantize.Float16Converter;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.quantize.Smoothing;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** INT8 (or float16) conversion, then a fidelity check against the source. */
@Command(name = "quantize", mixinStandardHelpOptions = true,
        description = {
            "Convert a model to INT8 (fast on CPU) or float16 (for GPUs) and check it against the original.",
            "int8-dynamic: transformer fusions first, then int8 weights (symmetric, per output channel) with uint8 "
                    + "activations quantized at run time, as DynamicQuantizeMatMul and QAttention; LayerNorm, Softmax, "
                    + "GELU and embeddings stay float32; LayerNorm outputs are smoothed with calibration ranges.",
            "int8-static: the same, but activations are quantized with fixed ranges measured on the calibration texts "
                    + "(QuantizeLinear + MatMulIntegerToFloat, QAttention), so a text's result does not depend on the "
                    + "texts it is batched with.",
            "fp16: float16 weights and arithmetic with float32 inputs and outputs. For GPUs: on CPU it is SLOWER than "
                    + "float32 (ONNX Runtime has few float16 CPU kernels).",
            "The tokenizer and config are copied; what was done is recorded in the graph's metadata. Exits 6 when "
                    + "the result is below the fidelity bar (the model is still written)."
        })
final class QuantizeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Folder to write the model to.")
    Path out;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "${env:PEREGRINE_QUANTIZE_MODE:-int8-dynamic}",
            converter = ModeConverter.class,
            description = "int8-dynamic, int8-static (batch-invariant) or fp16. Default: ${DEFAULT-VALUE}. "
                    + "Env: PEREGRINE_QUANTIZE_MODE.")
    QuantMode mode;

    @Option(names = "--per-channel", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "One weight scale per output column (--no-per-channel: one per matrix, which loses far "
                    + "more accuracy on transformers). Default: on.")
    boolean perChannel;

    @Option(names = "--exclude", paramLabel = "NODE", split = ",",
            description = "Node names to keep in float32 ('*' matches anything), e.g. '/encoder/layer.0/*'. "
                    + "Names are those of the ONNX graph's nodes (as Netron shows them).")
    List<String> exclude = new ArrayList<>();

    @Option(names = "--smoothing", paramLabel = "off|auto|STRENGTH",
            defaultValue = "${env:PEREGRINE_SMOOTHING:-" + QuantizeOptions.DEFAULT_SMOOTHING + "}",
            description = "Divide LayerNorm outputs' outlier channels out before quantizing them (weights absorb the "
                    + "factor): off, auto (chosen per product by simulation, slower) or a strength in (0, 1). "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_SMOOTHING.")
    String smoothing;

    @Option(names = "--calibration", paramLabel = "FILE",
            description = "Texts for the smoothing ranges and int8-static's activation ranges (one per line, JSONL or "
                    + "CSV). Default: 80 built-in texts.")
    Path calibration;

    @Option(names = "--reduce-range", description = "7-bit weights, for CPUs without VNNI/AMX whose u8s8 "
            + "instructions can saturate (costs accuracy). Default: off.")
    boolean reduceRange;

    @Option(names = "--quantize-attention", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Run fused attention as QAttention. Default: on.")
    boolean quantizeAttention;

    @Option(names = "--fuse", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Apply the transformer fusions first (see optimize-graph). Default: on.")
    boolean fuse;

    @Mixin
    FusionFlags fusions;

    @Option(names = "--validate", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Compare the result with the original on --data afterwards. Default: on.")
    boolean validate;

    @Mixin
    DataOptions data;

    @Mixin
    FidelityOptions fidelity;

    @Override
    public void run() {
        ModelFolder folder = source.folder();
        QuantizeOptions q = new QuantizeOptions(perChannel, reduceRange, quantizeAttention, exclude,
                Smoothing.parse(smoothing));
        List<String> calibrationTexts = calibration == null ? DefaultTexts.calibration()
                : TextDataFile.at(calibration).build().readAll().stream().map(TextRecord::text).toList();
        FusionOptions f = fuse ? fusions.options() : null;
        PrintWriter o = spec.commandLine().getOut();
        ModelConversion.Outcome outcome = ModelConversion.convert(folder, out, "model",
                new ModelConversion.Settings(f, mode, q, calibrationTexts, Float16Converter.DEFAULT_KEEP_FLOAT));
        if (outcome.fusions() != null) {
            outcome.fusions().lines().forEach(l -> o.println("fusion: " + l.trim()));
        }
        outcome.quantization().lines().forEach(o::println);
        o.println("wrote " + outcome.onnxFile());
        o.flush();
        if (!validate) {
            return;
        }
        ModelFolder written = ModelFolder.open(out, "model", folder.name() + "-" + mode.id());
        ValidationReport report;
        try (Engine ref = Engine.open(folder, EngineOptions.defaults());
             Engine cand = Engine.open(written, EngineOptions.defaults())) {
            report = Validator.compare(ref, cand, data.records(), fidelity.options());
        }
        o.println("fidelity on " + data.describe() + ":");
        report.lines().forEach(l -> o.println("  " + l));
        o.flush();
        if (!report.passed()) {
            throw new CheckFailedException("quantized model is below the fidelity bar: "
                    + String.join("; ", report.failures()));
        }
    }

    /** Accepts int8-dynamic, int8, int8-static and fp16. */
    static final class ModeConverter implements picocli.CommandLine.ITypeConverter<QuantMode> {
        @Override
        public QuantMode convert(String value) {
            return QuantMode.parse(value);
        }
    }
}
