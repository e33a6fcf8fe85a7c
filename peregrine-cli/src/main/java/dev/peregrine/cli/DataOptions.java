package dev.peregrine.cli;

import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.DefaultTexts;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The texts an optimization command judges or times a model on: a user's file, the model's own
 * held-out texts ({@link ModelFolder#HELD_OUT_FILE}), or Peregrine's validation set. Declared once for validate, quantize, bench and optimize.
 */
final class DataOptions {

    @Option(names = {"-d", "--data"}, paramLabel = "FILE", defaultValue = "${env:PEREGRINE_DATA}",
            description = "Texts to use: one per line (.txt), JSONL (.jsonl) or CSV/TSV with a header. "
                    + "Default: the model's own held-out texts (validation.jsonl in its folder, written by train), "
                    + "else Peregrine's built-in validation set. Env: PEREGRINE_DATA.")
    Path data;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data: text, jsonl, csv or tsv. Default: from the file extension.")
    String dataFormat;

    @Option(names = {"-c", "--column", "--text-column"}, paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String column;

    @Option(names = "--label-column", paramLabel = "NAME",
            description = "JSONL field or CSV column holding the gold label (classifiers: accuracy is reported). "
                    + "Default: label (when the file has such a column).")
    String labelColumn;

    /** The records of --data, else the model's held-out texts, else the built-in validation texts. */
    List<TextRecord> records(ModelFolder model) {
        Path file = source(model);
        if (file == null) {
            return DefaultTexts.validation().stream().map(TextRecord::of).toList();
        }
        if (data == null) {
            return TextDataFile.at(file).labelField(DEFAULT_LABEL_COLUMN).build().readAll();
        }
        if (labelColumn == null) {
            // The default label column is used when the file has one; a file without labels is fine.
            try {
                return read(DEFAULT_LABEL_COLUMN);
            } catch (PeregrineException e) {
                return read(null);
            }
        }
        return read(labelColumn);
    }

    /** The label column read when --label-column is not given and the file has it. */
    static final String DEFAULT_LABEL_COLUMN = "label";

    private List<TextRecord> read(String labelField) {
        return TextDataFile.at(data)
                .format(dataFormat == null ? null : DataFormat.parse(dataFormat))
                .textField(column)
                .labelField(labelField)
                .build()
                .readAll();
    }

    /** The texts of {@link #records(ModelFolder)}. */
    List<String> texts(ModelFolder model) {
        return records(model).stream().map(TextRecord::text).toList();
    }

    /** What {@link #records(ModelFolder)} reads, for reports. */
    String describe(ModelFolder model) {
        Path file = source(model);
        if (file == null) {
            return "built-in validation set";
        }
        return data == null ? "the model's held-out texts (" + file + ")" : data.toString();
    }

    private Path source(ModelFolder model) {
        if (data != null) {
            return data;
        }
        return model == null ? null : model.heldOutData().orElse(null);
    }
}
