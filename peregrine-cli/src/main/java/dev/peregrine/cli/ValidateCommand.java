package dev.peregrine.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Compares a candidate model with its reference and fails below the fidelity bar. */
@Command(name = "validate", mixinStandardHelpOptions = true,
        description = {
            "Check that a candidate model (quantized, fused, ...) still answers like its reference.",
            "Embedders: cosine similarity per text (min, mean, 1st percentile) and top-10 nearest-neighbour "
                    + "overlap. Classifiers: label agreement, probability differences and, with --label-column, "
                    + "the accuracy of both.",
            "Exits 6 when the candidate is below --min-cosine / --min-agreement."
        })
final class ValidateCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = "--reference", required = true, paramLabel = "DIR|NAME",
            description = "The model to match: folder, .onnx file or embedded name.")
    String reference;

    @Option(names = "--candidate", required = true, paramLabel = "DIR|NAME",
            description = "The model to check: folder, .onnx file or embedded name.")
    String candidate;

    @Mixin
    DataOptions data;

    @Mixin
    FidelityOptions fidelity;

    @Option(names = "--json", description = "Print the report as JSON.")
    boolean json;

    @Override
    public void run() {
        ModelResolver resolver = ModelResolver.standard();
        ValidationReport report;
        ModelFolder refFolder = resolver.resolve(reference);
        try (Engine ref = Engine.open(refFolder, EngineOptions.defaults());
             Engine cand = Engine.open(resolver.resolve(candidate), EngineOptions.defaults())) {
            report = Validator.compare(ref, cand, data.records(refFolder), fidelity.options());
        }
        if (!json) {
            spec.commandLine().getOut().println("texts: " + data.describe(refFolder));
        }
        print(spec.commandLine().getOut(), report, json);
        if (!report.passed()) {
            throw new CheckFailedException("candidate " + candidate + " is below the fidelity bar: "
                    + String.join("; ", report.failures()));
        }
    }

    static void print(PrintWriter out, ValidationReport report, boolean json) {
        if (json) {
            try {
                out.println(new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(report));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        } else {
            report.lines().forEach(out::println);
        }
        out.flush();
    }
}
