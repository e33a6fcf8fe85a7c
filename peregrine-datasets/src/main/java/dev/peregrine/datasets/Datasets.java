package dev.peregrine.datasets;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.regex.Pattern;

/**
 * The datasets Peregrine ships, read from the class path: a multilingual validation set for
 * judging whether an optimized model still agrees with the original, a labelled support-ticket set
 * for training and evaluating the default ticket classifier, and four drift sets for exercising
 * the drift monitor.
 *
 * <p>All texts were written by hand for Peregrine (the gibberish set excepted, which was generated
 * once with a fixed seed); the tickets are about Larkspur, a fictional project-management and
 * file-sync product.
 *
 * <p>Design: each resource is parsed on first use and the result kept as an unmodifiable list, so
 * every later call returns the same instance. Loading is guarded per resource (double-checked
 * locking on a volatile field), so concurrent first calls parse it once. A load that fails is not
 * remembered: the next call tries again and fails with the same message. The shipped files are
 * part of the build, so a missing or malformed one is a packaging bug, reported as an
 * {@link IllegalStateException} that names the resource and, where it applies, the line.
 *
 * <p>All methods are thread-safe.
 */
public final class Datasets {

    /** Class-path folder of the resources, for messages. */
    static final String ROOT = "dev/peregrine/datasets/";

    static final String VALIDATION = "validation.jsonl";
    static final String TICKETS = "tickets.jsonl";
    static final String DRIFT_REFERENCE = "drift/reference.txt";
    static final String DRIFT_GERMAN = "drift/german.txt";
    static final String DRIFT_LONG = "drift/long.txt";
    static final String DRIFT_GIBBERISH = "drift/gibberish.txt";
    static final String UNLABELLED = "unlabelled/debian-descriptions.jsonl.gz";

    private static final List<String> TICKET_LABELS = List.of("account", "billing", "general", "technical");
    private static final Pattern TICKET_ID = Pattern.compile("T\\d{4,}");
    /** Strict: {@code {"text": "a"} junk} is an error, not an object followed by ignored junk. */
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private static final Lazy<List<ValidationText>> VALIDATION_TEXTS = new Lazy<>(() -> readValidation(VALIDATION));
    private static final Lazy<List<TextRecord>> VALIDATION_RECORDS = new Lazy<>(() -> toRecords(validationTexts()));
    private static final Lazy<List<Ticket>> ALL_TICKETS = new Lazy<>(() -> readTickets(TICKETS));
    private static final Lazy<List<Ticket>> TRAIN_TICKETS = new Lazy<>(() -> inSplit(tickets(), Ticket.Split.TRAIN));
    private static final Lazy<List<Ticket>> TEST_TICKETS = new Lazy<>(() -> inSplit(tickets(), Ticket.Split.TEST));
    private static final Lazy<List<String>> REFERENCE = new Lazy<>(() -> readLines(DRIFT_REFERENCE));
    private static final Lazy<List<String>> GERMAN = new Lazy<>(() -> readLines(DRIFT_GERMAN));
    private static final Lazy<List<String>> LONG = new Lazy<>(() -> readLines(DRIFT_LONG));
    private static final Lazy<List<String>> GIBBERISH = new Lazy<>(() -> readLines(DRIFT_GIBBERISH));
    private static final Lazy<List<String>> UNLABELLED_TEXTS = new Lazy<>(() -> readUnlabelled(UNLABELLED));

    private Datasets() {
    }

    /**
     * The validation set as records, in file order: texts in 15 languages (about 60% English) and
     * nine kinds, from one-word replies to a few texts of 300-600 words that overflow a 256-token
     * window. The texts carry no labels: they are for comparing a model's outputs before and after
     * optimization.
     *
     * @return unmodifiable list; each record's {@code label} is null, its {@code id} holds the
     *         text's kind as written in the file ({@code short}, {@code sentence}, {@code paragraph},
     *         {@code typo}, {@code emoji}, {@code technical}, {@code numbers}, {@code mixed} or
     *         {@code long}) and its {@code line} the 1-based line of the resource. Use
     *         {@link #validationTexts()} for the language as well.
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<TextRecord> validation() {
        return VALIDATION_RECORDS.get();
    }

    /**
     * The validation set with each text's language and kind, in the same order as
     * {@link #validation()}.
     *
     * @return unmodifiable list
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<ValidationText> validationTexts() {
        return VALIDATION_TEXTS.get();
    }

    /**
     * Every ticket of the support-ticket set, in file order, which is ascending id. Each of the four labels holds 22-28%
     * of the tickets, and exactly every fifth ticket of each label (in id order) is in the test
     * split, so the split is a stratified 20%.
     *
     * @return unmodifiable list
     * @throws IllegalStateException if the resource is missing or malformed (bad JSON, missing
     *                               field, unknown label or split, repeated id)
     */
    public static List<Ticket> tickets() {
        return ALL_TICKETS.get();
    }

    /**
     * The tickets of the training split, in the order of {@link #tickets()}.
     *
     * @return unmodifiable list
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<Ticket> ticketsTrain() {
        return TRAIN_TICKETS.get();
    }

    /**
     * The tickets of the test split, in the order of {@link #tickets()}.
     *
     * @return unmodifiable list
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<Ticket> ticketsTest() {
        return TEST_TICKETS.get();
    }

    /**
     * The ticket labels, sorted: {@code account}, {@code billing}, {@code general},
     * {@code technical}. Every ticket has one of them; no resource is read.
     *
     * @return unmodifiable list
     */
    public static List<String> ticketLabels() {
        return TICKET_LABELS;
    }

    /**
     * The drift monitor's reference sample: 300 short English support texts, written apart from the
     * ticket set and sharing none of its texts.
     *
     * @return unmodifiable list, one text per element
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<String> driftReference() {
        return REFERENCE.get();
    }

    /**
     * A language shift: 150 German support texts.
     *
     * @return unmodifiable list, one text per element
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<String> driftGerman() {
        return GERMAN.get();
    }

    /**
     * A length shift: 60 English support letters of 250-500 words each.
     *
     * @return unmodifiable list, one text per element
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<String> driftLong() {
        return LONG.get();
    }

    /**
     * Garbage input: 100 lines of keyboard mash, symbol runs, base64-like strings and hex dumps.
     *
     * @return unmodifiable list, one text per element
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<String> driftGibberish() {
        return GIBBERISH.get();
    }

    /**
     * An unlabelled corpus for distillation: 24,000 texts from Debian 12's package descriptions
     * (one-line summaries and paragraphs of the long descriptions), 20,000 in English and 400 in each
     * of German, French, Spanish, Italian, Portuguese, Russian, Japanese, Chinese, Dutch and Polish.
     * Provenance, licence and how to rebuild it: {@code unlabelled/README.md} beside the file. It
     * shares no text with the validation set or the tickets.
     *
     * @return unmodifiable list, in a fixed pseudo-random order
     * @throws IllegalStateException if the resource is missing or malformed
     */
    public static List<String> unlabelled() {
        return UNLABELLED_TEXTS.get();
    }

    // ---- reading (package-private so tests can point them at broken resources) ----

    static List<ValidationText> readValidation(String resource) {
        return readJsonLines(resource, (line) -> {
            String text = line.requiredText("text");
            String lang = line.requiredText("lang");
            ValidationText.Kind kind;
            try {
                kind = ValidationText.Kind.fromWireName(line.requiredText("kind"));
            } catch (IllegalArgumentException e) {
                throw line.fail("has " + e.getMessage());
            }
            try {
                return new ValidationText(text, lang, kind);
            } catch (IllegalArgumentException e) {
                throw line.fail("is invalid: " + e.getMessage());
            }
        });
    }

    static List<Ticket> readTickets(String resource) {
        Set<String> ids = new HashSet<>();
        return readJsonLines(resource, (line) -> {
            String id = line.requiredText("id");
            if (!TICKET_ID.matcher(id).matches()) {
                throw line.fail("id '" + id + "' is not of the form T0001");
            }
            if (!ids.add(id)) {
                throw line.fail("repeats id " + id);
            }
            String label = line.requiredText("label");
            if (!TICKET_LABELS.contains(label)) {
                throw line.fail("has unknown label '" + label + "' (expected one of " + String.join(", ", TICKET_LABELS) + ")");
            }
            Ticket.Split split;
            try {
                split = Ticket.Split.fromWireName(line.requiredText("split"));
            } catch (IllegalArgumentException e) {
                throw line.fail("has " + e.getMessage());
            }
            try {
                return new Ticket(id, line.requiredText("text"), label, split);
            } catch (IllegalArgumentException e) {
                throw line.fail("is invalid: " + e.getMessage());
            }
        });
    }

    static List<String> readUnlabelled(String resource) {
        return readJsonLines(resource, line -> {
            line.requiredText("lang");
            line.requiredText("package");
            return line.requiredText("text");
        });
    }

    /** Reads a one-text-per-line resource; a blank line is an error, not something to skip. */
    static List<String> readLines(String resource) {
        List<String> texts = new ArrayList<>();
        forEachLine(resource, (number, line) -> {
            if (line.isBlank()) {
                throw malformed(resource, number, "is blank");
            }
            texts.add(line);
        });
        if (texts.isEmpty()) {
            throw new IllegalStateException("dataset resource " + ROOT + resource + " is empty");
        }
        return List.copyOf(texts);
    }

    private static <T> List<T> readJsonLines(String resource, Function<JsonLine, T> parse) {
        List<T> out = new ArrayList<>();
        forEachLine(resource, (number, text) -> {
            if (text.isBlank()) {
                throw malformed(resource, number, "is blank");
            }
            JsonNode node;
            try {
                node = JSON.readTree(text);
            } catch (JacksonException e) {
                throw malformed(resource, number, "is not valid JSON (" + e.getOriginalMessage() + ")");
            }
            if (node == null || !node.isObject()) {
                throw malformed(resource, number, "is not a JSON object");
            }
            out.add(parse.apply(new JsonLine(resource, number, node)));
        });
        if (out.isEmpty()) {
            throw new IllegalStateException("dataset resource " + ROOT + resource + " is empty");
        }
        return List.copyOf(out);
    }

    private interface LineConsumer {
        void accept(long number, String line);
    }

    private static void forEachLine(String resource, LineConsumer consumer) {
        InputStream in = Datasets.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IllegalStateException("dataset resource " + ROOT + resource + " is missing from the class path");
        }
        if (resource.endsWith(".gz")) {
            try {
                in = new java.util.zip.GZIPInputStream(in, 1 << 16);
            } catch (IOException e) {
                throw new IllegalStateException("dataset resource " + ROOT + resource + " is not gzip: " + e.getMessage(), e);
            }
        }
        // Strict decoding: a file that is not UTF-8 fails instead of being read with U+FFFD in it.
        CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        long number = 0;
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, utf8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                consumer.accept(++number, line);
            }
        } catch (CharacterCodingException e) {
            throw malformed(resource, number + 1, "is not UTF-8");
        } catch (IOException e) {
            throw new IllegalStateException("dataset resource " + ROOT + resource + " could not be read: " + e.getMessage(), e);
        }
    }

    private static IllegalStateException malformed(String resource, long line, String what) {
        return new IllegalStateException("dataset resource " + ROOT + resource + " line " + line + " " + what);
    }

    private static List<TextRecord> toRecords(List<ValidationText> texts) {
        List<TextRecord> records = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            ValidationText t = texts.get(i);
            // Blank lines are rejected, so the i-th text sits on line i + 1.
            records.add(new TextRecord(i + 1, t.text(), null, t.kind().wireName()));
        }
        return List.copyOf(records);
    }

    private static List<Ticket> inSplit(List<Ticket> tickets, Ticket.Split split) {
        return tickets.stream().filter(t -> t.split() == split).toList();
    }

    /** One parsed JSONL line, with helpers that report problems against its resource and line. */
    private record JsonLine(String resource, long number, JsonNode node) {

        String requiredText(String field) {
            JsonNode value = node.get(field);
            if (value == null || value.isNull()) {
                throw fail("has no '" + field + "' field");
            }
            if (!value.isTextual()) {
                throw fail("field '" + field + "' is not a string");
            }
            return value.asText();
        }

        IllegalStateException fail(String what) {
            return malformed(resource, number, what);
        }
    }

    /** A value computed once, on first use; a failed computation is retried on the next call. */
    private static final class Lazy<T> {
        private final Supplier<T> loader;
        private volatile T value;

        Lazy(Supplier<T> loader) {
            this.loader = loader;
        }

        T get() {
            T v = value;
            if (v == null) {
                synchronized (this) {
                    v = value;
                    if (v == null) {
                        v = loader.get();
                        value = v;
                    }
                }
            }
            return v;
        }
    }
}
