package dev.peregrine.optimize;

import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextRecord;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The texts the optimizer uses when the caller gives none. Calibration and validation sets are
 * disjoint, so a quantized model is never judged on the texts it was tuned on.
 */
public final class DefaultTexts {

    private DefaultTexts() {
    }

    /**
     * 80 texts for calibration (activation ranges for smoothing): support requests, prose,
     * 15 languages, typos, emoji, code, long paragraphs.
     */
    public static List<String> calibration() {
        return resource("calibration.txt");
    }

    /**
     * The texts fidelity is checked on (validate, quantize, optimize) and bench runs by default: the
     * shipped validation set (529 texts, 15 languages, short and long, typos, emoji; see
     * {@link Datasets#validation()}).
     */
    public static List<String> validation() {
        return Datasets.validation().stream().map(TextRecord::text).toList();
    }

    private static List<String> resource(String name) {
        try (InputStream in = DefaultTexts.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()
                    .filter(l -> !l.isBlank()).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
