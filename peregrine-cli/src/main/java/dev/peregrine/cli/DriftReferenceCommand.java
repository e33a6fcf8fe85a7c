package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.monitor.DriftReference;
import dev.peregrine.monitor.Observation;
import dev.peregrine.monitor.ReferenceBuilder;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Builds the drift reference of a model from texts that represent normal traffic. */
@Command(name = "drift-reference", mixinStandardHelpOptions = true,
        description = "Run a model over texts that represent normal traffic and write the drift reference "
                + "(token lengths, truncation and unknown-token rates, label mix or embedding centroid, "
                + "confidence) that 'serve --drift-reference FILE' compares live traffic with.")
final class DriftReferenceCommand implements Runnable {

    private static final int CHUNK = 512;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Option(names = {"-d", "--data"}, paramLabel = "FILE", required = true, description = "Texts: text, JSONL or CSV.")
    Path data;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE", required = true, description = "Where to write the reference (JSON).")
    Path out;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String column;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data: text, jsonl, csv or tsv. Default: from the file extension.")
    String format;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    @Override
    public void run() {
        List<String> texts = TextDataFile.at(data).format(format == null ? null : DataFormat.parse(format))
                .textField(column).build().readAll().stream().map(TextRecord::text).toList();
        if (texts.size() < DriftReference.MIN_SAMPLES) {
            // Said before the model is loaded: a reference from a handful of texts would judge every window by noise.
            throw new PeregrineException(ErrorKind.INVALID_INPUT, data + " has " + texts.size()
                    + " texts; a drift reference needs at least " + DriftReference.MIN_SAMPLES + " texts of normal traffic");
        }
        PrintWriter out = spec.commandLine().getOut();
        try (Engine engine = modelOptions.open(ModelResolver.standard(), EmbeddedModels.DEFAULT_MODEL)) {
            ReferenceBuilder builder = new ReferenceBuilder(engine.info().name(), engine.info().task(), engine.info().labels());
            try (Progress bar = Progress.bar(spec.commandLine().getErr(), "reference", texts.size(), "texts", !noProgress)) {
                for (int start = 0; start < texts.size(); start += CHUNK) {
                    List<EncodedText> encoded = engine.encode(texts.subList(start, Math.min(texts.size(), start + CHUNK)));
                    float[][] rows = engine.run(encoded, bar::stepBy);
                    for (int i = 0; i < rows.length; i++) {
                        EncodedText e = encoded.get(i);
                        builder.add(engine.info().task() == Task.CLASSIFICATION
                                ? Observation.classified(e.length(), e.truncated(), e.unknownTokens(), rows[i])
                                : Observation.embedded(e.length(), e.truncated(), e.unknownTokens(), rows[i]));
                    }
                }
            }
            DriftReference reference = builder.build();
            reference.write(this.out);
            out.printf(Locale.ROOT, "reference for %s from %d texts: mean %.1f tokens, %.1f%% truncated, %.2f%% unknown tokens%n",
                    reference.model(), reference.samples(), reference.meanTokens(), 100 * reference.truncationRate(),
                    100 * reference.unknownRate());
            if (reference.task() == Task.CLASSIFICATION) {
                out.printf(Locale.ROOT, "labels %s, mean top-1 %.3f, mean entropy %.3f%n",
                        describe(reference.labels(), reference.labelProportions()), reference.meanTop1(), reference.meanEntropy());
            } else {
                out.printf(Locale.ROOT, "mean cosine to the centroid %.3f (sd %.3f)%n", reference.meanSimilarity(),
                        reference.stdSimilarity());
            }
            out.printf("wrote %s (use: peregrine serve --drift-reference %s)%n", this.out, this.out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + this.out + ": " + e.getMessage(), e);
        }
        out.flush();
    }

    private static String describe(List<String> labels, double[] shares) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < labels.size(); i++) {
            sb.append(i == 0 ? "" : ", ").append(labels.get(i)).append(String.format(Locale.ROOT, " %.0f%%", 100 * shares[i]));
        }
        return sb.toString();
    }
}
