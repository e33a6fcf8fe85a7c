package dev.peregrine.monitor;

import java.util.Locale;

/** The three things watched for drift, in the order they usually move. */
public enum DriftLevel {
    /** Level 1: what comes in (token lengths, truncation, unknown tokens). */
    INPUTS,
    /** Level 2: what comes out (label mix for classifiers, position in embedding space for embedders). */
    PREDICTIONS,
    /** Level 3: how sure the classifier is (top-1 probability, entropy). */
    CONFIDENCE;

    public int number() {
        return ordinal() + 1;
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
