package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.optimize.bench.ReportFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Supplier;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/**
 * How a measuring command (bench, profile) reports: the text format on stdout, a copy in a file, an
 * HTML report with charts, and whether progress goes to stderr. Declared once for all of them.
 */
final class ReportOptions {

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "table",
            converter = BenchCommand.FormatConverter.class,
            description = "Report format on stdout: table, json or markdown. Default: ${DEFAULT-VALUE}.")
    ReportFormat format;

    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Also write the report to this file.")
    Path output;

    @Option(names = "--report", paramLabel = "FILE.html",
            description = "Also write a self-contained HTML report with charts (works offline).")
    Path report;

    @Option(names = "--no-progress", description = "Do not print progress to stderr.")
    boolean noProgress;

    /** Prints the text report to stdout and, with --output, to the file. */
    void print(CommandSpec spec, String text) {
        PrintWriter out = spec.commandLine().getOut();
        out.print(text);
        out.flush();
        if (output != null) {
            write(output, text);
        }
    }

    /** With --report, writes the HTML the supplier builds and says where it went. */
    void writeHtml(PrintWriter err, Supplier<String> html) {
        if (report != null) {
            write(report, html.get());
            err.println("report: " + report.toAbsolutePath());
            err.flush();
        }
    }

    static void write(Path file, String text) {
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
