package dev.peregrine.cli;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Progress of a long command on its stderr (never stdout, which may carry results).
 *
 * <p>On a terminal it is a bar redrawn in place at most every {@value #REDRAW_MILLIS} ms, with the
 * count, the rate and the time left; when stderr is a file or a pipe (CI logs, {@code 2> log}) it is
 * a line each time another tenth of the work is done, or every {@value #LINE_SECONDS} s when that
 * takes longer, so logs show progress without a screenful of carriage returns. Either way it ends
 * with one summary line (count, time, rate) and a newline.
 *
 * <p>Thread-safe: a download thread may step it while the main thread closes it.
 *
 * <p>Why not the progressbar library used before: it had no line mode for non-terminals, showed
 * {@code ?} as the rate on short runs and left the cursor on the bar's line; the rendering here is a
 * few lines, the decisions (when to draw, what a rate is) are the part that matters.
 */
final class Progress implements AutoCloseable {

    /** Terminal bars are redrawn at most this often. */
    static final int REDRAW_MILLIS = 200;
    /** Non-terminal lines come at least this often while work is slower than a tenth per interval. */
    static final int LINE_SECONDS = 10;
    private static final int BAR_WIDTH = 24;

    private final PrintWriter err;
    private final String task;
    private final String unit;
    private final double unitScale;
    private final boolean enabled;
    private final boolean terminal;
    private final LongSupplier nanoTime;
    private final long start;
    private long total;
    private long done;
    private long lastDraw;
    private int lastTenth;
    private boolean closed;
    private String detail = "";

    Progress(PrintWriter err, String task, long total, String unit, double unitScale, boolean enabled,
             boolean terminal, LongSupplier nanoTime) {
        this.err = err;
        this.task = task;
        this.total = Math.max(0, total);
        this.unit = unit;
        this.unitScale = unitScale;
        this.enabled = enabled;
        this.terminal = terminal;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
        this.lastDraw = start;
        if (enabled && terminal) {
            draw(start);
        }
    }

    /**
     * Progress counting {@code unit}s up to {@code total}.
     *
     * @param enabled false for {@code --no-progress}: it still counts but prints nothing
     */
    static Progress bar(PrintWriter err, String task, long total, String unit, boolean enabled) {
        return new Progress(err, task, total, unit, 1, enabled, isTerminal(err), System::nanoTime);
    }

    /** Progress counting bytes up to {@code totalBytes}, shown in MB. */
    static Progress bytes(PrintWriter err, String task, long totalBytes, boolean enabled) {
        return new Progress(err, task, totalBytes, "MB", 1 << 20, enabled, isTerminal(err), System::nanoTime);
    }

    /** True when {@code err} is the process's stderr and that is a terminal (see {@link TerminalWriter}). */
    static boolean isTerminal(PrintWriter err) {
        return err instanceof TerminalWriter;
    }

    /** Adds {@code n} finished units. */
    synchronized void stepBy(long n) {
        if (closed || n <= 0) {
            return;
        }
        done += n;
        maybeDraw();
    }

    /** Sets the finished count (never backwards). */
    synchronized void stepTo(long n) {
        if (!closed && n > done) {
            done = n;
            maybeDraw();
        }
    }

    /** A short note shown after the counts (for example the current loss); empty for none. */
    synchronized void detail(String text) {
        detail = text == null || text.isBlank() ? "" : ", " + text.strip();
    }

    /** Changes the total, e.g. when a restarted download has more to fetch. */
    synchronized void maxHint(long newTotal) {
        total = Math.max(0, newTotal);
    }

    synchronized long getMax() {
        return total;
    }

    synchronized long getCurrent() {
        return done;
    }

    /** Prints the summary line (or finishes the bar's line); nothing when nothing was done. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!enabled) {
            return;
        }
        if (done == 0) {
            // Nothing happened (it failed before the first unit): a summary would only be noise.
            if (terminal) {
                err.print("\r" + " ".repeat(lineWidth()) + "\r");
                err.flush();
            }
            return;
        }
        long now = nanoTime.getAsLong();
        double seconds = Math.max(1e-9, (now - start) / 1e9);
        String summary = task + ": " + count(done) + (total > 0 && done != total ? "/" + count(total) : "")
                + " " + unit + " in " + duration(seconds) + ", " + rate(done / seconds);
        if (terminal) {
            err.print("\r" + pad(summary, lineWidth()) + "\n");
        } else {
            err.println(summary);
        }
        err.flush();
    }

    private void maybeDraw() {
        if (!enabled) {
            return;
        }
        long now = nanoTime.getAsLong();
        if (terminal) {
            if (now - lastDraw >= REDRAW_MILLIS * 1_000_000L || (total > 0 && done >= total)) {
                draw(now);
            }
            return;
        }
        int tenth = total > 0 ? (int) Math.min(10, done * 10 / total) : 0;
        boolean newTenth = tenth > lastTenth && tenth < 10;
        if (newTenth || now - lastDraw >= LINE_SECONDS * 1_000_000_000L) {
            lastTenth = Math.max(lastTenth, tenth);
            lastDraw = now;
            err.println(status(now));
            err.flush();
        }
    }

    private void draw(long now) {
        lastDraw = now;
        String line = status(now);
        if (total > 0) {
            int filled = (int) Math.min(BAR_WIDTH, done * BAR_WIDTH / total);
            line = task + " [" + "=".repeat(filled) + (filled < BAR_WIDTH ? ">" : "")
                    + " ".repeat(Math.max(0, BAR_WIDTH - filled - 1)) + "] " + line.substring(task.length() + 2);
        }
        err.print("\r" + pad(line, lineWidth()));
        err.flush();
    }

    /** "task: 320/529 texts (60%), 41.2 texts/s, 5 s left". */
    String status(long now) {
        double seconds = (now - start) / 1e9;
        StringBuilder s = new StringBuilder(task).append(": ").append(count(done));
        if (total > 0) {
            s.append('/').append(count(total)).append(' ').append(unit)
                    .append(String.format(Locale.ROOT, " (%d%%)", done * 100 / total));
        } else {
            s.append(' ').append(unit);
        }
        if (done > 0 && seconds > 0) {
            double perSecond = done / seconds;
            s.append(", ").append(rate(perSecond));
            if (total > done) {
                s.append(", ").append(duration((total - done) / perSecond)).append(" left");
            }
        } else {
            s.append(", starting");
        }
        return s.append(detail).toString();
    }

    private String count(long n) {
        return unitScale == 1 ? Long.toString(n) : String.format(Locale.ROOT, "%.1f", n / unitScale);
    }

    private String rate(double perSecond) {
        double scaled = perSecond / unitScale;
        String number = scaled >= 100 ? String.format(Locale.ROOT, "%.0f", scaled)
                : String.format(Locale.ROOT, "%.1f", scaled);
        return number + " " + unit + "/s";
    }

    /** Human durations: "850 ms", "12 s", "3 min 05 s", "1 h 02 min". */
    static String duration(double seconds) {
        if (seconds < 1) {
            return Math.round(seconds * 1000) + " ms";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + " s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%d h %02d min", s / 3600, (s % 3600) / 60);
    }

    private static int lineWidth() {
        String columns = System.getenv("COLUMNS");
        try {
            return columns == null ? 100 : Math.max(40, Integer.parseInt(columns.trim()) - 1);
        } catch (NumberFormatException e) {
            return 100;
        }
    }

    private static String pad(String line, int width) {
        return line.length() >= width ? line.substring(0, width) : line + " ".repeat(width - line.length());
    }

    /**
     * The process's stderr when it is a terminal; {@link Main#main} wraps stderr in this only then,
     * so tests and redirected runs get line mode.
     */
    static final class TerminalWriter extends PrintWriter {
        TerminalWriter(java.io.Writer out) {
            super(out, true);
        }

        /** Whether file descriptor 2 of this process is a terminal (Linux /proc; false elsewhere). */
        static boolean stderrIsTerminal() {
            try {
                String target = Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString();
                return target.startsWith("/dev/pts/") || target.startsWith("/dev/tty");
            } catch (java.io.IOException | UnsupportedOperationException | SecurityException e) {
                return System.console() != null;
            }
        }
    }
}
