package dev.peregrine.cli;

import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import picocli.CommandLine.Option;

/** The model an offline tool reads (optimize-graph, quantize, bench, optimize). */
final class SourceModelOptions {

    @Option(names = {"-m", "--model"}, paramLabel = "DIR|NAME", defaultValue = "${env:PEREGRINE_MODEL}",
            description = "Model folder, .onnx file or embedded name (see 'peregrine models'). Default: "
                    + EmbeddedModels.DEFAULT_MODEL + ". Env: PEREGRINE_MODEL.")
    String model;

    @Option(names = "--variant", paramLabel = "NAME", defaultValue = "${env:PEREGRINE_VARIANT}",
            description = "ONNX variant inside the folder. Default: model.onnx. Env: PEREGRINE_VARIANT.")
    String variant;

    ModelFolder folder() {
        return ModelResolver.standard().resolve(model == null || model.isBlank() ? EmbeddedModels.DEFAULT_MODEL : model,
                variant);
    }
}
