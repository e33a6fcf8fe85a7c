package dev.peregrine.core.tokenize;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.peregrine.core.InputTooLongException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.testing.Fixtures;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Texts are cut to a character budget before the native tokenizer sees them: ordinary long texts
 * come out exactly as tokenizing them whole and truncating would give, and huge ones cost no more
 * than the budget.
 */
class CharacterBudgetTest {

    private static Engine engine;
    private static HuggingFaceTokenizer wholeThenTruncate;

    @BeforeAll
    static void load() throws Exception {
        engine = Engine.open(Fixtures.resolver().resolve("all-minilm-l6-v2"));
        // The reference: the same tokenizer.json, fed the whole text, truncated by the library.
        wholeThenTruncate = HuggingFaceTokenizer.newInstance(engine.info().folder().resolve("tokenizer.json"), Map.of(
                "addSpecialTokens", "true", "padding", "false", "truncation", "true", "maxLength", "256"));
    }

    @AfterAll
    static void close() {
        engine.close();
        wholeThenTruncate.close();
    }

    @Test
    void theBudgetIsTheMaximumLengthTimesTheCharactersPerTokenBound() {
        assertThat(engine.info().maxLength()).isEqualTo(256);
        assertThat(engine.charBudget()).isEqualTo(256 * TextTokenizer.MAX_CHARS_PER_TOKEN);
    }

    @Test
    void longOrdinaryTexts_cutToTheBudget_tokenizeExactlyAsTheWholeTextTruncated() {
        List<String> texts = new ArrayList<>();
        // Every shipped text (eleven languages, emoji, odd whitespace) repeated far past the budget,
        // plus the texts themselves, plus one text ending just past the budget.
        StringBuilder all = new StringBuilder();
        for (String t : Fixtures.variedTexts()) {
            texts.add(t);
            texts.add((t + " ").repeat(engine.charBudget() / Math.max(1, t.length()) + 3));
            all.append(t).append('\n');
        }
        texts.add(all.toString().repeat(engine.charBudget() / all.length() + 2));
        texts.add("x".repeat(10) + " the quick brown fox".repeat(engine.charBudget() / 19));

        List<EncodedText> encoded = engine.encode(texts);
        for (int i = 0; i < texts.size(); i++) {
            Encoding reference = wholeThenTruncate.encode(texts.get(i));
            assertThat(encoded.get(i).ids()).as("text %d (%d chars)", i, texts.get(i).length())
                    .containsExactly(reference.getIds());
            assertThat(encoded.get(i).truncated()).as("text %d", i).isEqualTo(reference.exceedMaxLength());
        }
        assertThat(texts).anySatisfy(t -> assertThat(t.length()).isGreaterThan(engine.charBudget()));
    }

    @Test
    void aNineMegabyteText_isCutToTheModelLimit_whenTruncationIsAllowed() {
        String huge = "a b ".repeat(9 * 1024 * 1024 / 4);
        EncodedText encoded = engine.encode(List.of(huge, "short one")).get(0);
        assertThat(encoded.length()).isEqualTo(256);
        assertThat(encoded.truncated()).isTrue();
        assertThat(engine.encode(List.of(huge), true).get(0).ids()).containsExactly(encoded.ids());
    }

    @Test
    void aTextOverTheBudget_isRefusedByItsCharacters_beforeAnyTokenizing_whenTruncationIsNot() {
        String huge = "a b ".repeat(9 * 1024 * 1024 / 4);
        assertThatThrownBy(() -> engine.encode(List.of("fine", huge), false))
                .isInstanceOfSatisfying(InputTooLongException.class, e -> {
                    assertThat(e.index()).isEqualTo(1);
                    assertThat(e.characters()).isEqualTo(huge.length());
                    assertThat(e.limit()).isEqualTo(256);
                    assertThat(e.at(4).characters()).isEqualTo(huge.length());
                })
                .hasMessageContaining("input 1 has " + huge.length() + " characters")
                .hasMessageContaining("limit of 256 tokens");
    }

    @Test
    void aContrivedTextOfFewTokens_butOverTheBudget_isStillCutAndSaysSo() {
        // Whitespace costs characters but no tokens: such a text may fit in tokens, yet was cut.
        String spaced = " ".repeat(engine.charBudget()) + "hello";
        EncodedText encoded = engine.encode(List.of(spaced)).get(0);
        assertThat(encoded.length()).isEqualTo(2);
        assertThat(encoded.truncated()).isTrue();
    }

    @Test
    void theCutNeverSplitsASurrogatePair() {
        String emoji = "\uD83D\uDE00";   // one code point, two chars
        String text = "a" + emoji.repeat(engine.charBudget());
        EncodedText encoded = engine.encode(List.of(text)).get(0);
        assertThat(encoded.truncated()).isTrue();
        assertThat(encoded.ids()).containsExactly(wholeThenTruncate.encode(text).getIds());
    }
}
