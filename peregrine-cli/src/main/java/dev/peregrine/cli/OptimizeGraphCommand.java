package dev.peregrine.cli;

import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.optimize.ModelConversion;
import java.io.PrintWriter;
import java.nio.file.Path;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Fuses transformer subgraphs into ONNX Runtime's contrib ops and writes the model. */
@Command(name = "optimize-graph", mixinStandardHelpOptions = true,
        description = {
            "Fuse BERT-family subgraphs into ONNX Runtime's com.microsoft operators: attention, residual + "
                    + "LayerNorm, GELU (+bias), optionally embeddings + LayerNorm. Prints what matched and why the "
                    + "rest did not; a graph that matches nothing is written unchanged.",
            "The result stays float32; 'peregrine quantize' runs these fusions before INT8 by default."
        })
final class OptimizeGraphCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Mixin
    SourceModelOptions source;

    @Option(names = {"-o", "--out"}, required = true, paramLabel = "DIR", description = "Folder to write the model to.")
    Path out;

    @Mixin
    FusionFlags fusions;

    @Override
    public void run() {
        ModelFolder folder = source.folder();
        ModelConversion.Outcome outcome = ModelConversion.convert(folder, out, "model",
                ModelConversion.Settings.fuseOnly(fusions.options()));
        PrintWriter o = spec.commandLine().getOut();
        outcome.fusions().lines().forEach(o::println);
        o.println("ops before: " + outcome.fusions().opsBefore());
        o.println("ops after:  " + outcome.fusions().opsAfter());
        o.println("wrote " + outcome.onnxFile());
        o.flush();
    }
}
