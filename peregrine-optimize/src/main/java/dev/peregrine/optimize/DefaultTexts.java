package dev.peregrine.optimize;

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
     * The texts fidelity is checked on (validate, quantize, optimize) and bench runs by default.
     * Interim set of 106 varied texts until the datasets module's shipped validation set is merged;
     * then this becomes {@code return Datasets.validation().stream().map(TextRecord::text).toList();}.
     */
    public static List<String> validation() {
        return resource("validation-interim.txt");
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
