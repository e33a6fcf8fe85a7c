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

    @Option(names = "--max-accuracy-drop", paramLabel = "POINTS",
            description = "Classifiers with labelled data: most accuracy the candidate may lose, as a fraction "
                    + "(0.01 = one point). Default: not checked.")
    Double maxAccuracyDrop;

    ValidationOptions options() {
        return new ValidationOptions(minAgreement, minCosine, maxAccuracyDrop == null ? Double.NaN : maxAccuracyDrop,
                ValidationOptions.DEFAULT_NEIGHBOURS);
    }
}
