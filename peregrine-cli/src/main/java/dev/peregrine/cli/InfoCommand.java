package dev.peregrine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.engine.TensorSpec;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Loads a model and describes it. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Load a model and show its task, inputs and outputs, labels, maximum length, "
                + "file size, variant, the ONNX Runtime version, this CPU's instruction sets, and warnings (an INT8 "
                + "model made for a CPU feature this one lacks, or one that failed its fidelity check).")
final class InfoCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = "--json", description = "Print JSON instead of a table.")
    boolean json;

    @Override
    public void run() {
        ModelInfo info;
        try (Engine engine = modelOptions.open(ModelResolver.standard(), EmbeddedModels.DEFAULT_MODEL)) {
            info = engine.info();
        }
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.println(toJson(info));
        } else {
            printTable(out, info);
        }
        out.flush();
    }

    static String toJson(ModelInfo info) {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode o = mapper.createObjectNode();
        o.put("name", info.name());
        o.put("task", info.task().id());
        o.put("folder", info.folder().toString());
        o.put("onnx_file", info.onnxFile().toString());
        o.put("variant", info.variant());
        o.put("file_size_bytes", info.fileSizeBytes());
        tensors(o.putArray("inputs"), info.inputs());
        tensors(o.putArray("outputs"), info.outputs());
        o.put("output_used", info.outputName());
        ArrayNode labels = o.putArray("labels");
        info.labels().forEach(labels::add);
        o.put("max_length", info.maxLength());
        o.put("dimension", info.dimension());
        o.put("pooling", info.pooling() == null ? null : info.pooling().id());
        o.put("normalize", info.normalize());
        o.put("multi_label", info.multiLabel());
        o.put("onnx_runtime", info.onnxRuntime());
        ObjectNode meta = o.putObject("graph_metadata");
        info.graphMetadata().forEach(meta::put);
        ArrayNode warnings = o.putArray("warnings");
        info.warnings().forEach(warnings::add);
        CpuFeatures here = CpuFeatures.detect();
        ObjectNode cpu = o.putObject("cpu");
        cpu.put("model", here.modelName());
        cpu.put("cores", here.cores());
        cpu.put("arch", here.arch());
        cpu.put("known", here.known());
        ArrayNode isa = cpu.putArray("instruction_sets");
        here.int8InstructionSets().forEach(isa::add);
        cpu.put("int8_target", CpuTarget.of(here).id());
        try {
            return mapper.writeValueAsString(o);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void tensors(ArrayNode array, java.util.List<TensorSpec> specs) {
        for (TensorSpec t : specs) {
            ObjectNode n = array.addObject();
            n.put("name", t.name());
            n.put("type", t.type());
            ArrayNode shape = n.putArray("shape");
            for (long d : t.shape()) {
                shape.add(d);
            }
        }
    }

    private static void printTable(PrintWriter out, ModelInfo info) {
        row(out, "name", info.name());
        row(out, "task", info.task().id());
        row(out, "folder", info.folder().toString());
        row(out, "onnx file", info.onnxFile().toString());
        row(out, "variant", info.variant());
        row(out, "file size", humanBytes(info.fileSizeBytes()));
        for (TensorSpec t : info.inputs()) {
            row(out, "input", t.toString());
        }
        for (TensorSpec t : info.outputs()) {
            row(out, "output", t.toString() + (t.name().equals(info.outputName()) ? "   (used)" : ""));
        }
        if (!info.labels().isEmpty()) {
            row(out, "labels", String.join(", ", info.labels()) + (info.multiLabel() ? "   (multi-label)" : ""));
        }
        row(out, "max length", info.maxLength() + " tokens");
        row(out, info.labels().isEmpty() ? "dimension" : "classes", Integer.toString(info.dimension()));
        if (info.pooling() != null) {
            row(out, "pooling", info.pooling().id());
        }
        if (info.labels().isEmpty()) {
            row(out, "normalize", Boolean.toString(info.normalize()));
        }
        row(out, "onnx runtime", info.onnxRuntime());
        row(out, "cpu", CpuFeatures.detect().summary());
        row(out, "int8 target", CpuTarget.detect().id() + " (what quantize --target-cpu auto picks here)");
        for (String w : info.warnings()) {
            row(out, "WARNING", w);
        }
        for (Map.Entry<String, String> e : info.graphMetadata().entrySet()) {
            row(out, "metadata", e.getKey() + " = " + e.getValue());
        }
    }

    private static void row(PrintWriter out, String key, String value) {
        out.printf("%-13s %s%n", key, value);
    }

    static String humanBytes(long bytes) {
        if (bytes < 0) {
            return "unknown";
        }
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KB", "MB", "GB", "TB"};
        double v = bytes;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format(Locale.ROOT, "%.1f %s (%d bytes)", v, units[u], bytes);
    }
}
