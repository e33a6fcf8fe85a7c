package dev.peregrine.cli;

import dev.peregrine.optimize.validate.ValidationOptions;
import picocli.CommandLine.Option;

/** The fidelity bar, declared once for validate, quantize and optimize. */
final class FidelityOptions {

    @Option(names = "--min-agreement", paramLabel = "RATE",
            defaultValue = "${env:PEREGRINE_MIN_AGREEMENT:-" + ValidationOptions.DEFAULT_MIN_AGREEMENT + "}",
            description = "Classifiers: least share of texts whose top label matches the reference. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MIN_AGREEMENT.")
    double minAgreement;

    @Option(names = "--min-cosine", paramLabel = "COSINE",
            defaultValue = "${env:PEREGRINE_MIN_COSINE:-" + ValidationOptions.DEFAULT_MIN_COSINE + "}",
            description = "Embedders: least mean cosine similarity to the reference's vectors. "
                    + "Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MIN_COSINE.")
    double minCosine;

    @Option(names = "--min-p1-cosine", paramLabel = "COSINE",
            defaultValue = "${env:PEREGRINE_MIN_P1_COSINE:-" + ValidationOptions.DEFAULT_MIN_P1_COSINE + "}",
            description = "Embedders: least 1st-percentile cosine (99%% of texts at least this close), so a good mean "
                    + "cannot hide a bad tail. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MIN_P1_COSINE.")
    double minP1Cosine;

    @Option(names = "--max-accuracy-drop", paramLabel = "FRACTION",
            defaultValue = "${env:PEREGRINE_MAX_ACCURACY_DROP:-" + ValidationOptions.DEFAULT_MAX_ACCURACY_DROP + "}",
            description = "Classifiers with labelled data: most accuracy the candidate may lose, as a fraction "
                    + "(0.005 = half a point). Default: ${DEFAULT-VALUE}. Env: PEREGRINE_MAX_ACCURACY_DROP.")
    double maxAccuracyDrop;

    ValidationOptions options() {
        return new ValidationOptions(minAgreement, minCosine, maxAccuracyDrop, ValidationOptions.DEFAULT_NEIGHBOURS,
                minP1Cosine);
    }
}
