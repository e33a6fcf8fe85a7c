package dev.peregrine.cache;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;

/**
 * One text's identity in both levels: SHA-256 over a format tag, the three {@link CacheScope}
 * fields and the text. Every string goes in as its length followed by its UTF-16 code units, so no
 * two different field tuples feed the same bytes (no separator can be forged) and texts that are
 * not well-formed Unicode (lone surrogates) keep distinct keys, which a UTF-8 encoding would fold
 * into '?'.
 *
 * <p>Immutable; equality is over the digest. Keys are made by a {@link Hasher}, one per request.
 */
final class CacheKey {

    /** Changes whenever the key derivation changes, so old entries are simply never found again. */
    private static final byte[] FORMAT_TAG = "peregrine-cache-key/1".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
    private static final MessageDigest PROTOTYPE;

    static {
        try {
            PROTOTYPE = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Bytes of the digest copied into an entry's encoding, to catch an answer meant for another key. */
    static final int CHECK_BYTES = 8;

    private final byte[] digest;
    private final int hash;

    private CacheKey(byte[] digest) {
        this.digest = digest;
        this.hash = (digest[0] & 0xff) << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8 | (digest[3] & 0xff);
    }

    /** The Redis key: the prefix followed by the digest in unpadded base64url (43 characters). */
    byte[] redisKey(byte[] prefix) {
        byte[] encoded = BASE64URL.encode(digest);
        byte[] key = Arrays.copyOf(prefix, prefix.length + encoded.length);
        System.arraycopy(encoded, 0, key, prefix.length, encoded.length);
        return key;
    }

    /** Whether {@code bytes[offset..offset+CHECK_BYTES)} are this key's check bytes. */
    boolean checkMatches(byte[] bytes, int offset) {
        return Arrays.equals(digest, 0, CHECK_BYTES, bytes, offset, offset + CHECK_BYTES);
    }

    /** Writes this key's check bytes at {@code offset}. */
    void writeCheck(byte[] bytes, int offset) {
        System.arraycopy(digest, 0, bytes, offset, CHECK_BYTES);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CacheKey k && hash == k.hash && Arrays.equals(digest, k.digest);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public String toString() {
        return BASE64URL.encodeToString(digest);
    }

    /**
     * Makes the keys of one scope: the scope is digested once and the state copied for each text.
     * Not thread-safe: one per request.
     */
    static final class Hasher {

        private final MessageDigest scoped;
        private byte[] buffer = new byte[256];

        Hasher(CacheScope scope) {
            scoped = fresh();
            scoped.update(FORMAT_TAG);
            update(scoped, scope.model());
            update(scoped, scope.modelFingerprint());
            update(scoped, scope.parameters());
        }

        CacheKey key(String text) {
            MessageDigest digest = copy(scoped);
            update(digest, text);
            return new CacheKey(digest.digest());
        }

        private void update(MessageDigest digest, String s) {
            int length = s.length();
            int size = 4 + 2 * length;
            if (buffer.length < size) {
                buffer = new byte[Math.max(size, 2 * buffer.length)];
            }
            byte[] b = buffer;
            b[0] = (byte) (length >>> 24);
            b[1] = (byte) (length >>> 16);
            b[2] = (byte) (length >>> 8);
            b[3] = (byte) length;
            int p = 4;
            for (int i = 0; i < length; i++) {
                char c = s.charAt(i);
                b[p++] = (byte) (c >>> 8);
                b[p++] = (byte) c;
            }
            digest.update(b, 0, size);
        }

        private static MessageDigest fresh() {
            return copy(PROTOTYPE);
        }

        private static MessageDigest copy(MessageDigest digest) {
            try {
                return (MessageDigest) digest.clone();
            } catch (CloneNotSupportedException e) {
                // Every JDK's SHA-256 clones; a provider that does not would only make keys slower.
                throw new IllegalStateException("SHA-256 digest cannot be cloned", e);
            }
        }
    }
}
