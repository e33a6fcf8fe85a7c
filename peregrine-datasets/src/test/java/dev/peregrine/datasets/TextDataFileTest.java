package dev.peregrine.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextDataFileTest {

    @TempDir
    Path dir;

    @Test
    void plainText_isOneTextPerLine_skippingBlankLines() throws IOException {
        Path f = write("in.txt", "\uFEFFfirst\n\n  \nsecond, with comma\n");
        List<TextRecord> records = TextDataFile.at(f).build().readAll();
        assertThat(records).extracting(TextRecord::text).containsExactly("first", "second, with comma");
        assertThat(records).extracting(TextRecord::line).containsExactly(1L, 4L);
    }

    @Test
    void jsonl_readsTextLabelAndId_fromNamedFields() throws IOException {
        Path f = write("in.jsonl", """
                {"body": "refund please", "y": "billing", "ticket": 17}
                {"body": "app crashes", "y": "technical", "ticket": 18}
                """);
        List<TextRecord> records = TextDataFile.at(f).textField("body").labelField("y").idField("ticket").build().readAll();
        assertThat(records).containsExactly(
                new TextRecord(1, "refund please", "billing", "17"),
                new TextRecord(2, "app crashes", "technical", "18"));
    }

    @Test
    void jsonlOfBareStrings_isAccepted() throws IOException {
        Path f = write("in.jsonl", "\"one\"\n\"two\"\n");
        assertThat(TextDataFile.at(f).build().readAll()).extracting(TextRecord::text).containsExactly("one", "two");
    }

    @Test
    void csv_handlesQuotedCommasAndNewlines() throws IOException {
        Path f = write("in.csv", "id,text,label\n1,\"hello, world\",a\n2,\"two\nlines\",b\n");
        List<TextRecord> records = TextDataFile.at(f).labelField("label").build().readAll();
        assertThat(records).extracting(TextRecord::text).containsExactly("hello, world", "two\nlines");
        assertThat(records).extracting(TextRecord::label).containsExactly("a", "b");
    }

    @Test
    void tsv_isDetectedFromTheExtension() throws IOException {
        Path f = write("in.tsv", "text\tother\nalpha\t1\n");
        TextDataFile file = TextDataFile.at(f).build();
        assertThat(file.format()).isEqualTo(DataFormat.TSV);
        assertThat(file.readAll()).extracting(TextRecord::text).containsExactly("alpha");
    }

    @Test
    void count_streamsWithoutKeepingRecords() throws IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 5000; i++) {
            sb.append("text ").append(i).append('\n');
        }
        assertThat(TextDataFile.at(write("big.txt", sb.toString())).build().count()).isEqualTo(5000);
    }

    @Test
    void errors_nameTheFileAndLine() throws IOException {
        expect(() -> TextDataFile.at(dir.resolve("nope.txt")).build().readAll(), "no such input file");
        expect(() -> TextDataFile.at(write("empty.txt", "\n\n")).build().readAll(), "has no texts");
        expect(() -> TextDataFile.at(write("a.csv", "a,b\n1,2\n")).build().readAll(),
                "column 'text' not found", "(columns: a, b)");
        expect(() -> TextDataFile.at(write("b.jsonl", "{\"text\":\"ok\"}\n{broken\n")).build().readAll(),
                "b.jsonl line 2 is not valid JSON");
        expect(() -> TextDataFile.at(write("c.jsonl", "{\"txt\":\"x\"}\n")).build().readAll(),
                "line 1 has no 'text' field (fields: txt)");
        expect(() -> TextDataFile.at(write("d.jsonl", "{\"text\":5}\n")).build().readAll(),
                "field 'text' is number, not a string");
        expect(() -> TextDataFile.at(write("e.csv", "text,label\nx,a\ny\n")).labelField("label").build().readAll(),
                "line 3 has 1 fields but the header has 2");
        expect(() -> TextDataFile.at(write("f.txt", "x\n")).labelField("label").build().readAll(),
                "has no label or id columns");
        Path latin1 = dir.resolve("g.txt");
        Files.write(latin1, new byte[] {'o', 'k', '\n', (byte) 0xE9, '\n'});
        expect(() -> TextDataFile.at(latin1).build().readAll(), "is not UTF-8 text (bad bytes at or after line");
    }

    private Path write(String name, String content) throws IOException {
        return Files.writeString(dir.resolve(name), content);
    }

    private static void expect(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String... fragments) {
        assertThatThrownBy(call).isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.INVALID_INPUT))
                .satisfies(e -> {
                    for (String f : fragments) {
                        assertThat(e.getMessage()).contains(f);
                    }
                });
    }
}
