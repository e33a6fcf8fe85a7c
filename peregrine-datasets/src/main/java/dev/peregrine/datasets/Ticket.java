package dev.peregrine.datasets;

import java.util.Locale;
import java.util.Objects;

/**
 * One labelled customer-support ticket from the shipped ticket set (see {@link Datasets#tickets()}).
 *
 * @param id    stable identifier, {@code T0001}, {@code T0002}, ...
 * @param text  the ticket as the customer wrote it; may span several lines (e-mails keep their
 *              greeting and sign-off)
 * @param label one of {@link Datasets#ticketLabels()}
 * @param split whether the ticket is for training or for evaluation
 */
public record Ticket(String id, String text, String label, Split split) {

    public Ticket {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(text, "text");
        Objects.requireNonNull(label, "label");
        Objects.requireNonNull(split, "split");
        if (text.isBlank()) {
            throw new IllegalArgumentException("ticket " + id + " has a blank text");
        }
    }

    /** This ticket as a {@link TextRecord} (line 0, since it did not come from a user's file). */
    public TextRecord toTextRecord() {
        return new TextRecord(0, text, label, id);
    }

    /** Which part of the ticket set a ticket belongs to. */
    public enum Split {
        /** For fitting a model (80% of each label). */
        TRAIN,
        /** Held out for evaluation (20% of each label). */
        TEST;

        /** The name used in the JSONL file: {@code train} or {@code test}. */
        public String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }

        /**
         * The split with the given file name.
         *
         * @throws IllegalArgumentException if the name is neither {@code train} nor {@code test}
         */
        public static Split fromWireName(String name) {
            for (Split s : values()) {
                if (s.wireName().equals(name)) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown split '" + name + "': expected train or test");
        }
    }
}
