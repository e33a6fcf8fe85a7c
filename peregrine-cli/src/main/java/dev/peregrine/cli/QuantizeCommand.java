package dev.peregrine.cli;

import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.DefaultTexts;
import dev.peregrine.optimize.ModelConversion;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.gate.QuantizeSearch;
import dev.peregrine.optimize.gate.Remedy;
import dev.peregrine.optimize.quantize.Float16Converter;
import dev.peregrine.optimize.quantize.Int8Choice;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.quantize.Smoothing;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
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
            "Weights are 7-bit on x86 CPUs without VNNI/AMX (their u8 x s8 products saturate), 8-bit elsewhere; "
                    + "--target-cpu names the CPU the model is for (default: this one).",
            "The result is checked against the original (mean and 1st-percentile cosine for embedders; label "
                    + "agreement and accuracy for classifiers). When it fails, the remedies are tried in order "
                    + "(--remedies) until one passes; each attempt's fidelity and speed are printed.",
            "The tokenizer and config are copied; what was done, for which CPU and how it validated is recorded in "
                    + "the graph's metadata. Exits 6 when nothing passes the bar: the most faithful attempt is "
                    + "still written, with a FAILED.txt beside it, and loading it warns."
        })
final class QuantizeCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Folder to write the model to.")
    Path out;

    @Option(names = "--mode", paramLabel = "MODE", defaultValue = "${env:PEREGRINE_QUANTIZE_MODE:-auto}",
            description = "auto (int8-static where it is as fast and as faithful as int8-dynamic on this CPU, "
                    + "measured; else int8-dynamic), int8-dynamic, int8-static (batch-invariant) or fp16. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_QUANTIZE_MODE.")
    String mode;

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

    @Option(names = "--reduce-range", negatable = true,
            description = "Force 7-bit weights on (--reduce-range) or off (--no-reduce-range). Default: what "
                    + "--target-cpu needs (on for x86 without VNNI/AMX, whose u8 x s8 products saturate).")
    Boolean reduceRange;

    @Mixin
    TargetCpuOption targetCpu;

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

    @Option(names = "--remedies", paramLabel = "LIST", defaultValue = "${env:PEREGRINE_REMEDIES:-all}",
            description = "What to try, in this order, when the INT8 model fails the fidelity bar: reduce-range "
                    + "(7-bit weights), smoothing (auto, 0.8, off), per-channel, keep-float (measure each product's "
                    + "effect, keep the worst in float). all, none or a comma-separated list. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_REMEDIES.")
    String remedies;

    @Option(names = "--timing", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "Measure each attempt's speed briefly (one pass over up to "
                    + QuantizeSearch.TIMING_TEXTS + " of the texts) and print what each remedy cost. Default: on.")
    boolean timing;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    @Override
    public void run() {
        ModelFolder folder = source.folder();
        List<QuantMode> modes = mode.trim().equalsIgnoreCase("auto")
                ? List.of(QuantMode.INT8_DYNAMIC, QuantMode.INT8_STATIC) : List.of(QuantMode.parse(mode));
        QuantizeOptions q = new QuantizeOptions(perChannel, false, quantizeAttention, exclude,
                Smoothing.parse(smoothing)).forTarget(targetCpu.target());
        if (reduceRange != null) {
            q = q.withReduceRange(reduceRange);
        }
        Set<Remedy> allowed = Remedy.parseList(remedies);
        List<String> calibrationTexts = calibration == null ? DefaultTexts.calibration()
                : TextDataFile.at(calibration).build().readAll().stream().map(TextRecord::text).toList();
        FusionOptions f = fuse ? fusions.options() : null;
        PrintWriter o = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        o.println("cpu: " + CpuFeatures.detect().summary());
        if (modes.get(0).isInt8()) {
            Int8Choice choice = Int8Choice.forTarget(q.target());
            o.println("target: " + choice.reason() + (reduceRange != null && reduceRange != choice.reducedRange()
                    ? " (overridden: " + (reduceRange ? "7-bit" : "8-bit") + " weights)" : ""));
        }
        if (!validate) {
            ModelConversion.Outcome outcome = ModelConversion.convert(folder, out, "model",
                    new ModelConversion.Settings(f, modes.get(0), q, calibrationTexts, Float16Converter.DEFAULT_KEEP_FLOAT));
            printConversion(o, outcome);
            o.println("wrote " + outcome.onnxFile() + " (not validated)");
            o.flush();
            return;
        }
        QuantizeSearch.Result result = QuantizeSearch.run(folder, out, new QuantizeSearch.Options(modes, q, f,
                calibrationTexts, Float16Converter.DEFAULT_KEEP_FLOAT, fidelity.options(), data.records(folder), allowed,
                timing), line -> {
                    if (!noProgress) {
                        err.println("quantize: " + line);
                        err.flush();
                    }
                });
        QuantizeSearch.Attempt chosen = result.chosen();
        printConversion(o, chosen.outcome());
        o.println("fidelity on " + data.describe(folder) + ":");
        chosen.validation().lines().forEach(l -> o.println("  " + l));
        result.lines().forEach(o::println);
        o.flush();
        if (!result.passed()) {
            throw new CheckFailedException("no quantized model passed the fidelity bar: "
                    + String.join("; ", chosen.validation().failures()) + "; " + out.resolve(QuantizeSearch.FAILED_NOTE)
                    + " says so beside the model");
        }
    }

    private static void printConversion(PrintWriter o, ModelConversion.Outcome outcome) {
        if (outcome.fusions() != null) {
            outcome.fusions().lines().forEach(l -> o.println("fusion: " + l.trim()));
        }
        outcome.quantization().lines().forEach(o::println);
    }
}
