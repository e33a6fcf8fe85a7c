package dev.peregrine.core.hub;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model repository on the hub and the revision wanted: {@code ORG/NAME[@REVISION]}, as typed after
 * {@code peregrine pull} and accepted by {@code --model} once pulled.
 *
 * @param org      the user or organization, e.g. {@code sentence-transformers}
 * @param name     the repository, e.g. {@code all-MiniLM-L6-v2}
 * @param revision a branch, tag or commit sha; {@link #MAIN} when none was given
 */
public record HubModelId(String org, String name, String revision) {

    /** The revision used when none is given. */
    public static final String MAIN = "main";

    /** The hub's rule for names, narrowed to what {@code ModelResolver} also accepts. */
    private static final Pattern PART = Pattern.compile("[A-Za-z0-9][\\w.-]{0,95}");
    private static final Pattern REVISION = Pattern.compile("[\\w.-][\\w./-]{0,254}");
    private static final Pattern FORM = Pattern.compile("([^/@]+)/([^/@]+)(?:@(.*))?");

    public HubModelId {
        Objects.requireNonNull(org, "org");
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(revision, "revision");
        checkPart("organization", org);
        checkPart("repository name", name);
        if (!REVISION.matcher(revision).matches() || revision.contains("..") || revision.endsWith("/")) {
            throw new IllegalArgumentException("'" + revision + "' is not a valid revision "
                    + "(a branch, tag or commit sha of letters, digits, '.', '_', '-' and '/')");
        }
    }

    /**
     * Parses {@code ORG/NAME} or {@code ORG/NAME@REVISION}.
     *
     * @throws IllegalArgumentException with a message naming the expected form
     */
    public static HubModelId parse(String text) {
        Objects.requireNonNull(text, "text");
        Matcher m = FORM.matcher(text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a hub model id: expected ORG/NAME or "
                    + "ORG/NAME@REVISION, e.g. sentence-transformers/all-MiniLM-L6-v2");
        }
        String revision = m.group(3) == null ? MAIN : m.group(3);
        return new HubModelId(m.group(1), m.group(2), revision);
    }

    /** {@code ORG/NAME}, the hub's repository id. */
    public String repoId() {
        return org + "/" + name;
    }

    /** Whether the revision is the default branch. */
    public boolean isMain() {
        return revision.equals(MAIN);
    }

    /** {@code ORG/NAME}, or {@code ORG/NAME@REVISION} for another revision: what {@code --model} accepts. */
    @Override
    public String toString() {
        return isMain() ? repoId() : repoId() + "@" + revision;
    }

    private static void checkPart(String what, String value) {
        if (!PART.matcher(value).matches() || value.contains("..") || value.contains("--")
                || value.endsWith(".") || value.endsWith("-")) {
            throw new IllegalArgumentException("'" + value + "' is not a valid " + what + " on the hub "
                    + "(letters, digits, '.', '_' and '-'; at most 96 characters)");
        }
    }
}
