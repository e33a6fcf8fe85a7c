package dev.peregrine.server.http;

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
     * The body's bytes, inflated when {@code gzip}.
     *
     * @param maxBytes most bytes a body may have, inflated or not (413 beyond)
     */
    static byte[] decode(byte[] body, boolean gzip, long maxBytes) {
        if (!gzip) {
            return body;
        }
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body), 8192)) {
            byte[] out = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, maxBytes + 1));
            if (out.length > maxBytes) {
                throw new ApiException(ApiError.PAYLOAD_TOO_LARGE, "the gzip body inflates to more than the limit of "
                        + maxBytes + " bytes");
            }
            return out;
        } catch (IOException e) {
            throw new ApiException(ApiError.MALFORMED, "the body is not valid gzip: " + Echo.of(String.valueOf(e.getMessage())));
        }
    }
}
