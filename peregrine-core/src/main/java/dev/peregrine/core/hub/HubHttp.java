package dev.peregrine.core.hub;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodySubscriber;
import java.net.http.HttpResponse.BodySubscribers;
import java.net.http.HttpResponse.ResponseInfo;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * GET requests to the hub with the policies a model download needs, over the JDK's HttpClient.
 *
 * <p>Why redirects are followed here rather than by the client: the hub answers {@code resolve}
 * requests for LFS files with a 302 to a CDN and a signed URL. The token must reach the hub's own
 * host only, so every hop decides afresh whether to send it (same scheme, host and port as the
 * endpoint), and the hub's headers on the 302 ({@code X-Linked-Etag}, {@code X-Linked-Size}) are
 * kept for the caller.
 *
 * <p>Why bodies are pushed into a subscriber and watched: the client's own timeout covers only the
 * wait for response headers, and a blocked read of a body stream cannot be given a timeout. A body
 * subscriber that records when bytes last arrived lets the waiting thread cancel a stalled response
 * after {@link HubOptions#idleTimeout()} of silence, however long the whole download takes.
 *
 * <p>Thread-safe: the HttpClient is shared, all other state is per request.
 */
final class HubHttp {

    private static final int MAX_REDIRECTS = 10;

    private final HubOptions options;
    private final HttpClient client;
    private final String userAgent;

    HubHttp(HubOptions options) {
        this.options = Objects.requireNonNull(options, "options");
        this.client = HttpClient.newBuilder()
                // HTTP/1.1 as huggingface_hub uses; one file at a time gains nothing from HTTP/2.
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(options.connectTimeout())
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        String version = HubHttp.class.getPackage().getImplementationVersion();
        this.userAgent = "peregrine/" + (version == null ? "dev" : version) + "; java/" + Runtime.version().feature();
    }

    HubOptions options() {
        return options;
    }

    /** The answer to a GET after redirects: the final response, and the first hop's headers (the hub's). */
    record Exchange<T>(HttpResponse<T> response, HttpHeaders hubHeaders, boolean tokenSent) {
        int status() {
            return response.statusCode();
        }

        URI uri() {
            return response.uri();
        }
    }

    /**
     * Sends a GET, following redirects, and waits for the final response's body.
     *
     * @param range   a {@code Range} header value, or null
     * @param handler makes the body subscriber of the final (non-redirect) response, given its status
     *                and headers; it runs on a client thread
     * @throws IOException on network failures and timeouts (the caller decides whether to retry)
     */
    <T> Exchange<T> get(URI uri, String range, HttpResponse.BodyHandler<T> handler) throws IOException {
        URI current = uri;
        HttpHeaders first = null;
        boolean tokenSent = false;
        for (int hop = 0; hop <= MAX_REDIRECTS; hop++) {
            boolean sendToken = options.hasToken() && sameOrigin(current, options.endpoint());
            tokenSent |= sendToken;
            HttpRequest.Builder request = HttpRequest.newBuilder(current)
                    .GET()
                    .timeout(options.idleTimeout())
                    .header("User-Agent", userAgent);
            if (sendToken) {
                request.header("Authorization", "Bearer " + options.token());
            }
            if (range != null) {
                request.header("Range", range);
            }
            IdleWatch watch = new IdleWatch();
            CompletableFuture<HttpResponse<T>> pending = client.sendAsync(request.build(), info ->
                    watch.wrap(isRedirect(info) ? BodySubscribers.replacing(null) : handler.apply(info)));
            HttpResponse<T> response;
            try {
                response = await(pending, watch, current);
            } catch (IOException e) {
                throw new HubErrors.NetworkException(HubErrors.describe(e, current), e);
            }
            if (first == null) {
                first = response.headers();
            }
            if (!isRedirect(response.statusCode(), response.headers())) {
                return new Exchange<>(response, first, tokenSent);
            }
            String location = response.headers().firstValue("Location").orElseThrow();
            URI next;
            try {
                next = current.resolve(location.trim());
            } catch (IllegalArgumentException e) {
                throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED,
                        origin(current) + " redirected to something that is not a URL", e);
            }
            if (next.getScheme() == null || next.getHost() == null
                    || !(next.getScheme().equalsIgnoreCase("https") || next.getScheme().equalsIgnoreCase("http"))) {
                throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED,
                        origin(current) + " redirected to something that is not an http(s) URL");
            }
            if (current.getScheme().equalsIgnoreCase("https") && !next.getScheme().equalsIgnoreCase("https")) {
                throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED, "refusing to follow a redirect from "
                        + origin(current) + " to the unencrypted " + origin(next));
            }
            current = next;
        }
        throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED,
                "too many redirects (more than " + MAX_REDIRECTS + ") from " + origin(uri));
    }

    /** Same scheme, host and port: the only places the token may go. */
    static boolean sameOrigin(URI a, URI b) {
        return a.getScheme().equalsIgnoreCase(b.getScheme())
                && a.getHost() != null && a.getHost().equalsIgnoreCase(b.getHost())
                && port(a) == port(b);
    }

    /** {@code scheme://host[:port]}: what error messages show of a URL (a signed CDN URL's query is a secret). */
    static String origin(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "");
    }

    private static int port(URI u) {
        if (u.getPort() >= 0) {
            return u.getPort();
        }
        return u.getScheme().equalsIgnoreCase("https") ? 443 : 80;
    }

    private static boolean isRedirect(ResponseInfo info) {
        return isRedirect(info.statusCode(), info.headers());
    }

    private static boolean isRedirect(int status, HttpHeaders headers) {
        return (status == 301 || status == 302 || status == 303 || status == 307 || status == 308)
                && headers.firstValue("Location").isPresent();
    }

    private <T> T await(CompletableFuture<T> pending, IdleWatch watch, URI uri) throws IOException {
        long idleNanos = options.idleTimeout().toNanos();
        while (true) {
            long waitNanos = watch.lastActivityNanos() + idleNanos - System.nanoTime();
            if (waitNanos <= 0) {
                watch.cancel();
                pending.cancel(true);
                throw new HttpTimeoutException("no data from " + origin(uri) + " for "
                        + seconds(options.idleTimeout()));
            }
            try {
                return pending.get(waitNanos, TimeUnit.NANOSECONDS);
            } catch (TimeoutException e) {
                // loop: the deadline moves on if bytes arrived meanwhile
            } catch (InterruptedException e) {
                watch.cancel();
                pending.cancel(true);
                Thread.currentThread().interrupt();
                throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED, "download interrupted", e);
            } catch (CancellationException e) {
                throw new IOException("request to " + origin(uri) + " was cancelled", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                while (cause instanceof java.util.concurrent.CompletionException && cause.getCause() != null) {
                    cause = cause.getCause();
                }
                if (cause instanceof IOException io) {
                    throw io;
                }
                if (cause instanceof RuntimeException re) {
                    throw re;
                }
                throw new IOException(cause);
            }
        }
    }

    static String seconds(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : String.format(Locale.ROOT, "%.1f s", d.toMillis() / 1000.0);
    }

    /** Reads a small body (JSON) into a string. */
    static HttpResponse.BodyHandler<String> text() {
        return info -> BodySubscribers.ofString(StandardCharsets.UTF_8);
    }

    /**
     * Records when a response last made progress and lets the waiting thread cancel it. One per
     * request; the client calls the subscriber on its threads, the waiting thread reads the time.
     */
    static final class IdleWatch {
        private volatile long lastActivity = System.nanoTime();
        private volatile Flow.Subscription subscription;
        private volatile boolean cancelled;

        long lastActivityNanos() {
            return lastActivity;
        }

        void cancel() {
            cancelled = true;
            Flow.Subscription s = subscription;
            if (s != null) {
                s.cancel();
            }
        }

        <T> BodySubscriber<T> wrap(BodySubscriber<T> delegate) {
            lastActivity = System.nanoTime();
            return new BodySubscriber<>() {
                @Override
                public CompletionStage<T> getBody() {
                    return delegate.getBody();
                }

                @Override
                public void onSubscribe(Flow.Subscription s) {
                    subscription = s;
                    delegate.onSubscribe(s);
                    if (cancelled) {
                        s.cancel();
                    }
                }

                @Override
                public void onNext(List<ByteBuffer> items) {
                    lastActivity = System.nanoTime();
                    delegate.onNext(items);
                }

                @Override
                public void onError(Throwable t) {
                    delegate.onError(t);
                }

                @Override
                public void onComplete() {
                    delegate.onComplete();
                }
            };
        }
    }
}
