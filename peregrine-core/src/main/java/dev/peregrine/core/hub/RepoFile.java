package dev.peregrine.core.hub;

import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One file of a repository listing.
 *
 * @param path   '/'-separated path inside the repository ({@code rfilename})
 * @param size   size in bytes, or -1 when the listing does not say
 * @param sha256 lower-case hex SHA-256 of the content for files stored with LFS, else null
 * @param gitOid lower-case hex git blob id of files stored in git itself (not LFS), else null
 */
public record RepoFile(String path, long size, String sha256, String gitOid) {

    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");

    public RepoFile {
        Objects.requireNonNull(path, "path");
        if (size < -1) {
            throw new IllegalArgumentException("size must be -1 (unknown) or more, was " + size);
        }
        sha256 = hex(sha256, SHA256, "sha256");
        gitOid = hex(gitOid, SHA1, "gitOid");
    }

    /** Whether the hub stores this file with LFS (and so serves it from its CDN, with a SHA-256). */
    public boolean isLfs() {
        return sha256 != null;
    }

    private static String hex(String value, Pattern form, String what) {
        if (value == null || value.isBlank()) {
            return null;
        }
        String v = value.trim().toLowerCase(Locale.ROOT);
        if (!form.matcher(v).matches()) {
            throw new IllegalArgumentException(what + " is not a hex digest: '" + value + "'");
        }
        return v;
    }
}
