package dev.peregrine.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.testing.Fixtures;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer as text-embeddings-inference exposes it: tokens with their place in the text, ids
 * back to text, left truncation, and texts that spell their own special tokens (decoded token ids).
 */
class TokensDecodeAndTruncationTest {

    private static Engine engine;
    private static TextTokenizer tokenizer;

    @BeforeAll
    static void load() {
        engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
        tokenizer = engine.tokenizer();
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    @Test
    void tokens_haveTheEncodersIds_specialTokensMarked_andUtf8ByteOffsetsIntoTheText() {
        String text = "Héllo 😀 wörld, Charged twice";
        List<Token> tokens = tokenizer.tokens(text, true);
        long[] ids = tokenizer.encodeAll(List.of(text)).get(0).ids();
        assertThat(tokens.stream().mapToLong(Token::id).toArray()).isEqualTo(ids);
        assertThat(tokens.get(0)).isEqualTo(new Token(101, "[CLS]", true, -1, -1));
        assertThat(tokens.get(tokens.size() - 1)).isEqualTo(new Token(102, "[SEP]", true, -1, -1));
        byte[] utf8 = text.getBytes(StandardCharsets.UTF_8);
        for (Token t : tokens.subList(1, tokens.size() - 1)) {
            assertThat(t.special()).isFalse();
            // The piece as written (upper case, accents), and the same bytes at its offsets.
            assertThat(new String(Arrays.copyOfRange(utf8, t.start(), t.stop()), StandardCharsets.UTF_8))
                    .isEqualTo(t.text());
        }
        assertThat(tokens).extracting(Token::text).contains("Héllo", "😀", "Charged");
        Token emoji = tokens.stream().filter(t -> t.text().equals("😀")).findFirst().orElseThrow();
        assertThat(emoji.stop() - emoji.start()).isEqualTo(4);
        assertThat(emoji.start()).isEqualTo("Héllo ".getBytes(StandardCharsets.UTF_8).length);
    }

    @Test
    void tokens_withoutSpecialTokens_areTheTextsOwnOnly_andAnOverBudgetTextIsRefused() {
        List<Token> tokens = tokenizer.tokens("why was I charged twice?", false);
        assertThat(tokens).noneMatch(Token::special);
        assertThat(tokens).extracting(Token::text).containsExactly("why", "was", "I", "charged", "twice", "?");
        assertThatThrownBy(() -> tokenizer.tokens("x".repeat(tokenizer.charBudget() + 1), true))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.INPUT_TOO_LONG));
    }

    @Test
    void decode_skipsOrKeepsSpecialTokens_andRefusesIdsOutsideTheVocabulary() {
        long[] ids = tokenizer.encodeAll(List.of("Why was I charged twice?")).get(0).ids();
        assertThat(tokenizer.decode(ids, true)).isEqualTo("why was i charged twice?");
        assertThat(tokenizer.decode(ids, false)).isEqualTo("[CLS] why was i charged twice? [SEP]");
        assertThat(tokenizer.vocabularySize()).isEqualTo(30522);
        assertThatThrownBy(() -> tokenizer.decode(new long[] {101, 30522}, true))
                .hasMessageContaining("token id 30522 at position 1").hasMessageContaining("30522 ids");
        assertThatThrownBy(() -> tokenizer.decode(new long[] {-1}, true)).hasMessageContaining("token id -1");
    }

    @Test
    void aDecodedTokenization_encodedWithoutAddingSpecialTokens_givesTheSameIds() {
        for (String text : Fixtures.variedTexts()) {
            long[] ids = tokenizer.encodeAll(List.of(text)).get(0).ids();
            String decoded = tokenizer.decode(ids, false);
            EncodedText again = tokenizer.encodeAll(List.of(decoded), TruncationDirection.RIGHT, false).get(0);
            assertThat(again.ids()).as(text).isEqualTo(ids);
        }
    }

    @Test
    void leftTruncation_keepsTheSpecialTokensAndTheLastTokens_rightKeepsTheFirst() {
        String text = String.join(" ", java.util.Collections.nCopies(90, "alpha beta gamma delta")) + " the very end";
        int max = tokenizer.maxLength();
        long[] whole = tokenizer.tokens(text, false).stream().mapToLong(Token::id).toArray();
        assertThat(whole.length).isGreaterThan(max);

        EncodedText left = tokenizer.encodeAll(List.of(text), TruncationDirection.LEFT, true).get(0);
        assertThat(left.truncated()).isTrue();
        assertThat(left.length()).isEqualTo(max);
        assertThat(left.ids()[0]).isEqualTo(101);
        assertThat(left.ids()[max - 1]).isEqualTo(102);
        assertThat(Arrays.copyOfRange(left.ids(), 1, max - 1))
                .isEqualTo(Arrays.copyOfRange(whole, whole.length - (max - 2), whole.length));

        EncodedText right = tokenizer.encodeAll(List.of(text), TruncationDirection.RIGHT, true).get(0);
        assertThat(Arrays.copyOfRange(right.ids(), 1, max - 1)).isEqualTo(Arrays.copyOfRange(whole, 0, max - 2));

        // A short text is the same either way, and not truncated.
        EncodedText shortLeft = tokenizer.encodeAll(List.of("short"), TruncationDirection.LEFT, true).get(0);
        assertThat(shortLeft.ids()).isEqualTo(tokenizer.encodeAll(List.of("short")).get(0).ids());
        assertThat(shortLeft.truncated()).isFalse();
    }

    @Test
    void spelledSpecialTokens_surviveACut_atEitherEnd() {
        String text = "[CLS] " + "word ".repeat(400) + "last [SEP]";
        int max = tokenizer.maxLength();
        for (TruncationDirection d : TruncationDirection.values()) {
            EncodedText e = tokenizer.encodeAll(List.of(text), d, false).get(0);
            assertThat(e.length()).isEqualTo(max);
            assertThat(e.ids()[0]).isEqualTo(101);
            assertThat(e.ids()[max - 1]).isEqualTo(102);
            assertThat(e.truncated()).isTrue();
        }
    }

    @Test
    void refusingTruncation_countsTheTokensOfTheWholeText_inEitherDirection() {
        String text = "word ".repeat(300);
        assertThatThrownBy(() -> engine.encode(List.of("ok", text), false, TruncationDirection.LEFT, true))
                .isInstanceOf(InputTooLongException.class)
                .satisfies(e -> assertThat(((InputTooLongException) e).index()).isEqualTo(1))
                .hasMessageContaining("302");
    }

    @Test
    void truncationDirection_parsesEitherCase_andNamesTheChoicesOtherwise() {
        assertThat(TruncationDirection.parse("Left")).isEqualTo(TruncationDirection.LEFT);
        assertThat(TruncationDirection.parse("right")).isEqualTo(TruncationDirection.RIGHT);
        assertThatThrownBy(() -> TruncationDirection.parse("middle")).hasMessageContaining("left or right");
    }
}
