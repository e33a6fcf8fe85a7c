package dev.peregrine.cli;

import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.datasets.Ticket;
import dev.peregrine.distill.DistillOptions;
import dev.peregrine.distill.LayerDistiller;
import dev.peregrine.distill.LayerSelection;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import dev.peregrine.train.Distiller;
import dev.peregrine.train.HeadKind;
import dev.peregrine.train.HeadOptions;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Makes a faster student of a model: by default a smaller encoder (layers pruned, then trained on
 * PyTorch to match the teacher), or with {@code --mode head} a head on another existing encoder.
 */
@Command(name = "distill", mixinStandardHelpOptions = true,
        description = {"Distill a model (the teacher) into a faster student.",
                "--mode layers (default): keep --layers of the teacher's layers, train them on unlabelled texts to "
                        + "match the teacher (embedders: sentence-embedding cosine + hidden-state MSE; classifiers: "
                        + "temperature-softened KL + hidden-state MSE) on PyTorch, and write the student as ONNX. "
                        + "BERT-family teachers (BERT, MiniLM, BGE, DistilBERT).",
                "--mode head: a classifier teacher labels the texts with softened probabilities and a head on "
                        + "--student-encoder learns them."})
final class DistillCommand implements Runnable {

    /** Built-in texts --data accepts by name. */
    static final String CORPUS = "debian-descriptions";
    static final String TICKETS = "tickets-train";

    @Spec
    CommandSpec spec;

    @Option(names = {"-t", "--teacher"}, paramLabel = "DIR|NAME", required = true,
            description = "The model to distill (an embedder or a classifier; --mode head: a classifier).")
    String teacher;

    @Option(names = "--mode", paramLabel = "MODE",
            description = "layers or head. Default: head when --student-encoder is given, else layers.")
    String mode;

    @Option(names = {"-s", "--student-encoder"}, paramLabel = "DIR|NAME",
            description = "--mode head: embedding model of the student. Default: all-minilm-l6-v2.")
    String studentEncoder;

    @Option(names = {"-d", "--data"}, paramLabel = "FILE|NAME", split = ",",
            description = "Unlabelled texts: files (text, JSONL or CSV) or built-in sets, comma-separated or repeated: "
                    + CORPUS + " (24,000 Debian package descriptions, 11 languages), " + TICKETS
                    + " (the shipped training tickets, labels ignored). Default: " + TICKETS + " for a teacher with "
                    + "the ticket labels (texts of its own domain), else " + CORPUS + ".")
    List<String> data;

    @Option(names = {"-o", "--out"}, paramLabel = "DIR", required = true, description = "Folder for the student.")
    Path out;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String textColumn;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data files: text, jsonl, csv or tsv. Default: from the file extension.")
    String format;

    @Option(names = "--temperature", paramLabel = "T", defaultValue = "2",
            description = "Softening of the teacher's probabilities (classifiers). Default: ${DEFAULT-VALUE}.")
    double temperature;

    @Option(names = "--seed", paramLabel = "N", defaultValue = "42",
            description = "Order of the texts and the held-out split: same seed, same student. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--rounds", paramLabel = "N", defaultValue = "3",
            description = "Timed rounds per model for the speed comparison. Default: ${DEFAULT-VALUE}.")
    int rounds;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    // ---- --mode layers ----

    @Option(names = "--layers", paramLabel = "K", defaultValue = "" + DistillOptions.DEFAULT_LAYERS,
            description = "Layers the student keeps. Default: ${DEFAULT-VALUE}.")
    int layers;

    @Option(names = "--layer-selection", paramLabel = "HOW", defaultValue = "importance",
            description = "importance (the layers whose removal alone changes the output most, measured on 64 texts: "
                    + "MiniLM 6 -> 3 keeps 1, 5, 6) or uniform (evenly spaced, ending with the last: 2, 4, 6). "
                    + "Default: ${DEFAULT-VALUE}.")
    String layerSelection;

    @Option(names = "--epochs", paramLabel = "N|auto", defaultValue = "auto", converter = EpochsConverter.class,
            description = "Passes over the texts; auto: " + DistillOptions.AUTO_MIN_EPOCHS + ", or more for few texts, "
                    + "so that training runs at least " + DistillOptions.AUTO_MIN_STEPS + " steps. Default: ${DEFAULT-VALUE}.")
    int epochs;

    /** "auto" is 0 for {@link DistillOptions}. */
    static final class EpochsConverter implements picocli.CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            if (value.trim().equalsIgnoreCase("auto")) {
                return DistillOptions.AUTO_EPOCHS;
            }
            int n = Integer.parseInt(value.trim());
            if (n < 1) {
                throw new picocli.CommandLine.TypeConversionException("--epochs must be auto or at least 1, was " + value);
            }
            return n;
        }
    }

    @Option(names = "--train-batch-size", paramLabel = "N", defaultValue = "" + DistillOptions.DEFAULT_BATCH_SIZE,
            description = "Texts per training step. Default: ${DEFAULT-VALUE}.")
    int batchSize;

    @Option(names = "--train-max-length", paramLabel = "TOKENS", defaultValue = "" + DistillOptions.DEFAULT_MAX_LENGTH,
            description = "Tokens per text while training and measuring fidelity. Default: ${DEFAULT-VALUE}.")
    int maxLength;

    @Option(names = "--learning-rate", paramLabel = "RATE", defaultValue = "" + DistillOptions.DEFAULT_LEARNING_RATE,
            description = "Adam's peak rate (5%% warm-up, cosine decay). Default: ${DEFAULT-VALUE}.")
    double learningRate;

    @Option(names = "--hidden-weight", paramLabel = "W", defaultValue = "" + DistillOptions.DEFAULT_HIDDEN_WEIGHT,
            description = "Weight of the hidden-state MSE next to the output loss. Default: ${DEFAULT-VALUE}.")
    double hiddenWeight;

    @Option(names = "--relation-weight", paramLabel = "W", defaultValue = "" + DistillOptions.DEFAULT_RELATION_WEIGHT,
            description = "Embedders: weight of the loss on how the texts of a batch relate to each other (their "
                    + "cosine similarities), which keeps nearest neighbours. Default: ${DEFAULT-VALUE}.")
    double relationWeight;

    @Option(names = "--time-budget", paramLabel = "TIME", converter = DurationConverter.class, defaultValue = "18m",
            description = "Training stops once this is spent and the student so far is written (30s, 10m, ...); "
                    + "when it will stop before the planned steps, the learning rate's decay is fitted to the steps "
                    + "it allows. Default: ${DEFAULT-VALUE}.")
    Duration timeBudget;

    @Option(names = "--max-texts", paramLabel = "N", defaultValue = "0",
            description = "Use at most this many texts (a seeded sample); 0 = all. Default: ${DEFAULT-VALUE}.")
    int maxTexts;

    @Option(names = "--held-out-texts", paramLabel = "N", defaultValue = "" + DistillOptions.DEFAULT_HELD_OUT,
            description = "Texts kept out of training to measure fidelity (at most a fifth). Default: ${DEFAULT-VALUE}.")
    int heldOutTexts;

    @Option(names = "--test", paramLabel = "FILE",
            description = "Labelled held-out texts (text,label) to report both models' accuracy on. Default: the "
                    + "shipped held-out tickets when the teacher has the ticket labels.")
    Path test;

    @Option(names = "--threads", paramLabel = "N", defaultValue = "${env:PEREGRINE_THREADS:-0}",
            description = "PyTorch threads; 0 = one per core. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_THREADS.")
    int threads;

    // ---- --mode head ----

    @Option(names = "--held-out", paramLabel = "SHARE", defaultValue = "0.2",
            description = "--mode head: share of texts kept out of training to measure agreement. Default: ${DEFAULT-VALUE}.")
    double heldOut;

    @Option(names = "--head", paramLabel = "KIND", defaultValue = "logistic", converter = TrainCommand.HeadConverter.class,
            description = "--mode head: logistic or mlp. Default: ${DEFAULT-VALUE}.")
    HeadKind head;

    @Override
    public void run() {
        String m = mode == null ? (studentEncoder == null ? "layers" : "head") : mode.trim().toLowerCase(Locale.ROOT);
        if (!m.equals("layers") && !m.equals("head")) {
            throw new ParameterException(spec.commandLine(), "--mode must be layers or head, not '" + mode + "'");
        }
        if (m.equals("layers") && studentEncoder != null) {
            throw new ParameterException(spec.commandLine(),
                    "--student-encoder belongs to --mode head; --mode layers makes the student from the teacher");
        }
        ModelFolder teacherFolder = ModelResolver.standard().resolve(teacher);
        List<String> texts = texts(data != null ? data : defaultData(teacherFolder));
        if (m.equals("head")) {
            runHead(teacherFolder, texts);
        } else {
            runLayers(teacherFolder, texts);
        }
    }

    /**
     * Texts of the teacher's own domain when they ship (a classifier with the ticket labels: the
     * training tickets), else the corpus. Measured on the ticket classifier: 3 layers trained on the
     * corpus lost 8.3 points of held-out accuracy, on the tickets 1.5.
     */
    static List<String> defaultData(ModelFolder teacherFolder) {
        return new java.util.TreeSet<>(teacherFolder.config().labels()).equals(new java.util.TreeSet<>(Datasets.ticketLabels()))
                ? List.of(TICKETS) : List.of(CORPUS);
    }

    private List<String> texts(List<String> sources) {
        List<String> texts = new ArrayList<>();
        for (String source : sources) {
            if (source.equals(CORPUS)) {
                texts.addAll(Datasets.unlabelled());
            } else if (source.equals(TICKETS)) {
                Datasets.ticketsTrain().stream().map(Ticket::text).forEach(texts::add);
            } else {
                TextDataFile.at(Path.of(source)).format(format == null ? null : DataFormat.parse(format))
                        .textField(textColumn).build().readAll().stream().map(TextRecord::text).forEach(texts::add);
            }
        }
        return texts;
    }

    private void runLayers(ModelFolder teacherFolder, List<String> texts) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        DistillOptions options = DistillOptions.defaults()
                .withLayers(layers, LayerSelection.parse(layerSelection))
                .withTraining(epochs, batchSize, maxLength, learningRate)
                .withLoss(temperature, hiddenWeight, relationWeight)
                .withLimits(timeBudget, seed, maxTexts, heldOutTexts, threads);
        Progress[] bar = new Progress[1];
        LayerDistiller.Result r;
        try {
            r = LayerDistiller.distill(teacherFolder, texts, options, this.out, new LayerDistiller.Listener() {
                @Override
                public void started(int steps) {
                    bar[0] = Progress.bar(err, "distill", steps, "steps", !noProgress);
                }

                @Override
                public void step(int done, double loss) {
                    bar[0].detail(String.format(Locale.ROOT, "loss %.4f", loss));
                    bar[0].stepTo(done);
                }

                @Override
                public void expected(int steps) {
                    // the time left is then the budget's, not the epochs'
                    bar[0].maxHint(Math.max(steps, bar[0].getCurrent()));
                }

                @Override
                public void note(String line) {
                    if (bar[0] != null) {
                        bar[0].close();  // notes during training come only at its end
                    }
                    if (!noProgress) {
                        err.println("distill: " + line);
                        err.flush();
                    }
                }
            }, System::nanoTime);
        } finally {
            if (bar[0] != null) {
                bar[0].close();
            }
        }
        out.printf(Locale.ROOT, "student: teacher layers %s of %d kept (%s), %d of %d steps on %d texts, loss %.4f -> %.4f%s%n",
                r.kept().stream().map(i -> i + 1).toList(), r.teacherLayers(), options.selection().id(), r.steps(),
                r.plannedSteps(), r.trainTexts(), r.firstLoss(), r.lastLoss(),
                r.budgetStopped() ? " (stopped by --time-budget)" : "");
        out.printf(Locale.ROOT, "PyTorch vs ONNX Runtime: teacher max |diff| %.2g, written student max |diff| %.2g%n",
                r.parityMaxDiff(), r.studentParity());
        out.println("fidelity to the teacher on " + r.heldOut().size() + " held-out texts:");
        r.fidelity().lines().stream().filter(l -> !l.startsWith("PASSED") && !l.startsWith("FAILED"))
                .forEach(l -> out.println("  " + l));
        ModelFolder student = ModelFolder.open(this.out, null, teacherFolder.name() + "-" + r.kept().size() + "l");
        try (Engine t = Engine.open(teacherFolder); Engine s = Engine.open(student)) {
            List<TextRecord> labelled = testRecords(t);
            if (!labelled.isEmpty()) {
                ValidationReport report = Validator.compare(t, s, labelled, ValidationOptions.defaults());
                var c = report.classification();
                if (c != null && c.accuracyDrop() != null) {
                    out.printf(Locale.ROOT, "held-out accuracy on %d labelled texts: teacher %.2f%%, student %.2f%% "
                                    + "(drop %.2f points); label agreement %.2f%%%n", c.labelled(),
                            100 * c.referenceAccuracy(), 100 * c.candidateAccuracy(), 100 * c.accuracyDrop(),
                            100 * c.labelAgreement());
                }
            }
            speed(out, t, s, r.heldOut(), teacherFolder.name(), "student (" + r.kept().size() + " layers)");
        }
        out.printf("%nwrote %s (%.0f s); check it further with: peregrine validate --reference %s --candidate %s%n",
                this.out, r.seconds(), teacher, this.out);
        out.flush();
    }

    /** --test, or the shipped held-out tickets for a teacher with the ticket labels. */
    private List<TextRecord> testRecords(Engine teacherEngine) {
        if (teacherEngine.info().task() != Task.CLASSIFICATION) {
            return List.of();
        }
        if (test != null) {
            return TextDataFile.at(test).textField(textColumn).labelField("label").build().readAll();
        }
        if (new java.util.TreeSet<>(teacherEngine.info().labels()).equals(new java.util.TreeSet<>(Datasets.ticketLabels()))) {
            return Datasets.ticketsTest().stream().map(Ticket::toTextRecord).toList();
        }
        return List.of();
    }

    private void speed(PrintWriter out, Engine teacherEngine, Engine student, List<String> sample, String teacherName,
                       String studentName) {
        double[] teacherRate = new double[rounds];
        double[] studentRate = new double[rounds];
        teacherEngine.run(teacherEngine.encode(sample));
        student.run(student.encode(sample));
        for (int r = 0; r < rounds; r++) {
            teacherRate[r] = itemsPerSecond(teacherEngine, sample);
            studentRate[r] = itemsPerSecond(student, sample);
        }
        double t = median(teacherRate);
        double s = median(studentRate);
        out.printf(Locale.ROOT, "%n| model | items/s | vs teacher |%n|---|---:|---:|%n");
        out.printf(Locale.ROOT, "| teacher %s | %.1f | 1.00x |%n", teacherName, t);
        out.printf(Locale.ROOT, "| %s | %.1f | %.2fx |%n", studentName, s, s / t);
    }

    private void runHead(ModelFolder teacherFolder, List<String> texts) {
        PrintWriter out = spec.commandLine().getOut();
        ModelFolder studentFolder = ModelResolver.standard().resolve(studentEncoder == null
                ? dev.peregrine.core.model.EmbeddedModels.DEFAULT_MODEL : studentEncoder);
        teacherFolder.requireOutputElsewhere(this.out);
        studentFolder.requireOutputElsewhere(this.out);
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
                speed(out, teacherEngine, distilled, result.heldOut(), teacherFolder.name(),
                        "student " + studentFolder.name() + " + " + head.id() + " head");
            }
            out.printf("%nwrote %s%n", this.out);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + this.out + ": " + e.getMessage(), e);
        }
        out.flush();
    }

    private static double itemsPerSecond(Engine engine, List<String> texts) {
        var encoded = engine.encode(texts);
        long start = System.nanoTime();
        engine.run(encoded);
        return texts.size() / ((System.nanoTime() - start) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
