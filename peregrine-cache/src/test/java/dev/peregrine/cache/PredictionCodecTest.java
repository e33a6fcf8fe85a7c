package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.tokenize.TokenStats;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class PredictionCodecTest {

    private static final CacheScope SCOPE = new CacheScope("m", "f", "p");
    private final CacheKey key = new CacheKey.Hasher(SCOPE).key("text");
    private final CacheKey otherKey = new CacheKey.Hasher(SCOPE).key("other text");

    @Test
    void roundTrip_keepsEveryBitTokensAndTruncation() throws Exception {
        float[] values = {0f, -0f, 1.5f, -3.25e-30f, Float.MAX_VALUE, Float.MIN_VALUE, Float.NaN,
                Float.intBitsToFloat(0x7fc00001), Float.NEGATIVE_INFINITY};
        for (TextResult p : new TextResult[] {
                TextResult.of(values, 0, false),
                TextResult.of(values, 127, true),
                TextResult.of(values, 128, false),
                TextResult.of(values, Integer.MAX_VALUE, true),
                TextResult.of(new float[0], 3, false),
                TextResult.of(new float[1024], 512, true),
                TextResult.of(new float[] {0.5f}, 40, false, 7),
                new TextResult(new float[] {0.25f, 1f}, new TokenStats(2100, false, 3, 10)),
                new TextResult(new float[] {0.25f}, new TokenStats(300_000, false, 0, 1500))}) {
            TextResult back = PredictionCodec.decode(key, PredictionCodec.encode(key, p));
            assertThat(back).isEqualTo(p);
            for (int i = 0; i < p.values().length; i++) {
                assertThat(Float.floatToRawIntBits(back.values()[i])).isEqualTo(Float.floatToRawIntBits(p.values()[i]));
            }
        }
    }

    @Test
    void encoding_takesFourBytesPerFloatPlusASmallHeader() {
        byte[] bytes = PredictionCodec.encode(key, TextResult.of(new float[384], 300, false));
        // header, key check, tokens (2-byte varint), unknown tokens (1), float count (2), floats
        assertThat(bytes.length).isEqualTo(4 + 8 + 2 + 1 + 2 + 384 * 4);
        assertThat(bytes[0]).isEqualTo(PredictionCodec.MAGIC);
        assertThat(bytes[1]).isEqualTo(PredictionCodec.VERSION);
    }

    @Test
    void everyTruncation_isRejected() {
        byte[] bytes = PredictionCodec.encode(key, TextResult.of(new float[] {1, 2, 3}, 200, true));
        for (int length = 0; length < bytes.length; length++) {
            byte[] cut = Arrays.copyOf(bytes, length);
            assertThatThrownBy(() -> PredictionCodec.decode(key, cut)).as("length " + length)
                    .isInstanceOf(PredictionCodec.MalformedEntryException.class);
        }
    }

    @Test
    void trailingBytes_areRejected() {
        byte[] bytes = PredictionCodec.encode(key, TextResult.of(new float[] {1}, 2, false));
        assertThatThrownBy(() -> PredictionCodec.decode(key, Arrays.copyOf(bytes, bytes.length + 1)))
                .hasMessageContaining("floats announced");
    }

    @Test
    void wrongHeaderFields_areRejectedWithTheReason() {
        byte[] good = PredictionCodec.encode(key, TextResult.of(new float[] {1}, 2, false));
        assertThatThrownBy(() -> PredictionCodec.decode(key, with(good, 0, 0x51))).hasMessageContaining("magic");
        assertThatThrownBy(() -> PredictionCodec.decode(key, with(good, 1, 1))).as("version 1 had no unknown count")
                .hasMessageContaining("version");
        assertThatThrownBy(() -> PredictionCodec.decode(key, with(good, 2, 9))).hasMessageContaining("kind");
        assertThatThrownBy(() -> PredictionCodec.decode(key, with(good, 3, 4))).hasMessageContaining("flags");
        // A split text has at least two windows (here the float count would be read as its windows).
        assertThatThrownBy(() -> PredictionCodec.decode(key, with(good, 3, 2))).hasMessageContaining("1 windows");
    }

    @Test
    void entryOfAnotherKey_isRejected() {
        byte[] bytes = PredictionCodec.encode(otherKey, TextResult.of(new float[] {1}, 2, false));
        assertThatThrownBy(() -> PredictionCodec.decode(key, bytes)).hasMessageContaining("another key");
    }

    @Test
    void malformedVarints_areRejected() {
        byte[] good = PredictionCodec.encode(key, TextResult.of(new float[0], 1, false));
        // tokens = 1 at offset 12, count = 0 at offset 13
        byte[] nonMinimal = Arrays.copyOf(good, good.length + 1);
        nonMinimal[12] = (byte) 0x81;
        nonMinimal[13] = 0x00;
        nonMinimal[14] = 0x00;
        assertThatThrownBy(() -> PredictionCodec.decode(key, nonMinimal)).hasMessageContaining("shortest");

        byte[] tooLong = Arrays.copyOf(good, 12 + 7);
        Arrays.fill(tooLong, 12, 12 + 6, (byte) 0x80);
        assertThatThrownBy(() -> PredictionCodec.decode(key, tooLong)).hasMessageContaining("longer than 5");

        byte[] overflow = Arrays.copyOf(good, 12 + 6);
        overflow[12] = (byte) 0xff;
        overflow[13] = (byte) 0xff;
        overflow[14] = (byte) 0xff;
        overflow[15] = (byte) 0xff;
        overflow[16] = (byte) 0x0f;
        overflow[17] = 0;
        assertThatThrownBy(() -> PredictionCodec.decode(key, overflow)).hasMessageContaining("out of range");
    }

    @Test
    void randomBytes_neverDecode() {
        Random random = new Random(1);
        for (int i = 0; i < 10_000; i++) {
            byte[] junk = new byte[random.nextInt(64)];
            random.nextBytes(junk);
            assertThatThrownBy(() -> PredictionCodec.decode(key, junk))
                    .isInstanceOf(PredictionCodec.MalformedEntryException.class);
        }
    }

    private static byte[] with(byte[] bytes, int index, int value) {
        byte[] copy = bytes.clone();
        copy[index] = (byte) value;
        return copy;
    }
}
