package dev.peregrine.datasets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The shipped datasets: sizes, balance, splits, duplicates and lengths, and how bad resources fail. */
class DatasetsTest {

    private static final List<String> ALL_RESOURCES = List.of(Datasets.VALIDATION, Datasets.TICKETS,
            Datasets.DRIFT_REFERENCE, Datasets.DRIFT_GERMAN, Datasets.DRIFT_LONG, Datasets.DRIFT_GIBBERISH);

    // ---- validation set ----

    @Test
    void validation_hasAtLeast450Texts_withKindInIdAndNoLabel() {
        List<TextRecord> records = Datasets.validation();
        List<ValidationText> texts = Datasets.validationTexts();
        assertThat(records).hasSizeGreaterThanOrEqualTo(450).hasSameSizeAs(texts);
        for (int i = 0; i < records.size(); i++) {
            TextRecord r = records.get(i);
            assertThat(r.text()).isEqualTo(texts.get(i).text()).isNotBlank();
            assertThat(r.label()).isNull();
            assertThat(r.id()).isEqualTo(texts.get(i).kind().wireName());
            assertThat(r.line()).isEqualTo(i + 1);
        }
    }

    @Test
    void validation_coversAtLeastTenLanguages_withEnglishBetween55And65Percent() {
        Map<String, Long> byLang = countBy(Datasets.validationTexts(), ValidationText::lang);
        assertThat(byLang.keySet()).hasSizeGreaterThanOrEqualTo(10);
        double englishShare = share(byLang.getOrDefault("en", 0L), Datasets.validationTexts().size());
        assertThat(englishShare).isBetween(0.55, 0.65);
        // Every non-English language has enough texts to be more than a token presence.
        byLang.forEach((lang, n) -> assertThat(n).as("texts in %s", lang).isGreaterThanOrEqualTo(10));
    }

    @Test
    void validation_hasEveryKind_inRoughlyThePlannedProportions() {
        List<ValidationText> texts = Datasets.validationTexts();
        Map<ValidationText.Kind, Long> byKind = countBy(texts, ValidationText::kind);
        assertThat(byKind.keySet()).containsExactlyInAnyOrderElementsOf(EnumSet.allOf(ValidationText.Kind.class));
        assertThat(share(byKind.get(ValidationText.Kind.SHORT), texts.size())).isBetween(0.12, 0.18);
        assertThat(share(byKind.get(ValidationText.Kind.SENTENCE), texts.size())).isBetween(0.40, 0.50);
        assertThat(share(byKind.get(ValidationText.Kind.PARAGRAPH), texts.size())).isBetween(0.20, 0.30);
        assertThat(byKind.get(ValidationText.Kind.LONG)).isBetween(8L, 12L);
    }

    @Test
    void validation_longTextsHave300To600Words_andAllOthersAtMost220() {
        int longest = 0;
        for (ValidationText t : Datasets.validationTexts()) {
            int words = words(t.text());
            longest = Math.max(longest, words);
            if (t.kind() == ValidationText.Kind.LONG) {
                assertThat(words).as("long text: %s", head(t.text())).isBetween(300, 600);
            } else {
                assertThat(words).as("%s text: %s", t.kind(), head(t.text())).isLessThanOrEqualTo(220);
            }
            if (t.kind() == ValidationText.Kind.SHORT && t.lang().equals("en")) {
                assertThat(words).as("short text: %s", t.text()).isBetween(1, 4);
            }
        }
        assertThat(longest).isGreaterThan(300);
    }

    @Test
    void validation_hasNoDuplicateTexts() {
        assertThat(duplicates(Datasets.validationTexts().stream().map(ValidationText::text).toList())).isEmpty();
    }

    // ---- tickets ----

    @Test
    void tickets_atLeast1000_withUniqueSequentialIds() {
        List<Ticket> tickets = Datasets.tickets();
        assertThat(tickets).hasSizeGreaterThanOrEqualTo(1000);
        for (int i = 0; i < tickets.size(); i++) {
            assertThat(tickets.get(i).id()).isEqualTo(String.format(Locale.ROOT, "T%04d", i + 1));
        }
    }

    @Test
    void ticketLabels_areTheFourLabelsSorted() {
        assertThat(Datasets.ticketLabels()).containsExactly("account", "billing", "general", "technical");
        assertThat(new TreeSet<>(Datasets.ticketLabels())).containsExactlyElementsOf(Datasets.ticketLabels());
    }

    @Test
    void tickets_everyLabelPresent_eachBetween22And28Percent() {
        List<Ticket> tickets = Datasets.tickets();
        Map<String, Long> byLabel = countBy(tickets, Ticket::label);
        assertThat(byLabel.keySet()).containsExactlyInAnyOrderElementsOf(Datasets.ticketLabels());
        byLabel.forEach((label, n) ->
                assertThat(share(n, tickets.size())).as("share of %s", label).isBetween(0.22, 0.28));
    }

    @Test
    void ticketsTest_isAStratified20PercentOfEachLabel_everyFifthInIdOrder() {
        List<Ticket> tickets = Datasets.tickets();
        Map<String, Long> all = countBy(tickets, Ticket::label);
        Map<String, Long> test = countBy(Datasets.ticketsTest(), Ticket::label);
        for (String label : Datasets.ticketLabels()) {
            long expected = all.get(label) / 5;
            assertThat(test.getOrDefault(label, 0L)).as("test tickets labelled %s", label).isEqualTo(expected);
            assertThat(Math.abs(test.get(label) - 0.2 * all.get(label))).isLessThan(1.0);
        }
        Map<String, Integer> seen = new HashMap<>();
        for (Ticket t : tickets) {
            int nth = seen.merge(t.label(), 1, Integer::sum);
            assertThat(t.split()).as("split of %s (%s #%d)", t.id(), t.label(), nth)
                    .isEqualTo(nth % 5 == 0 ? Ticket.Split.TEST : Ticket.Split.TRAIN);
        }
    }

    @Test
    void ticketsTrainAndTest_partitionTheTickets() {
        List<Ticket> train = Datasets.ticketsTrain();
        List<Ticket> test = Datasets.ticketsTest();
        assertThat(train).allMatch(t -> t.split() == Ticket.Split.TRAIN);
        assertThat(test).allMatch(t -> t.split() == Ticket.Split.TEST);
        assertThat(train.size() + test.size()).isEqualTo(Datasets.tickets().size());
        Set<String> trainIds = train.stream().map(Ticket::id).collect(Collectors.toSet());
        assertThat(test).noneMatch(t -> trainIds.contains(t.id()));
    }

    @Test
    void tickets_haveNoDuplicateTexts_afterLowerCasingAndWhitespaceNormalization() {
        assertThat(duplicates(Datasets.tickets().stream().map(Ticket::text).toList())).isEmpty();
    }

    @Test
    void ticketsTest_areNotNearCopiesOfTrainTickets() {
        List<Set<String>> trainWords = new ArrayList<>();
        List<Set<String>> trainTrigrams = new ArrayList<>();
        for (Ticket t : Datasets.ticketsTrain()) {
            trainWords.add(new HashSet<>(tokens(t.text())));
            trainTrigrams.add(trigrams(tokens(t.text())));
        }
        List<String> nearCopies = new ArrayList<>();
        for (Ticket t : Datasets.ticketsTest()) {
            List<String> tokens = tokens(t.text());
            if (tokens.size() < 5) {
                continue; // "refund please" and "app keeps crashing" may share words by nature
            }
            Set<String> words = new HashSet<>(tokens);
            Set<String> grams = trigrams(tokens);
            for (int i = 0; i < trainWords.size(); i++) {
                if (jaccard(words, trainWords.get(i)) >= 0.7 || jaccard(grams, trainTrigrams.get(i)) >= 0.5) {
                    nearCopies.add(t.id() + " ~ " + Datasets.ticketsTrain().get(i).id());
                }
            }
        }
        assertThat(nearCopies).isEmpty();
    }

    @Test
    void tickets_rangeFromAFewWordsToLongEmails() {
        List<Integer> lengths = Datasets.tickets().stream().map(t -> words(t.text())).toList();
        assertThat(lengths.stream().mapToInt(Integer::intValue).min().orElseThrow()).isLessThanOrEqualTo(3);
        assertThat(lengths.stream().mapToInt(Integer::intValue).max().orElseThrow()).isBetween(120, 170);
        assertThat(Datasets.tickets()).anyMatch(t -> t.text().contains("\n"));
    }

    @Test
    void ticket_toTextRecord_carriesLabelAndId() {
        Ticket first = Datasets.tickets().get(0);
        TextRecord r = first.toTextRecord();
        assertThat(r.text()).isEqualTo(first.text());
        assertThat(r.label()).isEqualTo(first.label());
        assertThat(r.id()).isEqualTo("T0001");
    }

    // ---- drift sets ----

    @Test
    void driftSets_haveTheirSizes() {
        assertThat(Datasets.driftReference()).hasSize(300);
        assertThat(Datasets.driftGerman()).hasSize(150);
        assertThat(Datasets.driftLong()).hasSize(60);
        assertThat(Datasets.driftGibberish()).hasSize(100);
    }

    @Test
    void driftLong_everyTextHas250To500Words() {
        for (String text : Datasets.driftLong()) {
            assertThat(words(text)).as("words in: %s", head(text)).isBetween(250, 500);
        }
    }

    @Test
    void driftReference_isShortSupportText_sharingNoTextWithTheTickets() {
        Set<String> tickets = Datasets.tickets().stream().map(t -> normalize(t.text())).collect(Collectors.toSet());
        assertThat(Datasets.driftReference()).noneMatch(text -> tickets.contains(normalize(text)));
        assertThat(Datasets.driftReference()).allMatch(text -> words(text) < 100);
    }

    @Test
    void driftGerman_isGerman_andReferenceIsNot() {
        // A German function word or an umlaut/ß; only terse lines like "Rechnung fehlt." lack both.
        Pattern german = Pattern.compile("[äöüß]|\\b(ich|wir|die|der|das|den|dem|des|ist|nicht|mein|meine|bitte|sie"
                + "|und|wie|kann|es|ein|eine|einen|mit|für|auf|zu|nach|seit|wurde|habe|gibt|unser|unsere|noch|auch"
                + "|oder|wird|werden|wo|warum|man|bei)\\b", Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE);
        long germanLike = Datasets.driftGerman().stream().filter(text -> german.matcher(text).find()).count();
        assertThat(share(germanLike, Datasets.driftGerman().size())).isGreaterThanOrEqualTo(0.95);
        assertThat(Datasets.driftReference()).noneMatch(text -> german.matcher(text).find());
    }

    @Test
    void driftSets_haveNoDuplicates() {
        assertThat(duplicates(Datasets.driftReference())).isEmpty();
        assertThat(duplicates(Datasets.driftGerman())).isEmpty();
        assertThat(duplicates(Datasets.driftLong())).isEmpty();
        assertThat(duplicates(Datasets.driftGibberish())).isEmpty();
    }

    // ---- the files themselves ----

    @Test
    void resources_haveNoBlankLines() throws IOException {
        for (String resource : ALL_RESOURCES) {
            List<String> lines = rawLines(resource);
            assertThat(lines).as(resource).isNotEmpty();
            for (int i = 0; i < lines.size(); i++) {
                assertThat(lines.get(i)).as("%s line %d", resource, i + 1).isNotBlank();
            }
        }
    }

    @Test
    void loads_areCached() {
        assertThat(Datasets.tickets()).isSameAs(Datasets.tickets());
        assertThat(Datasets.ticketsTest()).isSameAs(Datasets.ticketsTest());
        assertThat(Datasets.validation()).isSameAs(Datasets.validation());
        assertThat(Datasets.driftLong()).isSameAs(Datasets.driftLong());
    }

    @Test
    void lists_areUnmodifiable() {
        assertThatThrownBy(() -> Datasets.tickets().add(Datasets.tickets().get(0)))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> Datasets.driftGerman().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    // ---- broken resources ----

    @Test
    void missingResource_failsNamingIt() {
        assertThatThrownBy(() -> Datasets.readLines("broken/nope.txt"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("dataset resource dev/peregrine/datasets/broken/nope.txt is missing from the class path");
    }

    @Test
    void invalidJson_failsNamingResourceAndLine() {
        assertThatThrownBy(() -> Datasets.readTickets("broken/not-json.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("dataset resource dev/peregrine/datasets/broken/not-json.jsonl line 2 is not valid JSON");
    }

    @Test
    void trailingJunkAfterTheJsonObject_fails() {
        assertThatThrownBy(() -> Datasets.readValidation("broken/trailing-junk.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("dataset resource dev/peregrine/datasets/broken/trailing-junk.jsonl line 2 is not valid JSON");
    }

    @Test
    void unknownLabel_failsListingTheLabels() {
        assertThatThrownBy(() -> Datasets.readTickets("broken/bad-label.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("dataset resource dev/peregrine/datasets/broken/bad-label.jsonl line 2 has unknown label 'billng'"
                        + " (expected one of account, billing, general, technical)");
    }

    @Test
    void repeatedTicketId_fails() {
        assertThatThrownBy(() -> Datasets.readTickets("broken/repeated-id.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("repeated-id.jsonl line 2 repeats id T0001");
    }

    @Test
    void missingField_failsNamingTheField() {
        assertThatThrownBy(() -> Datasets.readTickets("broken/missing-split.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("missing-split.jsonl line 1 has no 'split' field");
    }

    @Test
    void unknownKind_fails() {
        assertThatThrownBy(() -> Datasets.readValidation("broken/bad-kind.jsonl"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("bad-kind.jsonl line 2 has unknown kind 'tiny'");
    }

    @Test
    void blankLineInTextResource_fails() {
        assertThatThrownBy(() -> Datasets.readLines("broken/blank-line.txt"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("dataset resource dev/peregrine/datasets/broken/blank-line.txt line 2 is blank");
    }

    @Test
    void nonUtf8Resource_failsInsteadOfReadingReplacementCharacters() {
        assertThatThrownBy(() -> Datasets.readLines("broken/not-utf8.txt"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("dataset resource dev/peregrine/datasets/broken/not-utf8.txt line 1 is not UTF-8");
    }

    // ---- helpers ----

    private static final Pattern WORD = Pattern.compile("\\w+", Pattern.UNICODE_CHARACTER_CLASS);

    private static int words(String text) {
        String trimmed = text.strip();
        return trimmed.isEmpty() ? 0 : trimmed.split("\\s+").length;
    }

    private static String normalize(String text) {
        return String.join(" ", text.toLowerCase(Locale.ROOT).strip().split("\\s+"));
    }

    private static List<String> duplicates(Collection<String> texts) {
        Set<String> seen = new HashSet<>();
        List<String> repeated = new ArrayList<>();
        for (String t : texts) {
            if (!seen.add(normalize(t))) {
                repeated.add(t);
            }
        }
        return repeated;
    }

    private static List<String> tokens(String text) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(text.toLowerCase(Locale.ROOT));
        while (m.find()) {
            out.add(m.group());
        }
        return out;
    }

    private static Set<String> trigrams(List<String> tokens) {
        Set<String> out = new HashSet<>();
        for (int i = 0; i + 2 < tokens.size(); i++) {
            out.add(tokens.get(i) + " " + tokens.get(i + 1) + " " + tokens.get(i + 2));
        }
        return out;
    }

    private static double jaccard(Set<String> a, Set<String> b) {
        if (a.isEmpty() && b.isEmpty()) {
            return 0;
        }
        int common = 0;
        for (String s : a) {
            if (b.contains(s)) {
                common++;
            }
        }
        return (double) common / (a.size() + b.size() - common);
    }

    private static <T, K> Map<K, Long> countBy(Collection<T> items, Function<T, K> key) {
        return items.stream().collect(Collectors.groupingBy(key, Collectors.counting()));
    }

    private static double share(long part, long whole) {
        return (double) part / whole;
    }

    private static String head(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "...";
    }

    private static List<String> rawLines(String resource) throws IOException {
        try (InputStream in = Datasets.class.getResourceAsStream(resource)) {
            assertThat(in).as(resource).isNotNull();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
                return r.lines().toList();
            }
        }
    }
}
