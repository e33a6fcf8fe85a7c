package dev.peregrine.core.hub;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * How to reach the hub: every tunable of a pull with its default, gathered once.
 *
 * @param endpoint       the hub's base URL, without a trailing slash; default {@value #DEFAULT_ENDPOINT}
 * @param token          an access token sent as {@code Authorization: Bearer} to the endpoint's host
 *                       only (never to the CDN a download is redirected to); null for none. Never
 *                       part of {@link #toString()}.
 * @param connectTimeout how long to wait for a TCP/TLS connection
 * @param idleTimeout    how long a response may stay silent, before its headers or between body bytes
 * @param maxAttempts    tries per request, counting the first; transient failures (5xx, 429, reset
 *                       connections, timeouts) are retried, resuming downloads where they stopped
 * @param initialBackoff wait before the first retry; it doubles for each later one
 */
public record HubOptions(URI endpoint, String token, Duration connectTimeout, Duration idleTimeout,
                         int maxAttempts, Duration initialBackoff) {

    public static final String DEFAULT_ENDPOINT = "https://huggingface.co";
    /** Environment variable naming another endpoint (a mirror, or a test server); as huggingface_hub reads it. */
    public static final String ENDPOINT_ENV = "HF_ENDPOINT";
    /** Environment variable holding the access token; as huggingface_hub reads it. */
    public static final String TOKEN_ENV = "HF_TOKEN";

    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_IDLE_TIMEOUT = Duration.ofSeconds(30);
    public static final int DEFAULT_MAX_ATTEMPTS = 4;
    public static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);

    public HubOptions {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(connectTimeout, "connectTimeout");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        String scheme = endpoint.getScheme() == null ? "" : endpoint.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("https") || scheme.equals("http")) || endpoint.getHost() == null) {
            throw new IllegalArgumentException("hub endpoint must be an http(s) URL such as "
                    + DEFAULT_ENDPOINT + ", was '" + endpoint + "'");
        }
        if (endpoint.getRawUserInfo() != null || endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            throw new IllegalArgumentException("hub endpoint must be a plain URL (no user info, query or fragment): "
                    + endpoint.getScheme() + "://" + endpoint.getHost());
        }
        endpoint = stripTrailingSlash(endpoint);
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (token != null && (token.contains("\n") || token.contains("\r"))) {
            throw new IllegalArgumentException("the hub token contains a line break");
        }
        if (connectTimeout.isNegative() || connectTimeout.isZero()) {
            throw new IllegalArgumentException("connectTimeout must be positive, was " + connectTimeout);
        }
        if (idleTimeout.isNegative() || idleTimeout.isZero()) {
            throw new IllegalArgumentException("idleTimeout must be positive, was " + idleTimeout);
        }
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff must not be negative, was " + initialBackoff);
        }
    }

    /** The defaults, with endpoint and token from {@value #ENDPOINT_ENV} and {@value #TOKEN_ENV} when set. */
    public static HubOptions fromEnvironment() {
        return fromEnvironment(System.getenv());
    }

    static HubOptions fromEnvironment(Map<String, String> env) {
        return builder().endpoint(env.get(ENDPOINT_ENV)).token(env.get(TOKEN_ENV)).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Whether a token will be sent. */
    public boolean hasToken() {
        return token != null;
    }

    /** Shows every field but the token, which is only said to be present or not. */
    @Override
    public String toString() {
        return "HubOptions[endpoint=" + endpoint + ", token=" + (token == null ? "none" : "***")
                + ", connectTimeout=" + connectTimeout + ", idleTimeout=" + idleTimeout
                + ", maxAttempts=" + maxAttempts + ", initialBackoff=" + initialBackoff + "]";
    }

    private static URI stripTrailingSlash(URI uri) {
        String s = uri.toString();
        if (!s.endsWith("/")) {
            return uri;
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return URI.create(s);
    }

    /** Builds {@link HubOptions}; unset fields keep their defaults. Not thread-safe. */
    public static final class Builder {
        private URI endpoint = URI.create(DEFAULT_ENDPOINT);
        private String token;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration idleTimeout = DEFAULT_IDLE_TIMEOUT;
        private int maxAttempts = DEFAULT_MAX_ATTEMPTS;
        private Duration initialBackoff = DEFAULT_INITIAL_BACKOFF;

        private Builder() {
        }

        /** The hub's base URL; null or blank keeps the default. */
        public Builder endpoint(String url) {
            if (url == null || url.isBlank()) {
                return this;
            }
            try {
                return endpoint(new URI(url.trim()));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("hub endpoint is not a URL: '" + url + "'", e);
            }
        }

        public Builder endpoint(URI url) {
            this.endpoint = Objects.requireNonNull(url, "url");
            return this;
        }

        /** The access token; null or blank for none. */
        public Builder token(String token) {
            this.token = token == null ? null : token.trim();
            return this;
        }

        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = timeout;
            return this;
        }

        public Builder idleTimeout(Duration timeout) {
            this.idleTimeout = timeout;
            return this;
        }

        public Builder maxAttempts(int attempts) {
            this.maxAttempts = attempts;
            return this;
        }

        public Builder initialBackoff(Duration backoff) {
            this.initialBackoff = backoff;
            return this;
        }

        /** @throws IllegalArgumentException when a value is out of range */
        public HubOptions build() {
            return new HubOptions(endpoint, token, connectTimeout, idleTimeout, maxAttempts, initialBackoff);
        }
    }
}
