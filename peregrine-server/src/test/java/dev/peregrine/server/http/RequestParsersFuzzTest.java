package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.peregrine.core.Texts;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;

/**
 * Fuzzes the request parsers of every wire format (issue 10, finding 7): whatever the bytes, the
 * answer is a validated body or a typed client error (4xx), never a 5xx or another exception.
 *
 * <p>Input layout: byte 0 picks the wire format, byte 1 the {@code Content-Encoding} (none, gzip,
 * identity, br), the rest is the body. Without {@code JAZZER_FUZZ} (as in CI) this replays the seeds
 * in {@code RequestParsersFuzzTestInputs/parsersAnswerEveryBodyWithABodyOrAClientError/} as plain
 * tests; {@code JAZZER_FUZZ=1} fuzzes (docs/serving.md, "Fuzzing the request parsers").
 */
@Tag("fuzz")
class RequestParsersFuzzTest {

    private static final long MAX_BODY = 64 * 1024;
    private static final int MAX_INPUTS = 32;
    private static final String[] ENCODINGS = {null, "gzip", "identity", "br"};

    @FuzzTest(maxDuration = "5m")
    void parsersAnswerEveryBodyWithABodyOrAClientError(byte[] input) {
        if (input.length < 2) {
            return;
        }
        WireFormat format = WireFormat.values()[Math.floorMod(input[0], WireFormat.values().length)];
        String encoding = ENCODINGS[Math.floorMod(input[1], ENCODINGS.length)];
        byte[] body = Arrays.copyOfRange(input, 2, input.length);
        Object parsed;
        try {
            parsed = format.parse(encoding, body, MAX_BODY, MAX_INPUTS);
        } catch (ApiException e) {
            assertThat(e.error().status()).as(format + ": " + e.getMessage()).isBetween(400, 499);
            assertThat(JsonOutput.error(e).length()).as("error bodies stay short").isLessThan(2 * Echo.MAX_MESSAGE_CHARS);
            return;
        }
        List<String> texts = texts(parsed);
        assertThat(texts).isNotEmpty().hasSizeLessThanOrEqualTo(MAX_INPUTS);
        assertThat(texts).noneMatch(Texts::isBlank);
    }

    /** Texts as given, or one stand-in per id list (each non-empty, every id a non-negative int). */
    private static List<String> texts(TextsOrIds inputs) {
        if (inputs.ids().isEmpty()) {
            return inputs.texts();
        }
        for (long[] ids : inputs.ids()) {
            assertThat(ids).isNotEmpty();
            for (long id : ids) {
                assertThat(id).isBetween(0L, (long) Integer.MAX_VALUE);
            }
        }
        return inputs.ids().stream().map(ids -> "ids").toList();
    }

    private static List<String> texts(Object parsed) {
        if (parsed instanceof InferenceRoutes.ClassifyBody b) {
            return b.texts();
        }
        if (parsed instanceof InferenceRoutes.EmbedBody b) {
            return texts(b.inputs());
        }
        if (parsed instanceof InferenceRoutes.PredictBody b) {
            return b.texts();
        }
        if (parsed instanceof OpenAiRoutes.EmbeddingsBody b) {
            return texts(b.input());
        }
        return ((KServeRoutes.InferBody) parsed).texts();
    }
}
