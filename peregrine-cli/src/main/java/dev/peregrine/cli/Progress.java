package dev.peregrine.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** Progress bars on the command's stderr (never stdout, which may carry results). */
final class Progress {

    private Progress() {
    }

    /**
     * A bar counting {@code unit}s up to {@code total}; disabled bars cost nothing.
     *
     * @param enabled false for {@code --no-progress} (the bar still counts, but draws nothing)
     */
    static ProgressBar bar(PrintWriter err, String task, long total, String unit, boolean enabled) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, 1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .continuousUpdate();
        if (enabled) {
            b.setConsumer(new ConsoleProgressBarConsumer(asStream(err)));
        } else {
            b.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }));
        }
        return b.build();
    }

    /** A bar counting bytes up to {@code totalBytes}, drawn in MB with the transfer speed. */
    static ProgressBar bytes(PrintWriter err, String task, long totalBytes, boolean enabled) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(totalBytes)
                .setUnit(" MB", 1 << 20)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(250)
                .showSpeed()
                .continuousUpdate();
        if (enabled) {
            b.setConsumer(new ConsoleProgressBarConsumer(asStream(err)));
        } else {
            b.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(line -> { }));
        }
        return b.build();
    }

    private static PrintStream asStream(PrintWriter writer) {
        return new PrintStream(new OutputStream() {
            @Override
            public void write(int b) {
                writer.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writer.write(new String(b, off, len, StandardCharsets.UTF_8));
            }

            @Override
            public void flush() {
                writer.flush();
            }
        }, true, StandardCharsets.UTF_8);
    }
}
