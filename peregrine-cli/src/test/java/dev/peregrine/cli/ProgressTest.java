package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressTest {

    private final AtomicLong now = new AtomicLong(1_000_000_000L);
    private final StringWriter text = new StringWriter();

    private Progress progress(boolean terminal, long total) {
        return new Progress(new PrintWriter(text, true), "predict", total, "texts", 1, true, terminal, now::get);
    }

    private void advance(double seconds) {
        now.addAndGet((long) (seconds * 1e9));
    }

    @Test
    void notATerminal_printsALineEachTenthWithRateAndTimeLeft_thenOneSummary() {
        try (Progress p = progress(false, 529)) {
            for (int batch = 0; batch < 17; batch++) {
                advance(0.5);
                p.stepBy(Math.min(32, 529 - batch * 32));
            }
        }
        List<String> lines = text.toString().lines().toList();
        assertThat(lines).hasSizeGreaterThan(5);
        assertThat(lines).doesNotHaveDuplicates();
        assertThat(lines.get(0)).startsWith("predict: 64/529 texts (12%), 64.0 texts/s, 7 s left");
        assertThat(lines.get(lines.size() - 1)).isEqualTo("predict: 529 texts in 9 s, 62.2 texts/s");
        assertThat(text.toString()).doesNotContain("\r").endsWith(System.lineSeparator());
    }

    @Test
    void notATerminal_slowWork_stillPrintsEveryIntervalWithoutATotal() {
        try (Progress p = progress(false, 0)) {
            advance(Progress.LINE_SECONDS + 1);
            p.stepBy(5);
            advance(1);
            p.stepBy(5);
            advance(Progress.LINE_SECONDS);
            p.stepBy(5);
        }
        List<String> lines = text.toString().lines().toList();
        assertThat(lines).containsExactly(
                "predict: 5 texts, 0.5 texts/s",
                "predict: 15 texts, 0.7 texts/s",
                "predict: 15 texts in 22 s, 0.7 texts/s");
    }

    @Test
    void terminal_redrawsInPlace_andEndsWithANewline() {
        try (Progress p = progress(true, 100)) {
            advance(0.3);
            p.stepBy(50);
            advance(0.05);
            p.stepBy(10);
            advance(0.3);
            p.stepBy(40);
        }
        String drawn = text.toString();
        assertThat(drawn).contains("\rpredict [============>").contains("50/100 texts (50%)").contains("left");
        assertThat(drawn).doesNotContain("60/100").as("redraws are throttled");
        assertThat(drawn).contains("predict: 100 texts in 650 ms, 154 texts/s").endsWith("\n");
    }

    @Test
    void closedBeforeAnyWork_leavesNoSummary() {
        progress(false, 10).close();
        assertThat(text.toString()).isEmpty();
        progress(true, 10).close();
        String drawn = text.toString();
        String lastScreen = drawn.substring(drawn.lastIndexOf('\r', drawn.length() - 2));
        assertThat(lastScreen).as("the bar's line is erased").isBlank();
        assertThat(drawn).doesNotContain(" in ");
    }

    @Test
    void disabled_countsButPrintsNothing() {
        Progress p = new Progress(new PrintWriter(text, true), "x", 10, "texts", 1, false, true, now::get);
        p.stepBy(4);
        p.close();
        assertThat(p.getCurrent()).isEqualTo(4);
        assertThat(text.toString()).isEmpty();
    }
}
