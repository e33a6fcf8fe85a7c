package dev.peregrine.server.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/** Writes response bodies with Jackson's streaming generator (vectors are written number by number). */
final class JsonOutput {

    private static final JsonFactory FACTORY = new JsonFactory();

    interface Body {
        void write(JsonGenerator g) throws IOException;
    }

    private JsonOutput() {
    }

    static Buffer write(Body body) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            body.write(g);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Buffer.buffer(out.toByteArray());
    }

    static void floats(JsonGenerator g, float[] values) throws IOException {
        g.writeStartArray();
        for (float v : values) {
            g.writeNumber(v);
        }
        g.writeEndArray();
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
}
