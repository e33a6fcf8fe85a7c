package dev.peregrine.server.http;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.buffer.BufferInternal;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Locale;
import java.util.zip.GZIPInputStream;

/**
 * A request body as the JSON parser needs it: {@code Content-Encoding: gzip} inflated with the same
 * limit as an uncompressed body (so a small "gzip bomb" is refused at the limit, not inflated),
 * identity passed through, any other encoding refused.
 */
final class RequestBody {

    private RequestBody() {
    }

    /**
     * Checked on the event loop, before the work is handed on: 415 for an encoding the server does not
     * decode.
     *
     * @return whether the body is gzip
     */
    static boolean gzip(String contentEncoding) {
        if (contentEncoding == null) {
            return false;
        }
        String e = contentEncoding.trim().toLowerCase(Locale.ROOT);
        if (e.isEmpty() || e.equals("identity")) {
            return false;
        }
        if (e.equals("gzip") || e.equals("x-gzip")) {
            return true;
        }
        throw new ApiException(ApiError.UNSUPPORTED_MEDIA_TYPE, "Content-Encoding '" + Echo.of(contentEncoding)
                + "' is not supported; send gzip or an uncompressed body");
    }

    /**
     * A slice of a byte array: the body as received, without a copy when the buffer is on the heap.
     *
     * @param array  the bytes
     * @param offset where the body starts
     * @param length how long it is
     */
    record Bytes(byte[] array, int offset, int length) {

        static final Bytes EMPTY = new Bytes(new byte[0], 0, 0);

        Bytes {
            if (offset < 0 || length < 0 || offset + length > array.length) {
                throw new IllegalArgumentException("slice " + offset + "+" + length + " of " + array.length + " bytes");
            }
        }

        static Bytes of(byte[] bytes) {
            return new Bytes(bytes, 0, bytes.length);
        }

        /** The received body: its heap array where it has one (no copy), else a copy. */
        static Bytes of(Buffer buffer) {
            if (buffer == null) {
                return EMPTY;
            }
            if (buffer instanceof BufferInternal internal) {
                ByteBuf b = internal.unwrap();
                if (b.hasArray()) {
                    return new Bytes(b.array(), b.arrayOffset() + b.readerIndex(), b.readableBytes());
                }
            }
            return of(buffer.getBytes());
        }
    }

    /**
     * The body's bytes, inflated when {@code gzip}.
     *
     * @param maxBytes most bytes a body may have, inflated or not (413 beyond)
     */
    static byte[] decode(byte[] body, boolean gzip, long maxBytes) {
        if (!gzip) {
            return body;
        }
        Bytes out = decode(Bytes.of(body), true, maxBytes);
        return out.array();
    }

    /** {@link #decode(byte[], boolean, long)} of a slice; an identity body is passed on as it is. */
    static Bytes decode(Bytes body, boolean gzip, long maxBytes) {
        if (!gzip) {
            return body;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body.array(), body.offset(), body.length()), 8192)) {
            byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (out.length > maxBytes) {
                throw new ApiException(ApiError.PAYLOAD_TOO_LARGE, "the gzip body inflates to more than the limit of "
                        + maxBytes + " bytes");
            }
            return Bytes.of(out);
        } catch (IOException e) {
            throw new ApiException(ApiError.MALFORMED, "the body is not valid gzip: " + Echo.of(String.valueOf(e.getMessage())));
        }
    }
}
