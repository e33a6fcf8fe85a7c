package dev.peregrine.optimize;

import ai.onnx.proto.OnnxMl.ModelProto;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.LoadWarnings;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.core.tokenize.TextTokenizer;
import dev.peregrine.onnx.OnnxFormatException;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.optimize.fusion.FusionOptions;
import dev.peregrine.optimize.fusion.FusionReport;
import dev.peregrine.optimize.fusion.TransformerOptimizer;
import dev.peregrine.optimize.quantize.ActivationStats;
import dev.peregrine.optimize.quantize.Calibrator;
import dev.peregrine.optimize.quantize.Float16Converter;
import dev.peregrine.optimize.quantize.Int8Choice;
import dev.peregrine.optimize.quantize.Int8Quantizer;
import dev.peregrine.optimize.quantize.QuantMode;
import dev.peregrine.optimize.quantize.QuantizeOptions;
import dev.peregrine.optimize.quantize.QuantizeReport;
import dev.peregrine.optimize.quantize.StaticInt8Quantizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Turns a model folder into a faster one: transformer fusions, then INT8 or float16 conversion,
 * written as a complete model folder with what was done recorded in the graph's metadata
 * ({@code peregrine.*} keys). The one path behind {@code optimize-graph}, {@code quantize} and
 * {@code optimize}.
 */
public final class ModelConversion {

    private ModelConversion() {
    }

    /**
     * What to do.
     *
     * @param fusions     transformer fusions to apply first; null for none
     * @param mode        INT8 or float16 conversion; null to stay float32
     * @param quantize    INT8 settings
     * @param calibration texts for activation ranges (used when smoothing is on, and by int8-static)
     * @param keepFloat   op types the float16 conversion leaves in float32
     */
    public record Settings(FusionOptions fusions, QuantMode mode, QuantizeOptions quantize, List<String> calibration,
                           Set<String> keepFloat) {
        public Settings {
            Objects.requireNonNull(quantize, "quantize");
            calibration = List.copyOf(calibration);
            keepFloat = Set.copyOf(keepFloat);
        }

        /** Fusions only. */
        public static Settings fuseOnly(FusionOptions fusions) {
            return new Settings(fusions, null, QuantizeOptions.defaults(), List.of(), Set.of());
        }
    }

    /**
     * What was written.
     *
     * @param onnxFile     the new graph
     * @param fusions      the fusion report, or null when no fusion ran
     * @param quantization the conversion report, or null when the graph stayed float32
     * @param metadata     the {@code peregrine.*} metadata written into the graph
     */
    public record Outcome(Path onnxFile, FusionReport fusions, QuantizeReport quantization,
                          Map<String, String> metadata) {
    }

    /**
     * Converts {@code source} and writes {@code outDir/<variant>.onnx} plus the source's tokenizer and
     * config files.
     *
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when the graph cannot be read or
     *                            converted, {@link ErrorKind#IO} when writing fails
     */
    public static Outcome convert(ModelFolder source, Path outDir, String variant, Settings settings) {
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(settings, "settings");
        source.requireOutputElsewhere(outDir);
        if (settings.mode() == QuantMode.INT8_STATIC && settings.calibration().isEmpty()) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT,
                    "int8-static needs calibration texts for its activation ranges; none were given");
        }
        ModelProto model = read(source.onnxFile());
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("peregrine.optimized_by", "peregrine " + ModelFiles.peregrineVersion());
        meta.put("peregrine.source", source.name() + " (" + source.onnxFile().getFileName() + ")");
        FusionReport fusionReport = null;
        QuantizeReport quantReport = null;
        try {
            if (settings.fusions() != null) {
                TransformerOptimizer.Result fused = TransformerOptimizer.optimize(model, settings.fusions());
                model = fused.model();
                fusionReport = fused.report();
                meta.put("peregrine.fusions", fusionSummary(fusionReport));
            }
            if (settings.mode() != null && settings.mode().isInt8()) {
                boolean fixed = settings.mode() == QuantMode.INT8_STATIC;
                ActivationStats stats = null;
                QuantizeOptions q = settings.quantize();
                if ((fixed || q.smoothing().enabled()) && !settings.calibration().isEmpty()) {
                    stats = calibrate(source, model, q, settings.calibration());
                }
                Int8Quantizer.Result r = fixed ? StaticInt8Quantizer.quantize(model, q, stats)
                        : Int8Quantizer.quantize(model, q, stats);
                model = r.model();
                quantReport = r.report();
                meta.put("peregrine.quantization", settings.mode().id());
                meta.put("peregrine.quantization.weights", "int8 symmetric, "
                        + (q.perChannel() ? "per output channel" : "per tensor") + (q.reduceRange() ? ", 7-bit range" : ""));
                meta.put("peregrine.quantization.activations", fixed
                        ? "uint8 asymmetric, static per tensor (min-max over " + stats.texts() + " calibration texts)"
                        : "uint8 asymmetric, dynamic per tensor");
                meta.put("peregrine.quantization.attention", q.attention() ? "QAttention" : "float");
                meta.put("peregrine.quantization.smoothing", stats == null || !q.smoothing().enabled() ? "off"
                        : q.smoothing() + " on " + quantReport.smoothed().size() + " activations, "
                        + stats.texts() + " calibration texts");
                meta.put("peregrine.quantization.converted", quantReport.converted().toString());
                meta.put(CpuTarget.METADATA_KEY, q.target().id());
                meta.put(LoadWarnings.WEIGHT_RANGE_KEY, q.reduceRange() ? "reduced" : "full");
                meta.put("peregrine.quantization.formats", Int8Choice.formats(settings.mode()));
                meta.put("peregrine.quantized_on", CpuFeatures.detect().summary());
                if (!quantReport.excluded().isEmpty()) {
                    meta.put("peregrine.quantization.excluded", String.join(",", quantReport.excluded()));
                }
            } else if (settings.mode() == QuantMode.FP16) {
                Float16Converter.Result r = Float16Converter.convert(model, settings.keepFloat());
                model = r.model();
                quantReport = r.report();
                meta.put("peregrine.quantization", "fp16");
                meta.put("peregrine.quantization.io", "float32 inputs and outputs");
            }
        } catch (OnnxFormatException | IllegalStateException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, "cannot convert " + source.onnxFile() + ": "
                    + e.getMessage(), e);
        }
        model = OnnxModel.withMetadata(model, meta);
        Path file = outDir.resolve(variant + ".onnx");
        try {
            Files.createDirectories(outDir);
            ModelFiles.copySupportFiles(source.root(), outDir);
            OnnxModel.write(model, file);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
        return new Outcome(file, fusionReport, quantReport, meta);
    }

    private static ModelProto read(Path onnx) {
        try {
            return OnnxModel.read(onnx);
        } catch (OnnxFormatException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, e.getMessage(), e);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot read " + onnx + ": " + e.getMessage(), e);
        }
    }

    private static ActivationStats calibrate(ModelFolder source, ModelProto model, QuantizeOptions q,
                                             List<String> texts) {
        int maxLength = Math.min(source.config().maxLength(), 512);
        try (TextTokenizer tokenizer = TextTokenizer.load(source.tokenizerFile(), maxLength)) {
            List<EncodedText> encoded = tokenizer.encodeAll(texts);
            return Calibrator.collect(model, Int8Quantizer.inputsToCalibrate(model, q), encoded);
        }
    }

    private static String fusionSummary(FusionReport report) {
        return report.steps().stream().map(s -> s.fusion() + "=" + s.fused()).collect(Collectors.joining(" "));
    }
}
