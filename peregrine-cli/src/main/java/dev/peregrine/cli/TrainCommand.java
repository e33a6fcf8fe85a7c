package dev.peregrine.cli;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.train.ClassificationMetrics;
import dev.peregrine.train.HeadKind;
import dev.peregrine.train.HeadOptions;
import dev.peregrine.train.Trainer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Trains a classification head on an encoder and writes a self-contained classifier folder. */
@Command(name = "train", mixinStandardHelpOptions = true,
        description = {
            "Train a classifier on any embedding model: embed the labelled texts, fit a logistic-regression "
                    + "(or MLP) head with L2 and early stopping, report stratified k-fold accuracy, macro-F1, "
                    + "per-class precision/recall and a confusion matrix, and write one ONNX graph "
                    + "(encoder + pooling + normalization + head, output 'logits') with tokenizer.json and "
                    + "config.json (id2label). Deterministic for a seed.",
        })
final class TrainCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = {"-e", "--encoder"}, paramLabel = "DIR|NAME", defaultValue = EmbeddedModels.DEFAULT_MODEL,
            description = "Embedding model to train on. Default: ${DEFAULT-VALUE}.")
    String encoder;

    @Option(names = {"-d", "--data"}, paramLabel = "FILE", required = true,
            description = "Labelled texts: JSONL or CSV/TSV with a header.")
    Path data;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true, description = "Folder to write the classifier to.")
    Path out;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data: jsonl, csv or tsv. Default: from the file extension.")
    String format;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME", defaultValue = "text",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String textColumn;

    @Option(names = "--label-column", paramLabel = "NAME", defaultValue = "label",
            description = "JSONL field or CSV column holding the label. Default: ${DEFAULT-VALUE}.")
    String labelColumn;

    @Option(names = "--test", paramLabel = "FILE", description = "Held-out labelled texts to score the final classifier on. They are also written beside it "
                    + "(validation.jsonl), where quantize, validate and bench find them when no --data is given.")
    Path test;

    @Option(names = "--head", paramLabel = "KIND", defaultValue = "logistic", converter = HeadConverter.class,
            description = "logistic or mlp. Default: ${DEFAULT-VALUE}.")
    HeadKind head;

    @Option(names = "--hidden", paramLabel = "N", description = "MLP hidden units. Default: 128.")
    Integer hidden;

    @Option(names = "--l2", paramLabel = "LAMBDA", defaultValue = "1e-4", description = "L2 penalty. Default: ${DEFAULT-VALUE}.")
    double l2;

    @Option(names = "--learning-rate", paramLabel = "RATE",
            description = "Adam step size. Default: 0.01 (logistic), 0.003 (mlp).")
    Double learningRate;

    @Option(names = "--folds", paramLabel = "K", defaultValue = "5",
            description = "Stratified k-fold estimate; 0 skips it. Default: ${DEFAULT-VALUE}.")
    int folds;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        DataFormat fmt = format == null ? null : DataFormat.parse(format);
        List<TextRecord> records = TextDataFile.at(data).format(fmt).textField(textColumn).labelField(labelColumn).build().readAll();
        List<String> labels = Trainer.checkLabels(records);
        List<TextRecord> testRecords = test == null ? List.of()
                : TextDataFile.at(test).format(fmt).textField(textColumn).labelField(labelColumn).build().readAll();
        HeadOptions options = HeadOptions.defaults(head).withSeed(seed).withL2(l2);
        if (hidden != null) {
            options = options.withHiddenSize(hidden);
        }
        if (learningRate != null) {
            options = options.withLearningRate(learningRate);
        }
        ModelFolder folder = ModelResolver.standard().resolve(encoder);
        folder.requireOutputElsewhere(this.out);  // the classifier would replace the encoder it is built on
        out.printf(Locale.ROOT, "%d labelled texts, %d labels (%s), encoder %s%n", records.size(), labels.size(),
                String.join(", ", labels), folder.name());
        out.flush();
        try (Engine engine = Trainer.openEncoder(folder)) {
            Trainer.Features features;
            try (Progress bar = Progress.bar(spec.commandLine().getErr(), "embed", records.size(), "texts", !noProgress)) {
                features = Trainer.features(engine, records, labels, bar::stepBy);
            }
            Trainer.Result result = Trainer.fit(folder, engine.info(), features, options, folds);
            if (result.crossValidation() != null) {
                out.printf("%n%d-fold cross-validation:%n%s", result.folds(), result.crossValidation().format());
            } else {
                out.println("cross-validation skipped (--folds 0, or a label has a single example per fold)");
            }
            out.printf(Locale.ROOT, "%nfinal %s head: %d epochs (best %d, held-out loss %.4f)%n", head.id(),
                    result.finalFit().epochs(), result.finalFit().bestEpoch(), result.finalFit().bestValidationLoss());
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("data", data.toString());
            if (!testRecords.isEmpty()) {
                for (TextRecord r : testRecords) {
                    if (!labels.contains(r.label().strip())) {
                        throw new dev.peregrine.core.PeregrineException(dev.peregrine.core.ErrorKind.INVALID_INPUT,
                                test + " line " + r.line() + " has label '" + r.label() + "', which the training data does not have");
                    }
                }
                ClassificationMetrics m = Trainer.evaluate(result.head(), Trainer.features(engine, testRecords, labels, null));
                out.printf("%nheld-out (%s):%n%s", test, m.format());
                extra.put("held_out", Trainer.metricsJson(m));
            }
            Trainer.export(result, this.out, extra);
            if (!testRecords.isEmpty()) {
                Trainer.writeHeldOut(testRecords, this.out);
            }
            out.printf("%nwrote %s (use: peregrine predict -m %s \"some text\")%n", this.out, this.out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + this.out + ": " + e.getMessage(), e);
        }
        out.flush();
    }

    /** Parses logistic/mlp. */
    static final class HeadConverter implements picocli.CommandLine.ITypeConverter<HeadKind> {
        @Override
        public HeadKind convert(String value) {
            return HeadKind.parse(value);
        }
    }
}
