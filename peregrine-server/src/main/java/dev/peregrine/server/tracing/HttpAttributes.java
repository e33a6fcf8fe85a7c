package dev.peregrine.server.tracing;

import io.opentelemetry.api.common.AttributeKey;
import java.util.Set;

/**
 * The attribute names of the spans: OpenTelemetry's HTTP semantic conventions (stable since
 * v1.23) for the SERVER span, {@code peregrine.*} for what is ours.
 */
final class HttpAttributes {

    static final AttributeKey<String> REQUEST_METHOD = AttributeKey.stringKey("http.request.method");
    static final AttributeKey<Long> RESPONSE_STATUS = AttributeKey.longKey("http.response.status_code");
    static final AttributeKey<String> ROUTE = AttributeKey.stringKey("http.route");
    static final AttributeKey<String> URL_PATH = AttributeKey.stringKey("url.path");
    static final AttributeKey<String> URL_SCHEME = AttributeKey.stringKey("url.scheme");
    static final AttributeKey<String> PROTOCOL_VERSION = AttributeKey.stringKey("network.protocol.version");
    static final AttributeKey<String> SERVER_ADDRESS = AttributeKey.stringKey("server.address");
    static final AttributeKey<Long> SERVER_PORT = AttributeKey.longKey("server.port");
    static final AttributeKey<String> CLIENT_ADDRESS = AttributeKey.stringKey("client.address");
    static final AttributeKey<String> PEER_ADDRESS = AttributeKey.stringKey("network.peer.address");
    static final AttributeKey<Long> PEER_PORT = AttributeKey.longKey("network.peer.port");
    static final AttributeKey<String> USER_AGENT = AttributeKey.stringKey("user_agent.original");
    static final AttributeKey<String> ERROR_TYPE = AttributeKey.stringKey("error.type");

    static final AttributeKey<String> MODEL = AttributeKey.stringKey("peregrine.model");
    static final AttributeKey<Long> TEXTS = AttributeKey.longKey("peregrine.texts");
    static final AttributeKey<Long> TOKENS = AttributeKey.longKey("peregrine.tokens");
    static final AttributeKey<String> API_ERROR = AttributeKey.stringKey("peregrine.error_type");
    static final AttributeKey<Boolean> CACHE_HIT = AttributeKey.booleanKey("peregrine.cache.hit");
    static final AttributeKey<Long> CACHE_HITS = AttributeKey.longKey("peregrine.cache.hits");
    static final AttributeKey<Long> CACHE_MISSES = AttributeKey.longKey("peregrine.cache.misses");
    static final AttributeKey<Long> BATCH_ID = AttributeKey.longKey("peregrine.batch.id");
    static final AttributeKey<Long> BATCH_SIZE = AttributeKey.longKey("peregrine.batch.size");
    static final AttributeKey<Long> BATCH_PADDED_LENGTH = AttributeKey.longKey("peregrine.batch.padded_length");
    static final AttributeKey<Long> BATCH_PADDED_TOKENS = AttributeKey.longKey("peregrine.batch.padded_tokens");
    static final AttributeKey<Long> BATCH_OWN_TEXTS = AttributeKey.longKey("peregrine.batch.request_texts");

    /** The methods the conventions name; any other is reported as {@code _OTHER} (bounded cardinality). */
    private static final Set<String> KNOWN_METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT",
            "OPTIONS", "TRACE", "PATCH");

    private HttpAttributes() {
    }

    static String method(String method) {
        return KNOWN_METHODS.contains(method) ? method : "_OTHER";
    }
}
