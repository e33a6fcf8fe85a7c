package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Writes response bodies with Jackson's streaming generator straight into the response's
 * {@link Buffer} (one copy, out of the generator's recycled buffer). Float arrays, most of an
 * embedding response, skip Jackson's per-number {@code String}s: {@link FloatText} formats them
 * into a scratch array of the thread, which the generator takes as one raw value.
 */
final class JsonOutput {

    private static final JsonFactory FACTORY = new JsonFactory();
    /** Per thread (the request pool renders): the text of one float array. */
    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private JsonOutput() {
    }

    static Buffer write(Body body) {
        return write(256, body);
    }

    /** @param sizeHint the body's expected size in bytes (the buffer grows past it if needed) */
    static Buffer write(int sizeHint, Body body) {
        Buffer out = Buffer.buffer(Math.max(64, sizeHint));
        try (JsonGenerator g = FACTORY.createGenerator(new BufferStream(out))) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    /** A body's expected size for {@code vectors} vectors of {@code dimension} floats, plus {@code extra} bytes. */
    static int vectorsSize(int vectors, int dimension, int extra) {
        return (int) Math.min(Integer.MAX_VALUE - 8, (long) vectors * (dimension * 12L + 2) + extra);
    }

    /** {@code [v0,v1,...]} as one value. */
    static void floats(JsonGenerator g, float[] values) throws IOException {
        Scratch s = SCRATCH.get();
        int len = s.format(values, true);
        g.writeRawValue(s.chars, 0, len);
    }

    /**
     * {@code v0,v1,...} inside an array already open: the generator counts it as one value, so the
     * comma before the next one is its own (KServe's flat {@code data} of several rows).
     */
    static void floatElements(JsonGenerator g, float[] values) throws IOException {
        if (values.length == 0) {
            return;
        }
        Scratch s = SCRATCH.get();
        int len = s.format(values, false);
        g.writeRawValue(s.chars, 0, len);
    }

    static Buffer error(ApiException e) {
        return write(g -> {
            g.writeStartObject();
            // No message repeats more than a few hundred characters of a client's input, whatever layer wrote it.
            g.writeStringField("error", Echo.message(e.getMessage()));
            g.writeStringField("error_type", e.error().type());
            g.writeEndObject();
        });
    }

    /** One thread's scratch space for a float array's text: bytes from {@link FloatText}, widened to chars for Jackson. */
    private static final class Scratch {
        byte[] bytes = new byte[8192];
        char[] chars = new char[8192];

        int format(float[] values, boolean brackets) {
            int need = values.length * (FloatText.MAX_BYTES + 1) + 2;
            if (bytes.length < need) {
                bytes = new byte[need];
                chars = new char[need];
            }
            int p = 0;
            if (brackets) {
                bytes[p++] = '[';
            }
            for (int i = 0; i < values.length; i++) {
                if (i > 0) {
                    bytes[p++] = ',';
                }
                p = FloatText.write(values[i], bytes, p);
            }
            if (brackets) {
                bytes[p++] = ']';
            }
            for (int i = 0; i < p; i++) {
                chars[i] = (char) bytes[i];
            }
            return p;
        }
    }

    /** The generator's flushes, appended to the body's buffer. */
    private static final class BufferStream extends OutputStream {
        private final Buffer out;

        BufferStream(Buffer out) {
            this.out = out;
        }

        @Override
        public void write(int b) {
            out.appendByte((byte) b);
        }

        @Override
        public void write(byte[] b, int off, int len) {
            out.appendBytes(b, off, len);
        }
    }
}
