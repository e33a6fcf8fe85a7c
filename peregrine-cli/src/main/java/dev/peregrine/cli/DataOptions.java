package dev.peregrine.cli;

import dev.peregrine.core.PeregrineException;
import dev.peregrine.datasets.DataFormat;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.optimize.DefaultTexts;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The texts an optimization command judges or times a model on: a user's file, or Peregrine's
 * validation set. Declared once for validate, quantize, bench and optimize.
 */
final class DataOptions {

    @Option(names = {"-d", "--data"}, paramLabel = "FILE", defaultValue = "${env:PEREGRINE_DATA}",
            description = "Texts to use: one per line (.txt), JSONL (.jsonl) or CSV/TSV with a header. "
                    + "Default: Peregrine's built-in validation set. Env: PEREGRINE_DATA.")
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

    /** The records of --data, or the built-in validation texts. */
    List<TextRecord> records() {
        if (data == null) {
            return DefaultTexts.validation().stream().map(TextRecord::of).toList();
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

    List<String> texts() {
        return records().stream().map(TextRecord::text).toList();
    }

    String describe() {
        return data == null ? "built-in validation set" : data.toString();
    }
}
