package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Empty, blank, huge and strange texts are answered, never errors (unless truncation is refused). */
class UnusualTextsTest {

    private static Engine engine;

    @BeforeAll
    static void load() {
        engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void emptyAndWhitespaceTexts_getFiniteUnitVectors() {
        List<String> texts = List.of("", " ", "\t\n  \r\n", "\u00a0\u2003");
        List<float[]> vectors = engine.embed(texts);
        assertThat(vectors).hasSize(4);
        for (float[] v : vectors) {
            assertFiniteUnit(v);
        }
        // Nothing but special tokens: the empty text and pure whitespace tokenize alike.
        assertThat(engine.encode(List.of("")).get(0).length()).isEqualTo(2);
        assertThat(Vectors.cosine(vectors.get(0), vectors.get(1))).isGreaterThan(0.9999);
    }

    @Test
    void tenThousandCharacterText_isTruncatedToTheModelLimit_notAnError() {
        String huge = "word ".repeat(2000);
        assertThat(huge).hasSize(10_000);
        EncodedText encoded = engine.encode(List.of(huge)).get(0);
        assertThat(encoded.length()).isEqualTo(256);
        assertThat(encoded.truncated()).isTrue();
        assertFiniteUnit(engine.embed(List.of(huge)).get(0));
    }

    @Test
    void refusingTruncation_namesTheTokenCountAndTheLimit() {
        String huge = "word ".repeat(2000);
        assertThatThrownBy(() -> engine.encode(List.of("fine", huge), false))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.INPUT_TOO_LONG))
                .hasMessageContaining("input 1 has 2002 tokens")
                .hasMessageContaining("limit of 256");
    }

    @Test
    void unusualUnicode_isEmbedded() {
        List<String> texts = List.of(
                "\u0000 nul and \u0007 bell controls",
                "lone surrogate \ud800 here",
                "combining a\u0301\u0302\u0303 marks",
                "right-to-left \u202e override \u202c",
                "zero\u200bwidth\u200cjoiners\u200d",
                "𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝕞𝕒𝕥𝕙 𝟙𝟚𝟛",
                "\uFEFFbyte order mark",
                "🧑🏽‍🚀".repeat(300));
        List<float[]> vectors = engine.embed(texts);
        assertThat(vectors).hasSize(texts.size());
        vectors.forEach(UnusualTextsTest::assertFiniteUnit);
    }

    @Test
    void unknownTokens_areCounted() {
        // The BERT uncased vocabulary has no entry for these symbols.
        EncodedText e = engine.encode(List.of("hello 🛸 world")).get(0);
        assertThat(e.unknownTokens()).isGreaterThanOrEqualTo(1);
        assertThat(engine.encode(List.of("hello world")).get(0).unknownTokens()).isZero();
    }

    @Test
    void emptyList_givesEmptyResult_andNullTextIsRejected() {
        assertThat(engine.embed(List.of())).isEmpty();
        List<String> withNull = new ArrayList<>(Arrays.asList("ok", null));
        assertThatThrownBy(() -> engine.embed(withNull))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("text 1 is null");
    }

    @Test
    void classifyingWithAnEmbedder_isAWrongTaskError() {
        assertThatThrownBy(() -> engine.classify(List.of("hi")))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("is an embedding model and cannot classify")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.WRONG_TASK));
    }

    private static void assertFiniteUnit(float[] v) {
        double s = 0;
        for (float x : v) {
            assertThat(Float.isFinite(x)).isTrue();
            s += x * x;
        }
        assertThat(Math.sqrt(s)).isBetween(0.99999, 1.00001);
    }
}
