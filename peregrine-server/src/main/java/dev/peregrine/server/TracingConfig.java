package dev.peregrine.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Objects;

/**
 * Tracing and request logging, part of {@link ServeConfig}.
 *
 * @param otlpEndpoint where spans go over OTLP http/protobuf: a collector's base URL
 *                     ({@code http://collector:4318}, to which {@code /v1/traces} is added) or the full
 *                     traces URL (any other path is used as given); null turns tracing off: no
 *                     exporter, no spans, nothing on the request path
 * @param serviceName  the {@code service.name} resource of every span
 * @param sampleRatio  share of new traces recorded, 0..1; a request that brings a {@code traceparent}
 *                     follows its caller's sampling decision (parent-based)
 * @param accessLog    log one INFO line per answered request (method, route, status, model, texts,
 *                     milliseconds), inside its span, so that JSON logs carry its trace id
 */
public record TracingConfig(URI otlpEndpoint, String serviceName, double sampleRatio, boolean accessLog) {

    public static final String DEFAULT_SERVICE_NAME = "peregrine";
    public static final String DEFAULT_SAMPLE_RATIO = "1.0";

    public TracingConfig {
        Objects.requireNonNull(serviceName, "serviceName");
        if (serviceName.isBlank()) {
            throw new IllegalArgumentException("the tracing service name must not be blank");
        }
        if (!(sampleRatio >= 0 && sampleRatio <= 1)) {
            throw new IllegalArgumentException("trace sample ratio must be 0..1, was " + sampleRatio);
        }
        if (otlpEndpoint != null) {
            String scheme = otlpEndpoint.getScheme() == null ? "" : otlpEndpoint.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || otlpEndpoint.getHost() == null) {
                throw new IllegalArgumentException("the OTLP endpoint must be an http:// or https:// URL with a host, "
                        + "such as http://localhost:4318; was '" + otlpEndpoint + "'");
            }
        }
    }

    /** Tracing off, no access log. */
    public static TracingConfig disabled() {
        return new TracingConfig(null, DEFAULT_SERVICE_NAME, Double.parseDouble(DEFAULT_SAMPLE_RATIO), false);
    }

    /** From flag values; a blank endpoint means off. */
    public static TracingConfig parse(String otlpEndpoint, String serviceName, double sampleRatio, boolean accessLog) {
        URI endpoint = null;
        if (otlpEndpoint != null && !otlpEndpoint.isBlank()) {
            try {
                endpoint = new URI(otlpEndpoint.trim());
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("the OTLP endpoint is not a URL: " + e.getMessage(), e);
            }
        }
        return new TracingConfig(endpoint, serviceName, sampleRatio, accessLog);
    }

    public boolean enabled() {
        return otlpEndpoint != null;
    }

    /** The URL spans are posted to: {@code /v1/traces} added to a base URL without a path. */
    public URI tracesUrl() {
        if (otlpEndpoint == null) {
            return null;
        }
        String path = otlpEndpoint.getRawPath();
        if (path == null || path.isEmpty() || path.equals("/")) {
            String base = otlpEndpoint.toString();
            return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/v1/traces");
        }
        return otlpEndpoint;
    }

    /** For the start-up log. */
    public String describe() {
        return (otlpEndpoint == null ? "off" : "OTLP http/protobuf to " + tracesUrl() + ", service " + serviceName
                + ", sample ratio " + sampleRatio) + (accessLog ? "; access log on" : "");
    }
}
