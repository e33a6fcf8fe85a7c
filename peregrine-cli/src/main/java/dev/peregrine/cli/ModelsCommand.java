package dev.peregrine.cli;

import dev.peregrine.core.model.ModelResolver;
import java.io.PrintWriter;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** Lists the models available by name. */
@Command(name = "models", mixinStandardHelpOptions = true,
        description = "List the models available by name (embedded in the jar or built on first use).")
final class ModelsCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        ModelResolver resolver = ModelResolver.standard();
        PrintWriter out = spec.commandLine().getOut();
        Map<String, String> models = resolver.namedModels();
        int width = models.keySet().stream().mapToInt(String::length).max().orElse(10);
        models.forEach((name, description) -> out.printf("%-" + width + "s  %s%n", name, description));
        out.println();
        out.println("Also accepted by --model: a model folder, an .onnx file, or ORG/NAME after 'peregrine pull ORG/NAME'.");
        out.println("Cache: " + resolver.home().root());
        out.flush();
    }
}
