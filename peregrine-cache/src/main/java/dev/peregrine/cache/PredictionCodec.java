package dev.peregrine.cache;

import dev.peregrine.core.engine.TextResult;
import dev.peregrine.core.tokenize.TokenStats;

/**
 * The bytes of one entry in Redis. Compact (4 bytes per float plus about 14) and versioned:
 *
 * <pre>
 * offset  size  field
 * 0       1     magic 0x50 ('P')
 * 1       1     format version, 2 (version 1 had no unknown-token count)
 * 2       1     value kind: 1 = float32, little-endian
 * 3       1     flags: bit 0 = truncated, bit 1 = split into windows; other bits must be 0
 * 4       8     the first 8 bytes of the key's digest
 * 12      1-5   tokens, unsigned LEB128 varint
 * ..      1-5   unknown tokens, unsigned LEB128 varint
 * ..      1-5   windows (at least 2), unsigned LEB128 varint: only with flag bit 1
 * ..      1-5   number of floats n, unsigned LEB128 varint
 * ..      4n    the floats (raw IEEE 754 bits, NaN payloads kept)
 * </pre>
 *
 * The digest bytes make an answer that belongs to another key (a reply read out of step after a
 * protocol error, or a foreign writer under the same prefix) a detected miss instead of a wrong
 * result. Anything that does not match this layout exactly, trailing bytes included, is rejected.
 * Stateless and thread-safe.
 */
final class PredictionCodec {

    static final byte MAGIC = 0x50;
    static final byte VERSION = 2;
    static final byte KIND_FLOAT32_LE = 1;
    static final int FLAG_TRUNCATED = 1;
    /** A text split into windows carries their count; one that ran whole is written as before. */
    static final int FLAG_WINDOWED = 2;
    private static final int HEADER = 4 + CacheKey.CHECK_BYTES;

    private PredictionCodec() {
    }

    static byte[] encode(CacheKey key, TextResult prediction) {
        float[] values = prediction.values();
        boolean windowed = prediction.windows() > 1;
        int size = HEADER + varintSize(prediction.tokens()) + varintSize(prediction.unknownTokens())
                + (windowed ? varintSize(prediction.windows()) : 0) + varintSize(values.length) + 4 * values.length;
        byte[] out = new byte[size];
        out[0] = MAGIC;
        out[1] = VERSION;
        out[2] = KIND_FLOAT32_LE;
        out[3] = (byte) ((prediction.truncated() ? FLAG_TRUNCATED : 0) | (windowed ? FLAG_WINDOWED : 0));
        key.writeCheck(out, 4);
        int p = writeVarint(out, HEADER, prediction.tokens());
        p = writeVarint(out, p, prediction.unknownTokens());
        if (windowed) {
            p = writeVarint(out, p, prediction.windows());
        }
        p = writeVarint(out, p, values.length);
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v);
            out[p++] = (byte) bits;
            out[p++] = (byte) (bits >>> 8);
            out[p++] = (byte) (bits >>> 16);
            out[p++] = (byte) (bits >>> 24);
        }
        return out;
    }

    /**
     * @throws MalformedEntryException when the bytes are not a version-2 entry of exactly this key
     */
    static TextResult decode(CacheKey key, byte[] bytes) throws MalformedEntryException {
        if (bytes.length < HEADER + 3) {
            throw new MalformedEntryException("too short: " + bytes.length + " bytes");
        }
        if (bytes[0] != MAGIC) {
            throw new MalformedEntryException("bad magic byte " + (bytes[0] & 0xff));
        }
        if (bytes[1] != VERSION) {
            throw new MalformedEntryException("unknown format version " + (bytes[1] & 0xff));
        }
        if (bytes[2] != KIND_FLOAT32_LE) {
            throw new MalformedEntryException("unknown value kind " + (bytes[2] & 0xff));
        }
        if ((bytes[3] & ~(FLAG_TRUNCATED | FLAG_WINDOWED)) != 0) {
            throw new MalformedEntryException("unknown flags " + (bytes[3] & 0xff));
        }
        if (!key.checkMatches(bytes, 4)) {
            throw new MalformedEntryException("entry belongs to another key");
        }
        long tokensAndEnd = readVarint(bytes, HEADER);
        int tokens = (int) tokensAndEnd;
        long unknownAndEnd = readVarint(bytes, (int) (tokensAndEnd >>> 32));
        int unknown = (int) unknownAndEnd;
        if (unknown > tokens) {
            throw new MalformedEntryException(unknown + " unknown tokens of " + tokens);
        }
        int windows = 1;
        int next = (int) (unknownAndEnd >>> 32);
        if ((bytes[3] & FLAG_WINDOWED) != 0) {
            long windowsAndEnd = readVarint(bytes, next);
            windows = (int) windowsAndEnd;
            if (windows < 2) {
                throw new MalformedEntryException("a split text with " + windows + " windows");
            }
            next = (int) (windowsAndEnd >>> 32);
        }
        long countAndEnd = readVarint(bytes, next);
        int count = (int) countAndEnd;
        int p = (int) (countAndEnd >>> 32);
        if ((long) count * 4 != bytes.length - p) {
            throw new MalformedEntryException(count + " floats announced but " + (bytes.length - p) + " bytes follow");
        }
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            int bits = (bytes[p] & 0xff) | (bytes[p + 1] & 0xff) << 8 | (bytes[p + 2] & 0xff) << 16
                    | (bytes[p + 3] & 0xff) << 24;
            values[i] = Float.intBitsToFloat(bits);
            p += 4;
        }
        return new TextResult(values, new TokenStats(tokens, (bytes[3] & FLAG_TRUNCATED) != 0, unknown, windows));
    }

    static int varintSize(int value) {
        int size = 1;
        while ((value & ~0x7f) != 0) {
            value >>>= 7;
            size++;
        }
        return size;
    }

    private static int writeVarint(byte[] out, int p, int value) {
        while ((value & ~0x7f) != 0) {
            out[p++] = (byte) ((value & 0x7f) | 0x80);
            value >>>= 7;
        }
        out[p++] = (byte) value;
        return p;
    }

    /**
     * Reads a non-negative int written by {@link #writeVarint}.
     *
     * @return the value in the low 32 bits and the offset after it in the high 32 bits
     */
    private static long readVarint(byte[] bytes, int p) throws MalformedEntryException {
        long value = 0;
        for (int shift = 0; shift < 35; shift += 7) {
            if (p >= bytes.length) {
                throw new MalformedEntryException("varint runs past the end");
            }
            int b = bytes[p++] & 0xff;
            value |= (long) (b & 0x7f) << shift;
            if ((b & 0x80) == 0) {
                if (b == 0 && shift > 0) {
                    throw new MalformedEntryException("varint not in its shortest form");
                }
                if (value > Integer.MAX_VALUE) {
                    throw new MalformedEntryException("varint out of range: " + value);
                }
                return (long) p << 32 | value;
            }
        }
        throw new MalformedEntryException("varint longer than 5 bytes");
    }

    /** Bytes in Redis that are not an entry this cache wrote for the key asked for. */
    static final class MalformedEntryException extends Exception {
        MalformedEntryException(String message) {
            super(message, null, false, false);
        }
    }
}
