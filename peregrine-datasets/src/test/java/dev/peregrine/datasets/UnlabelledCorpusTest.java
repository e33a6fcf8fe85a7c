package dev.peregrine.datasets;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The shipped distillation corpus: size, variety, and no text shared with the sets it is judged on. */
class UnlabelledCorpusTest {


    private static String normal(String text) {
        return text.toLowerCase(Locale.ROOT).replaceAll("\\s+", " ").strip();
    }

    private static List<String> runs(String text) {
        String[] words = text.split(" ");
        List<String> out = new ArrayList<>();
        for (int i = 0; i + 8 <= words.length; i++) {
            out.add(String.join(" ", java.util.Arrays.copyOfRange(words, i, i + 8)));
        }
        return out;
    }

    @Test
    void corpus_has24000DistinctTexts_ofVariedLengths() {
        List<String> texts = Datasets.unlabelled();
        assertThat(texts.size()).isEqualTo(24_000);
        assertThat(new HashSet<>(texts).size()).as("distinct").isEqualTo(texts.size());
        assertThat(texts.stream().filter(t -> t.length() < 15 || t.length() > 700).toList()).isEmpty();
        assertThat(texts.stream().filter(t -> t.length() > 200).count()).as("paragraphs").isGreaterThan(2000);
        assertThat(texts.stream().filter(t -> t.length() < 60).count()).as("one-liners").isGreaterThan(5000);
        // Non-Latin scripts are there (Japanese, Chinese, Russian).
        assertThat(texts.stream().filter(t -> t.codePoints().anyMatch(c -> c >= 0x3040 && c <= 0x9fff)).count())
                .isGreaterThan(500);
        assertThat(texts.stream().filter(t -> t.codePoints().anyMatch(c -> c >= 0x0400 && c <= 0x04ff)).count())
                .isGreaterThan(300);
    }

    @Test
    void corpus_sharesNoTextWithTheValidationSetTheTicketsOrTheDriftSets() {
        List<String> judged = new ArrayList<>();
        Datasets.validation().forEach(r -> judged.add(r.text()));
        Datasets.tickets().forEach(t -> judged.add(t.text()));
        judged.addAll(Datasets.driftReference());
        judged.addAll(Datasets.driftGerman());
        judged.addAll(Datasets.driftLong());
        Set<String> corpus = new HashSet<>();
        Datasets.unlabelled().forEach(t -> corpus.add(normal(t)));
        List<String> shared = judged.stream().map(UnlabelledCorpusTest::normal).filter(corpus::contains).toList();
        assertThat(shared).isEmpty();
        // Nor do they share any run of 8 words (so neither contains a longer text of the other).
        Set<String> corpusRuns = new HashSet<>();
        corpus.forEach(t -> corpusRuns.addAll(runs(t)));
        List<String> sharedRuns = judged.stream().map(UnlabelledCorpusTest::normal)
                .flatMap(t -> runs(t).stream()).filter(corpusRuns::contains).toList();
        assertThat(sharedRuns).isEmpty();
    }
}
