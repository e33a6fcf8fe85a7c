package dev.peregrine.cli;

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

    @Option(names = "--data", paramLabel = "FILE", defaultValue = "${env:PEREGRINE_DATA}",
            description = "Texts to use: one per line (.txt), JSONL (.jsonl) or CSV/TSV with a header. "
                    + "Default: Peregrine's built-in validation set. Env: PEREGRINE_DATA.")
    Path data;

    @Option(names = "--data-format", paramLabel = "FORMAT",
            description = "Format of --data: text, jsonl, csv or tsv. Default: from the file extension.")
    String dataFormat;

    @Option(names = "--column", paramLabel = "NAME",
            description = "JSONL field or CSV column holding the text. Default: text.")
    String column;

    @Option(names = "--label-column", paramLabel = "NAME",
            description = "JSONL field or CSV column holding the gold label (classifiers: accuracy is reported). "
                    + "Default: none.")
    String labelColumn;

    /** The records of --data, or the built-in validation texts. */
    List<TextRecord> records() {
        if (data == null) {
            return DefaultTexts.validation().stream().map(TextRecord::of).toList();
        }
        return TextDataFile.at(data)
                .format(dataFormat == null ? null : DataFormat.parse(dataFormat))
                .textField(column)
                .labelField(labelColumn)
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
