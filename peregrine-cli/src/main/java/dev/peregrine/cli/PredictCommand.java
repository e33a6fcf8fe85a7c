package dev.peregrine.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.LabelScore;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
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
 * Embeds or classifies texts given on the command line or in a file, writing one JSON line per
 * text. Files are streamed in chunks, so their size is bounded by disk, not memory.
 */
@Command(name = "predict", mixinStandardHelpOptions = true,
        description = {
            "Embed or classify texts (arguments, or a text/JSONL/CSV file) and write one JSON line per text.",
            "",
            "Embedding lines:       {\"index\":0,\"tokens\":7,\"truncated\":false,\"embedding\":[...]}",
            "Classification lines:  {\"index\":0,\"tokens\":7,\"truncated\":false,\"label\":\"billing\",\"score\":0.97,"
                    + "\"scores\":[{\"label\":\"billing\",\"score\":0.97},...]}",
        })
final class PredictCommand implements Runnable {

    /** The classifier used when {@code --task classification} is given without {@code --model}. */
    static final String DEFAULT_CLASSIFIER = dev.peregrine.train.TicketClassifier.NAME;

    /** Texts handed to the engine at a time when reading a file. */
    private static final int CHUNK = 1024;

    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions modelOptions;

    @Parameters(paramLabel = "TEXT", arity = "0..*", description = "Texts to predict (or use --input).")
    List<String> texts = new ArrayList<>();

    @Option(names = {"-i", "--input"}, paramLabel = "FILE",
            description = "Read texts from a file: one per line (.txt), JSONL (.jsonl) or CSV/TSV with a header.")
    Path input;

    @Option(names = "--format", paramLabel = "FORMAT",
            description = "Input format: text, jsonl, csv or tsv. Default: from the file extension.")
    String format;

    @Option(names = {"-c", "--column"}, paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String column;

    @Option(names = "--id-column", paramLabel = "NAME",
            description = "JSONL field or CSV column copied to each output line as \"id\".")
    String idColumn;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write JSONL here instead of stdout.")
    Path output;

    @Option(names = "--task", paramLabel = "TASK", converter = TaskConverter.class,
            description = "embedding (embed) or classification (classify). Default: whatever the model does.")
    Task task;

    @Option(names = "--top-k", paramLabel = "K",
            description = "Classification: how many ranked scores to write per text. Default: all.")
    Integer topK;

    @Option(names = "--normalize", negatable = true, fallbackValue = "true",
            description = "Embeddings: scale to unit length. Default: as the model says.")
    Boolean normalize;

    @Option(names = "--no-progress", description = "Do not draw a progress bar for files.")
    boolean noProgress;

    @Override
    public void run() {
        if (input == null && texts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give texts to predict, or --input FILE");
        }
        if (input != null && !texts.isEmpty()) {
            throw new ParameterException(spec.commandLine(), "give texts or --input FILE, not both");
        }
        if (topK != null && topK < 1) {
            throw new ParameterException(spec.commandLine(), "--top-k must be at least 1");
        }
        TextDataFile file = null;
        long total = texts.size();
        if (input != null) {
            file = TextDataFile.at(input)
                    .format(format == null ? null : DataFormat.parse(format))
                    .textField(column)
                    .idField(idColumn)
                    .build();
            total = file.count();
            if (total == 0) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "input file " + input + " has no texts");
            }
        } else if (column != null || idColumn != null || format != null) {
            throw new ParameterException(spec.commandLine(), "--column, --id-column and --format apply to --input files");
        }

        try (Engine engine = modelOptions.open(ModelResolver.standard(), defaultModel());
             Writer writer = openOutput()) {
            Task modelTask = engine.info().task();
            if (task != null && task != modelTask) {
                throw new PeregrineException(ErrorKind.WRONG_TASK, "model '" + engine.info().name() + "' does "
                        + modelTask.id() + ", not " + task.id() + " (choose another --model)");
            }
            boolean norm = normalize != null ? normalize : engine.info().normalize();
            ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            try (Progress bar = Progress.bar(spec.commandLine().getErr(), "predict", total, "texts",
                    file != null && !noProgress)) {
                long index = 0;
                Iterator<List<TextRecord>> chunks = chunks(file);
                while (chunks.hasNext()) {
                    List<TextRecord> chunk = chunks.next();
                    List<String> chunkTexts = chunk.stream().map(TextRecord::text).toList();
                    List<EncodedText> encoded = engine.encode(chunkTexts);
                    float[][] rows = engine.run(encoded, bar::stepBy);
                    for (int i = 0; i < chunk.size(); i++) {
                        writeLine(json, writer, engine, index++, chunk.get(i), encoded.get(i), rows[i], norm);
                    }
                }
            }
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + (output == null ? "output" : output) + ": " + e.getMessage(), e);
        }
    }

    /** With no --model: the default classifier for --task classification, else the default embedder. */
    private String defaultModel() {
        return task == Task.CLASSIFICATION ? DEFAULT_CLASSIFIER : EmbeddedModels.DEFAULT_MODEL;
    }

    private Writer openOutput() throws IOException {
        if (output == null) {
            return new NonClosingWriter(spec.commandLine().getOut());
        }
        Path parent = output.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        return new BufferedWriter(Files.newBufferedWriter(output, StandardCharsets.UTF_8), 1 << 16);
    }

    private Iterator<List<TextRecord>> chunks(TextDataFile file) {
        if (file == null) {
            return List.of(texts.stream().map(TextRecord::of).toList()).iterator();
        }
        Stream<TextRecord> stream = file.stream();
        Iterator<TextRecord> records = stream.iterator();
        return new Iterator<>() {
            @Override
            public boolean hasNext() {
                boolean more = records.hasNext();
                if (!more) {
                    stream.close();
                }
                return more;
            }

            @Override
            public List<TextRecord> next() {
                List<TextRecord> chunk = new ArrayList<>(CHUNK);
                while (chunk.size() < CHUNK && records.hasNext()) {
                    chunk.add(records.next());
                }
                return chunk;
            }
        };
    }

    private void writeLine(ObjectMapper json, Writer writer, Engine engine, long index, TextRecord record,
                           EncodedText encoded, float[] row, boolean norm) throws IOException {
        try (JsonGenerator g = json.getFactory().createGenerator(writer)) {
            g.writeStartObject();
            g.writeNumberField("index", index);
            if (record.id() != null) {
                g.writeStringField("id", record.id());
            }
            g.writeNumberField("tokens", encoded.length());
            g.writeBooleanField("truncated", encoded.truncated());
            if (engine.info().task() == Task.EMBEDDING) {
                float[] v = norm ? Vectors.normalizeInPlace(row) : row;
                g.writeArrayFieldStart("embedding");
                for (float x : v) {
                    g.writeNumber(x);
                }
                g.writeEndArray();
            } else {
                Classification c = engine.toClassification(row);
                g.writeStringField("label", c.label());
                g.writeNumberField("score", c.score());
                g.writeArrayFieldStart("scores");
                for (LabelScore s : topK == null ? c.ranked() : c.top(topK)) {
                    g.writeStartObject();
                    g.writeStringField("label", s.label());
                    g.writeNumberField("score", s.score());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
        }
        writer.write('\n');
    }

    /** Accepts embed/embedding and classify/classification. */
    static final class TaskConverter implements picocli.CommandLine.ITypeConverter<Task> {
        @Override
        public Task convert(String value) {
            return Task.parse(value);
        }
    }

    /** Lets results go to the command's stdout without closing it. */
    private static final class NonClosingWriter extends java.io.FilterWriter {
        NonClosingWriter(Writer out) {
            super(out);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
