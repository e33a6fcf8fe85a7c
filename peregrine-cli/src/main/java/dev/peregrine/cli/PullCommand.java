package dev.peregrine.cli;

import dev.peregrine.core.hub.HubModelId;
import dev.peregrine.core.hub.HubOptions;
import dev.peregrine.core.hub.ModelPuller;
import dev.peregrine.core.hub.PullListener;
import dev.peregrine.core.hub.PullResult;
import dev.peregrine.core.hub.RepoFile;
import dev.peregrine.core.model.PeregrineHome;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/** Downloads a model from the Hugging Face Hub into the cache, where {@code --model ORG/NAME} finds it. */
@Command(name = "pull", mixinStandardHelpOptions = true,
        description = {
            "Download a model from the Hugging Face Hub, for use as --model ORG/NAME[@REVISION].",
            "",
            "Fetches the tokenizer, the config files and one ONNX graph (with its external data), nothing else.",
            "Interrupted downloads resume; files are checked against the hub's sizes and SHA-256; a second pull",
            "of the same model downloads nothing. Files go to $PEREGRINE_HOME/hub/ORG/NAME[@REVISION]",
            "(default ~/.cache/peregrine). See docs/pull.md.",
        })
final class PullCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Parameters(index = "0", paramLabel = "ORG/NAME[@REVISION]", converter = HubModelIdConverter.class,
            description = "The model repository, e.g. sentence-transformers/all-MiniLM-L6-v2; "
                    + "REVISION is a branch, tag or commit (default: main).")
    HubModelId model;

    @Option(names = "--variant", paramLabel = "NAME",
            description = "ONNX variant to fetch, e.g. quantized for onnx/model_quantized.onnx. "
                    + "Default: model.onnx (or onnx/model.onnx).")
    String variant;

    @Option(names = "--all-variants", description = "Fetch every ONNX graph of the repository.")
    boolean allVariants;

    @Option(names = "--endpoint", paramLabel = "URL", defaultValue = "${env:" + HubOptions.ENDPOINT_ENV + "}",
            description = "The hub's URL. Default: " + HubOptions.DEFAULT_ENDPOINT + ". Env: "
                    + HubOptions.ENDPOINT_ENV + ".")
    String endpoint;

    @Option(names = "--token", paramLabel = "TOKEN", defaultValue = "${env:" + HubOptions.TOKEN_ENV + "}",
            description = "Access token for gated or private models, sent to the hub only (not to its download "
                    + "CDN) and never printed. Prefer the environment variable: command lines are visible to "
                    + "other users. Env: " + HubOptions.TOKEN_ENV + ".")
    String token;

    @Option(names = {"-q", "--quiet"}, description = "No progress and no summary: print only the model folder.")
    boolean quiet;

    @Override
    public void run() {
        if (allVariants && variant != null) {
            throw new ParameterException(spec.commandLine(), "give --variant or --all-variants, not both");
        }
        HubOptions options;
        try {
            options = HubOptions.builder().endpoint(endpoint).token(token).build();
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        ModelPuller puller = new ModelPuller(PeregrineHome.fromEnvironment(), options);
        PullResult result;
        try (BarListener listener = new BarListener(err, !quiet)) {
            result = puller.pull(model, variant, allVariants, listener);
        }
        if (quiet) {
            out.println(result.folder());
        } else {
            printSummary(out, result);
        }
        out.flush();
    }

    private void printSummary(PrintWriter out, PullResult r) {
        out.println("Pulled " + r.model() + " (commit " + r.commit().substring(0, Math.min(12, r.commit().length()))
                + ") into " + r.folder());
        if (r.downloaded() == 0) {
            out.println("  all " + r.files().size() + " files already present, nothing downloaded");
        } else {
            out.println("  " + files(r.downloaded()) + " downloaded (" + megabytes(r.bytesDownloaded()) + ")"
                    + (r.skipped() > 0 ? ", " + r.skipped() + " already present" : ""));
        }
        String variantFlag = variant != null ? " --variant " + variant : "";
        out.println("Use it:  peregrine predict -m " + r.model() + variantFlag + " \"some text\"");
        out.println("         peregrine info -m " + r.model() + variantFlag);
    }

    private static String files(int n) {
        return n == 1 ? "1 file" : n + " files";
    }

    private static String megabytes(long bytes) {
        return bytes < 1 << 20 ? String.format(Locale.ROOT, "%.1f KB", bytes / 1024.0)
                : String.format(Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }

    /** Draws the transfer on stderr and notes retries; the bar appears once the files to fetch are known. */
    private static final class BarListener implements PullListener, AutoCloseable {
        private final PrintWriter err;
        private final boolean enabled;
        private volatile Progress bar;

        BarListener(PrintWriter err, boolean enabled) {
            this.err = err;
            this.enabled = enabled;
        }

        @Override
        public void planned(List<RepoFile> toFetch, long bytes, List<RepoFile> present) {
            if (enabled && !toFetch.isEmpty()) {
                bar = Progress.bytes(err, "pull", bytes, true);
            }
        }

        @Override
        public void bytesReceived(long count) {
            Progress b = bar;
            if (b != null) {
                b.stepBy(count);
            }
        }

        @Override
        public void restarted(RepoFile file, long discarded) {
            Progress b = bar;
            if (b != null) {
                b.maxHint(b.getMax() + discarded);
            }
        }

        @Override
        public void retrying(String what, int attempt, int maxAttempts, Duration wait, String reason) {
            if (enabled) {
                err.println();
                String in = wait.toMillis() < 1000 ? wait.toMillis() + " ms"
                        : String.format(Locale.ROOT, "%.0f s", wait.toMillis() / 1000.0);
                err.println("peregrine: " + reason + "; retrying " + what + " in " + in
                        + " (attempt " + attempt + " of " + maxAttempts + ")");
                err.flush();
            }
        }

        @Override
        public void close() {
            Progress b = bar;
            if (b != null) {
                b.close();
            }
        }
    }

    /** Turns ORG/NAME[@REVISION] into a {@link HubModelId}; a malformed id is a usage error. */
    static final class HubModelIdConverter implements ITypeConverter<HubModelId> {
        @Override
        public HubModelId convert(String value) {
            try {
                return HubModelId.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage());
            }
        }
    }
}
