package dev.peregrine.datasets.offline;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.LabelScore;
import dev.peregrine.datasets.TextRecord;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

/**
 * One JSON line per row. Appending is natural for JSONL, so resuming keeps the complete lines an
 * earlier run wrote, cuts off a line it was killed in the middle of, and appends.
 */
public final class JsonlSink implements PredictionSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final OutputLayout layout;
    private final Writer writer;
    private final JsonFactory factory = new JsonFactory().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    private final long resumedRows;
    private final String lastId;
    private final String where;

    private JsonlSink(OutputLayout layout, Writer writer, long resumedRows, String lastId, String where) {
        this.layout = Objects.requireNonNull(layout, "layout");
        this.writer = writer;
        this.resumedRows = resumedRows;
        this.lastId = lastId;
        this.where = where;
    }

    /** Writes to a stream the caller owns (stdout); closing the sink only flushes it. */
    public static JsonlSink to(Writer out, OutputLayout layout) {
        Writer nonClosing = new java.io.FilterWriter(out) {
            @Override
            public void close() throws IOException {
                flush();
            }
        };
        return new JsonlSink(layout, nonClosing, 0, null, "output");
    }

    /**
     * Writes to a file, replacing it, or (resume) keeping its complete lines and appending.
     *
     * @throws UncheckedIOException when the file cannot be read or written
     */
    public static JsonlSink open(Path file, OutputLayout layout, boolean resume) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            long rows = 0;
            String lastId = null;
            if (resume && Files.exists(file)) {
                Tail tail = completeLines(file);
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.truncate(tail.validBytes());
                }
                rows = tail.lines();
                if (tail.lastLine() != null && layout.idColumn() != null) {
                    JsonNode id = JSON.readTree(tail.lastLine()).get("id");
                    lastId = id == null || id.isNull() ? null : id.asText();
                }
            }
            Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(file, StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE, resume ? StandardOpenOption.APPEND : StandardOpenOption.TRUNCATE_EXISTING),
                    StandardCharsets.UTF_8), 1 << 16);
            return new JsonlSink(layout, w, rows, lastId, file.toString());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    private record Tail(long lines, long validBytes, String lastLine) {
    }

    /** Counts newline-terminated lines; bytes after the last newline are a line cut by a kill. */
    private static Tail completeLines(Path file) throws IOException {
        long lines = 0;
        long position = 0;
        long lastEnd = 0;
        long lastStart = 0;
        long prevEnd = 0;
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] == '\n') {
                        lines++;
                        lastStart = prevEnd;
                        lastEnd = position + i + 1;
                        prevEnd = lastEnd;
                    }
                }
                position += n;
            }
        }
        String lastLine = null;
        if (lines > 0) {
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocate((int) (lastEnd - lastStart));
                ch.read(bytes, lastStart);
                lastLine = new String(bytes.array(), StandardCharsets.UTF_8).strip();
            }
        }
        return new Tail(lines, lastEnd, lastLine);
    }

    @Override
    public long resumedRows() {
        return resumedRows;
    }

    @Override
    public String lastId() {
        return lastId;
    }

    @Override
    public void write(long row, TextRecord record, Prediction p) {
        try (JsonGenerator g = factory.createGenerator(writer)) {
            g.writeStartObject();
            g.writeNumberField("index", row);
            if (record.id() != null) {
                g.writeStringField("id", record.id());
            }
            g.writeNumberField("tokens", p.tokens());
            g.writeBooleanField("truncated", p.truncated());
            if (layout.task() == Task.EMBEDDING) {
                g.writeArrayFieldStart("embedding");
                for (float x : p.values()) {
                    g.writeNumber(x);
                }
                g.writeEndArray();
            } else {
                Classification c = Classification.of(layout.labels(), p.values());
                g.writeStringField("label", c.label());
                g.writeNumberField("score", c.score());
                g.writeArrayFieldStart("scores");
                for (LabelScore s : layout.topK() == null ? c.ranked() : c.top(layout.topK())) {
                    g.writeStartObject();
                    g.writeStringField("label", s.label());
                    g.writeNumberField("score", s.score());
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            g.writeEndObject();
            g.flush();
            writer.write('\n');
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void checkpoint() {
        flush();
    }

    @Override
    public void finish() {
        flush();
    }

    private void flush() {
        try {
            writer.flush();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + where + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            writer.close();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot close " + where + ": " + e.getMessage(), e);
        }
    }
}
