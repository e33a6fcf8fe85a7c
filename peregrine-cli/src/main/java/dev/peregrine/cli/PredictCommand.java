package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.DuckDbTable;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.datasets.offline.JsonlSink;
import dev.peregrine.datasets.offline.OfflinePredictor;
import dev.peregrine.datasets.offline.OutputLayout;
import dev.peregrine.datasets.offline.ParquetSink;
import dev.peregrine.datasets.offline.PredictionSink;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Embeds or classifies texts given on the command line or in a file of any size, in bounded
 * memory: the file is streamed in windows (see {@link OfflinePredictor}), results go to JSONL or
 * Parquet in input order, and a killed run can be resumed from what its output holds.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {
            "Embed or classify texts (arguments, or a text/JSONL/CSV/TSV/Parquet file) and write JSON lines, "
                    + "or Parquet when --output ends in .parquet.",
            "",
            "Embedding lines:       {\"index\":0,\"tokens\":7,\"truncated\":false,\"embedding\":[...]}",
            "Classification lines:  {\"index\":0,\"tokens\":7,\"truncated\":false,\"label\":\"billing\",\"score\":0.97,"
                    + "\"scores\":[{\"label\":\"billing\",\"score\":0.97},...]}",
            "Parquet columns:       the --id-column (text) or row (0-based), then embedding FLOAT[], or label, "
                    + "score and (--scores) scores FLOAT[] in label order.",
        })
final class PredictCommand implements Runnable {

    /** The classifier used when {@code --task classification} is given without {@code --model}. */
    static final String DEFAULT_CLASSIFIER = dev.peregrine.train.TicketClassifier.NAME;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to predict (or use --input).")
    List<String> texts = new ArrayList<>();

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
            description = "Read texts from a file: one per line (.txt), JSONL (.jsonl), CSV/TSV with a header, "
                    + "or Parquet (.parquet).")
    Path input;

    @Option(names = "--input-format", paramLabel = "FORMAT",
            description = "Format of --input: text, jsonl, csv, tsv or parquet. Default: from the file extension.")
    String format;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME",
            description = "JSONL field or CSV/Parquet column holding the text. Default: text.")
    String column;

    @Option(names = "--id-column", paramLabel = "NAME",
            description = "Field or column copied to each output row as its id (JSONL: \"id\"; Parquet: a column "
                    + "of that name). Default: rows are numbered.")
    String idColumn;

    @Option(names = "--query", paramLabel = "SQL",
            description = "DuckDB SQL that selects or transforms rows before inference; the input file is the view "
                    + "'input', e.g. \"SELECT id, lower(body) AS text FROM input WHERE lang = 'en'\".")
    String query;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE",
            description = "Write here instead of stdout: Parquet when the name ends in .parquet, else JSONL.")
    Path output;

    @Option(names = "--resume",
            description = "Continue a killed run: keep the rows --output already holds and predict the rest "
                    + "(same input, query, model and options).")
    boolean resume;

    @Option(names = "--task", paramLabel = "TASK", converter = TaskConverter.class,
            description = "embedding (embed) or classification (classify). Default: whatever the model does.")
    Task task;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Classification, JSONL: how many ranked scores to write per text. Default: all.")
    Integer topK;

    @Option(names = "--scores",
            description = "Classification, Parquet: add every class's probability (scores FLOAT[], in label order).")
    boolean scores;

    @Option(names = "--normalize", negatable = true, fallbackValue = "true",
            description = "Embeddings: scale to unit length. Default: as the model says.")
    Boolean normalize;

    @Option(names = "--window", paramLabel = "N", defaultValue = "" + OfflinePredictor.DEFAULT_WINDOW,
            description = "Texts read ahead and sorted by length into batches (bounds memory). Default: ${DEFAULT-VALUE}.")
    int window;

    @Option(names = "--part-rows", paramLabel = "N", defaultValue = "" + ParquetSink.DEFAULT_PART_ROWS,
            description = "Parquet output: rows per committed part; a killed run loses at most this much work. "
                    + "Default: ${DEFAULT-VALUE}.")
    int partRows;

    @Option(names = "--no-progress", description = "Do not report progress on stderr.")
    boolean noProgress;

    @Override
    public void run() {
        validate();
        Source source = source();
        try (Stream<TextRecord> records = source.records();
             Engine engine = modelOptions.open(ModelResolver.standard(), defaultModel())) {
            Task modelTask = engine.info().task();
            if (task != null && task != modelTask) {
                throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + engine.info().name() + "' does "
                        + modelTask.id() + ", not " + task.id() + " (choose another --model)");
            }
            boolean norm = normalize != null ? normalize : engine.info().normalize();
            OutputLayout layout = new OutputLayout(modelTask, engine.info().labels(), idColumn, scores, topK);
            OfflinePredictor predictor = new OfflinePredictor(engine, window, OfflinePredictor.DEFAULT_REMEMBERED_TEXTS,
                    norm);
            try (PredictionSink sink = openSink(layout)) {
                long remaining = Math.max(0, source.total() - sink.resumedRows());
                boolean report = source.isFile() && !noProgress;
                OfflinePredictor.Stats stats;
                try (Progress progress = Progress.bar(spec.commandLine().getErr(), "predict", remaining, "texts", report)) {
                    stats = predictor.run(records.iterator(), sink, progress::stepBy);
                }
                // Only worth a line when repeats were reused or a resumed run skipped rows.
                if (report && (stats.rows() > stats.computed() || stats.skipped() > 0)) {
                    spec.commandLine().getErr().println("predict: " + stats.computed() + " computed, "
                            + (stats.rows() - stats.computed()) + " repeated"
                            + (stats.skipped() > 0 ? ", " + stats.skipped() + " already in the output" : ""));
                    spec.commandLine().getErr().flush();
                }
            }
        }
    }

    private void validate() {
        if (input == null && texts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give texts to predict, or --input FILE");
        }
        if (input != null && !texts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give texts or --input FILE, not both");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (dev.peregrine.core.Texts.isBlank(texts.get(i))) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, (texts.size() == 1 ? "the text" : "text " + (i + 1))
                        + " is empty (or only whitespace and invisible characters); give something to predict");
            }
        }
        if (input == null && (column != null || idColumn != null || format != null || query != null)) {
            throw new ParameterException(spec.commandLine(), "--column, --id-column, --input-format and --query apply to --input files");
        }
        if (topK != null && topK < 1) {
            throw new ParameterException(spec.commandLine(), "--top-k must be at least 1");
        }
        if (window < 1) {
            throw new ParameterException(spec.commandLine(), "--window must be at least 1");
        }
        if (partRows < 1) {
            throw new ParameterException(spec.commandLine(), "--part-rows must be at least 1");
        }
        if (resume && output == null) {
            throw new ParameterException(spec.commandLine(), "--resume needs --output FILE (stdout cannot be resumed)");
        }
        if (scores && !isParquet(output)) {
            throw new ParameterException(spec.commandLine(), "--scores applies to Parquet output (JSONL always has scores)");
        }
    }

    /** Where the texts come from, and how many there are (for progress and the ETA). */
    private record Source(Stream<TextRecord> records, long total, boolean isFile) {
    }

    private Source source() {
        if (input == null) {
            return new Source(texts.stream().map(TextRecord::of), texts.size(), false);
        }
        DataFormat fmt = format == null ? DataFormat.detect(input) : DataFormat.parse(format);
        long total;
        Stream<TextRecord> records;
        if (query != null || fmt == DataFormat.PARQUET) {
            DuckDbTable table = DuckDbTable.open(input, fmt, query, column, idColumn, null);
            total = table.count();
            records = table.stream();
        } else {
            TextDataFile file = TextDataFile.at(input).format(fmt).textField(column).idField(idColumn).build();
            total = file.count();
            records = file.stream();
        }
        if (total == 0) {
            records.close();
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "input file " + input + " has no texts"
                    + (query != null ? " selected by the query" : ""));
        }
        return new Source(records, total, true);
    }

    private PredictionSink openSink(OutputLayout layout) {
        if (output == null) {
            return JsonlSink.to(spec.commandLine().getOut(), layout);
        }
        if (isParquet(output)) {
            return ParquetSink.open(output, layout, partRows, resume);
        }
        return JsonlSink.open(output, layout, resume);
    }

    private static boolean isParquet(Path file) {
        return file != null && DataFormat.detect(file) == DataFormat.PARQUET;
    }

    /** With no --model: the default classifier for --task classification, else the default embedder. */
    private String defaultModel() {
        return task == Task.CLASSIFICATION ? DEFAULT_CLASSIFIER : EmbeddedModels.DEFAULT_MODEL;
    }

    /** Accepts embed/embedding and classify/classification. */
    static final class TaskConverter implements picocli.CommandLine.ITypeConverter<Task> {
        @Override
        public Task convert(String value) {
            return Task.parse(value);
        }
    }
}
