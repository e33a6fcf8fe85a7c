package dev.peregrine.cli;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.train.Distiller;
import dev.peregrine.train.HeadKind;
import dev.peregrine.train.HeadOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Distills a classifier into a head on a (faster) student encoder. */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = "Distill a classifier (the teacher) into a head on a student encoder: the teacher labels "
                + "unlabelled texts with temperature-softened probabilities, the student's head learns them; "
                + "prints student-teacher agreement on held-out texts and both models' items/s side by side.")
final class DistillCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--teacher"}, paramLabel = "DIR|NAME", required = true, description = "Any classifier.")
    String teacher;

    @Option(names = {"-s", "--student-encoder"}, paramLabel = "DIR|NAME", defaultValue = EmbeddedModels.DEFAULT_MODEL,
            description = "Embedding model of the student. Default: ${DEFAULT-VALUE}.")
    String studentEncoder;

    @Option(names = {"-d", "--data"}, paramLabel = "FILE", required = true,
            description = "Unlabelled texts (text, JSONL or CSV).")
    Path data;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true, description = "Folder for the student classifier.")
    Path out;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String textColumn;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data: text, jsonl, csv or tsv. Default: from the file extension.")
    String format;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "2",
            description = "Softening of the teacher's probabilities. Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--held-out", paramLabel = "SHARE", defaultValue = "0.2",
            description = "Share of texts kept out of training to measure agreement. Default: ${DEFAULT-VALUE}.")
    double heldOut;

    @Option(names = "--head", paramLabel = "KIND", defaultValue = "logistic", converter = TrainCommand.HeadConverter.class,
            description = "logistic or mlp. Default: ${DEFAULT-VALUE}.")
    HeadKind head;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "Timed rounds per model for the speed comparison. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    @Override
    public void run() {
        PrintWriter out = spec.commandLine().getOut();
        List<String> texts = TextDataFile.at(data).format(format == null ? null : DataFormat.parse(format))
                .textField(textColumn).build().readAll().stream().map(TextRecord::text).toList();
        ModelResolver resolver = ModelResolver.standard();
        ModelFolder teacherFolder = resolver.resolve(teacher);
        ModelFolder studentFolder = resolver.resolve(studentEncoder);
        Distiller.Result result;
        try (Engine teacherEngine = Engine.open(teacherFolder); Engine student = Engine.open(studentFolder)) {
            try (Progress bar = Progress.bar(spec.commandLine().getErr(), "distill", 2L * texts.size(), "texts", !noProgress)) {
                result = Distiller.distill(teacherEngine, student, texts, temperature,
                        HeadOptions.defaults(head).withSeed(seed), heldOut, bar::stepBy);
            }
            Distiller.export(result, studentFolder, teacherFolder.name(), temperature, this.out);
            out.printf(Locale.ROOT, "student-teacher agreement: %.4f on %d held-out texts (trained on %d, temperature %s)%n",
                    result.agreement(), result.heldOutTexts(), result.trainTexts(), temperature);
            try (Engine distilled = Engine.open(ModelFolder.open(this.out))) {
                double[] teacherRate = new double[rounds];
                double[] studentRate = new double[rounds];
                List<String> sample = result.heldOut();
                teacherEngine.classify(sample);
                distilled.classify(sample);
                for (int r = 0; r < rounds; r++) {
                    teacherRate[r] = itemsPerSecond(teacherEngine, sample);
                    studentRate[r] = itemsPerSecond(distilled, sample);
                }
                double t = median(teacherRate);
                double s = median(studentRate);
                out.printf(Locale.ROOT, "%n| model | items/s | vs teacher |%n|---|---:|---:|%n");
                out.printf(Locale.ROOT, "| teacher %s | %.1f | 1.00x |%n", teacherFolder.name(), t);
                out.printf(Locale.ROOT, "| student %s + %s head | %.1f | %.2fx |%n", studentFolder.name(), head.id(), s, s / t);
            }
            out.printf("%nwrote %s%n", this.out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + this.out + ": " + e.getMessage(), e);
        }
        out.flush();
    }

    private static double itemsPerSecond(Engine engine, List<String> texts) {
        long start = System.nanoTime();
        engine.classify(texts);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
