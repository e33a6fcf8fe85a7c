package dev.peregrine.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Floats written without Float.toString: valid JSON numbers that parse back to the same bits. */
class FloatTextTest {

    private static String text(float v) {
        byte[] out = new byte[FloatText.MAX_BYTES];
        int len = FloatText.write(v, out, 0);
        return new String(out, 0, len, StandardCharsets.US_ASCII);
    }

    private static void assertRoundTrips(float v) {
        String s = text(v);
        assertThat(Float.floatToRawIntBits(Float.parseFloat(s))).as("%s (bits %08x) written as %s", v,
                Float.floatToRawIntBits(v), s).isEqualTo(Float.floatToRawIntBits(v));
        assertThat(s).as("a JSON number").matches("-?(0|[1-9][0-9]*)(\\.[0-9]+)?(E-?[0-9]+)?");
    }

    @Test
    void everyKindOfFloat_parsesBackToItsOwnBits() {
        float[] edges = {0f, -0f, 1f, -1f, 0.1f, 0.5f, 1e-3f, 9.999999e-4f, 1e7f, 9999999f, 1.0000001e7f, 123456.78f,
                Float.MIN_VALUE, -Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, -Float.MAX_VALUE, 3.4028235e38f,
                1e-45f, 1.17549435E-38f, 0.033333335f, 16777216f, 16777217f, 0.2f + 0.1f};
        for (float v : edges) {
            assertRoundTrips(v);
        }
        // Around every power of ten, where the exponent estimate may be off by one.
        for (int e = -45; e <= 38; e++) {
            float p = Float.parseFloat("1e" + e);
            assertRoundTrips(p);
            assertRoundTrips(Math.nextUp(p));
            assertRoundTrips(Math.nextDown(p));
        }
        SplittableRandom random = new SplittableRandom(12);
        for (int i = 0; i < 300_000; i++) {
            float v = Float.intBitsToFloat(random.nextInt());
            if (Float.isFinite(v)) {
                assertRoundTrips(v);
            }
        }
        // Embedding-like values: small, both signs.
        for (int i = 0; i < 50_000; i++) {
            assertRoundTrips((float) random.nextGaussian() * 0.05f);
        }
    }

    @Test
    void commonValues_areWrittenAsShortAsFloatToStringWritesThem() {
        assertThat(text(0f)).isEqualTo("0.0");
        assertThat(text(-0f)).isEqualTo("-0.0");
        assertThat(text(1f)).isEqualTo("1.0");
        assertThat(text(0.5f)).isEqualTo("0.5");
        assertThat(text(-0.125f)).isEqualTo("-0.125");
        assertThat(text(0.001f)).isEqualTo("0.001");
        assertThat(text(100f)).isEqualTo("100.0");
        assertThat(text(1234567f)).isEqualTo("1234567.0");
        assertThat(text(1e7f)).isEqualTo("1.0E7");
        assertThat(text(1.5e-5f)).isEqualTo("1.5E-5");
        assertThat(text(Float.MAX_VALUE)).isEqualTo("3.4028235E38");
        assertThat(text(0.1f)).isEqualTo("0.1");
        assertThat(text(0.3f)).isEqualTo("0.3");
    }

    @Test
    void nonFiniteValues_areWrittenAsJacksonWritesThem() {
        assertThat(text(Float.NaN)).isEqualTo("\"NaN\"");
        assertThat(text(Float.POSITIVE_INFINITY)).isEqualTo("\"Infinity\"");
        assertThat(text(Float.NEGATIVE_INFINITY)).isEqualTo("\"-Infinity\"");
    }

    @Test
    void arraysWrittenIntoTheBuffer_areStrictJson_withEveryFloatsBits() throws IOException {
        SplittableRandom random = new SplittableRandom(3);
        float[][] rows = new float[3][384];
        for (float[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                row[i] = (float) random.nextGaussian() * 0.1f;
            }
        }
        rows[1][0] = -0f;
        rows[1][1] = Float.MIN_VALUE;
        Buffer nested = JsonOutput.write(16, g -> {
            g.writeStartObject();
            g.writeStringField("model", "m");
            g.writeArrayFieldStart("data");
            for (float[] row : rows) {
                JsonOutput.floats(g, row);
            }
            g.writeEndArray();
            g.writeArrayFieldStart("flat");
            for (float[] row : rows) {
                JsonOutput.floatElements(g, row);
            }
            g.writeEndArray();
            g.writeEndObject();
        });
        var tree = JsonInput.JSON.readTree(nested.getBytes());
        assertThat(tree.get("model").asText()).isEqualTo("m");
        assertThat(tree.get("data")).hasSize(3);
        assertThat(tree.get("flat")).hasSize(3 * 384);
        // Every number's own text, parsed as a float, has the bits written.
        List<Integer> bits = new ArrayList<>();
        try (JsonParser p = JsonInput.JSON.getFactory().createParser(nested.getBytes())) {
            for (JsonToken t = p.nextToken(); t != null; t = p.nextToken()) {
                if (t == JsonToken.VALUE_NUMBER_FLOAT) {
                    bits.add(Float.floatToRawIntBits(Float.parseFloat(p.getText())));
                }
            }
        }
        List<Integer> expected = new ArrayList<>();
        for (int pass = 0; pass < 2; pass++) {
            for (float[] row : rows) {
                for (float v : row) {
                    expected.add(Float.floatToRawIntBits(v));
                }
            }
        }
        assertThat(bits).isEqualTo(expected);
    }
}
