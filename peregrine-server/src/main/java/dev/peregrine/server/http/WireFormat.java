package dev.peregrine.server.http;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The request bodies the server reads, one per wire format, and the one pure step that turns raw
 * bytes into a validated body: decode ({@link RequestBody}), parse strictly ({@link JsonInput}),
 * validate the format's fields. No server, model or thread is involved, so the step can be run
 * (and fuzzed) alone; its only failure is an {@link ApiException} with a 4xx status.
 */
enum WireFormat {
    /** Peregrine's {@code POST /classify}. */
    CLASSIFY {
        @Override
        Object validate(JsonNode json, int maxInputs) {
            return InferenceRoutes.ClassifyBody.parse(json, maxInputs);
        }
    },
    /** text-embeddings-inference's {@code POST /embed}. */
    TEI_EMBED {
        @Override
        Object validate(JsonNode json, int maxInputs) {
            return InferenceRoutes.EmbedBody.parse(json, maxInputs);
        }
    },
    /** text-embeddings-inference's {@code POST /predict}. */
    TEI_PREDICT {
        @Override
        Object validate(JsonNode json, int maxInputs) {
            return InferenceRoutes.PredictBody.parse(json, maxInputs);
        }
    },
    /** OpenAI's {@code POST /v1/embeddings}. */
    OPENAI_EMBEDDINGS {
        @Override
        Object validate(JsonNode json, int maxInputs) {
            return OpenAiRoutes.EmbeddingsBody.parse(json, maxInputs);
        }
    },
    /** KServe v2's {@code POST /v2/models/{name}/infer}. */
    KSERVE_INFER {
        @Override
        Object validate(JsonNode json, int maxInputs) {
            return KServeRoutes.InferBody.parse(json, maxInputs);
        }
    };

    abstract Object validate(JsonNode json, int maxInputs);

    /**
     * Raw body to validated body, as the server does it for this format.
     *
     * @param contentEncoding the request's {@code Content-Encoding}, or null
     * @throws ApiException (4xx) for every way the body can be wrong
     */
    Object parse(String contentEncoding, byte[] body, long maxBodyBytes, int maxInputs) {
        boolean gzip = RequestBody.gzip(contentEncoding);
        return validate(JsonInput.object(RequestBody.decode(body, gzip, maxBodyBytes)), maxInputs);
    }
}
