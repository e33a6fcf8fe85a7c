package dev.peregrine.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs the peregrine command in-process and captures what it printed. */
record CliRun(int exitCode, String out, String err) {

    static CliRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new CliRun(code, out.toString(), err.toString());
    }

    List<String> outLines() {
        return out.lines().toList();
    }

    /** stderr without progress-bar redraws. */
    String errText() {
        return err;
    }
}
