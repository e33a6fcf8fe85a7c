package dev.peregrine.datasets;

import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One unlabelled text from the shipped validation set (see {@link Datasets#validationTexts()}).
 *
 * @param text the text
 * @param lang its main language as an ISO 639-1 code ({@code en}, {@code de}, {@code zh}, ...); for
 *             {@link Kind#MIXED} texts, the language that is mixed with English
 * @param kind what sort of text it is
 */
public record ValidationText(String text, String lang, Kind kind) {

    public ValidationText {
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(lang, "lang");
        Objects.requireNonNull(kind, "kind");
        if (text.isBlank()) {
            throw new IllegalArgumentException("validation text is blank");
        }
        if (!lang.matches("[a-z]{2,3}")) {
            throw new IllegalArgumentException("language '" + lang + "' is not a lower-case ISO 639 code");
        }
    }

    /** The sorts of text the validation set mixes, so quantized models are compared on all of them. */
    public enum Kind {
        /** One to four words. */
        SHORT,
        /** A single sentence. */
        SENTENCE,
        /** A paragraph of roughly 60 to 220 words. */
        PARAGRAPH,
        /** Misspellings, missing punctuation, text-speak. */
        TYPO,
        /** Text leaning on emoji. */
        EMOJI,
        /** Code, URLs, stack-trace fragments, version numbers, JSON. */
        TECHNICAL,
        /** Dates, prices, measurements. */
        NUMBERS,
        /** Code-switching between two languages. */
        MIXED,
        /** 300 to 600 words: longer than a 256-token model window, so it exercises truncation. */
        LONG;

        /** The name used in the JSONL file: the constant in lower case. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The kind with the given file name.
         *
         * @throws IllegalArgumentException if no kind has that name
         */
        public static Kind fromWireName(String name) {
            for (Kind k : values()) {
                if (k.wireName().equals(name)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown kind '" + name + "': expected one of "
                    + Arrays.stream(values()).map(Kind::wireName).collect(Collectors.joining(", ")));
        }
    }
}
