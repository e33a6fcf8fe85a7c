package dev.peregrine.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Bad training data and bad encoders get one clear error each. */
class TrainDataErrorsTest {

    @TempDir
    Path dir;

    @Test
    void singleClass_isRejected() {
        List<TextRecord> data = List.of(rec(1, "a", "billing"), rec(2, "b", "billing"), rec(3, "c", "billing"));
        expect(() -> Trainer.checkLabels(data), ErrorKind.INVALID_INPUT, "all 3 texts have the label 'billing'");
    }

    @Test
    void labelWithOneExample_isNamedWithItsLine() {
        List<TextRecord> data = List.of(rec(1, "a", "billing"), rec(2, "b", "billing"), rec(3, "c", "account"));
        expect(() -> Trainer.checkLabels(data), ErrorKind.INVALID_INPUT, "label 'account' has only one example (line 3)");
    }

    @Test
    void emptyLabel_andNoTexts_areRejected() {
        expect(() -> Trainer.checkLabels(List.of(rec(4, "a", " "))), ErrorKind.INVALID_INPUT, "line 4 has no label");
        expect(() -> Trainer.checkLabels(List.of()), ErrorKind.INVALID_INPUT, "no texts");
    }

    @Test
    void missingLabelColumn_andEmptyFile_comeFromTheReader() throws Exception {
        Path csv = Files.writeString(dir.resolve("t.csv"), "text,category\nhello,a\n");
        expect(() -> TextDataFile.at(csv).labelField("label").build().readAll(), ErrorKind.INVALID_INPUT,
                "column 'label' not found");
        Path empty = Files.writeString(dir.resolve("e.jsonl"), "");
        expect(() -> TextDataFile.at(empty).labelField("label").build().readAll(), ErrorKind.INVALID_INPUT, "has no texts");
    }

    @Test
    void unknownEncoder_andClassifierAsEncoder_areRejected() throws Exception {
        expect(() -> Fixtures.resolver().resolve("no-such-encoder"), ErrorKind.MODEL_NOT_FOUND, "no-such-encoder");
        Path clf = Fixtures.tinyClassifier(dir.resolve("clf"), Fixtures.TinyWeights.of(2, 1), List.of("x", "y"), false);
        try (var engine = Trainer.openEncoder(dev.peregrine.core.model.ModelFolder.open(clf))) {
            List<TextRecord> data = List.of(rec(1, "a", "x"), rec(2, "b", "x"), rec(3, "c", "y"), rec(4, "d", "y"));
            expect(() -> Trainer.features(engine, data, List.of("x", "y"), null), ErrorKind.WRONG_TASK, "is a classifier");
        }
    }

    private static TextRecord rec(long line, String text, String label) {
        return new TextRecord(line, text, label, null);
    }

    private static void expect(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, ErrorKind kind, String message) {
        assertThatThrownBy(call).isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(kind))
                .hasMessageContaining(message);
    }
}
