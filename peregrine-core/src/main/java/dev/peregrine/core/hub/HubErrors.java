package dev.peregrine.core.hub;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpHeaders;
import java.net.http.HttpTimeoutException;
import java.nio.channels.UnresolvedAddressException;
import java.time.Duration;
import java.util.Optional;

/**
 * Turns what the hub answers into one line a user can act on. The hub says what went wrong in an
 * {@code X-Error-Code} header ({@code RepoNotFound}, {@code RevisionNotFound}, {@code EntryNotFound},
 * {@code GatedRepo}); a private repository looks like a missing one (401) to a caller without a token.
 */
final class HubErrors {

    private HubErrors() {
    }

    /** A failure worth another try: 5xx, 429, 408, a broken range answer. */
    static final class TransientException extends IOException {
        private final Duration retryAfter;

        TransientException(String message, Duration retryAfter) {
            super(message);
            this.retryAfter = retryAfter;
        }

        /** How long the server asked us to wait, or null. */
        Duration retryAfter() {
            return retryAfter;
        }
    }

    /** A network failure (refused, reset, timed out), its message already written for the user. */
    static final class NetworkException extends IOException {
        NetworkException(String message, IOException cause) {
            super(message, cause);
        }
    }

    /**
     * Throws the error for an unsuccessful answer: a {@link TransientException} when a retry may
     * help, else a {@link PeregrineException} ({@link ErrorKind#DOWNLOAD_FAILED}).
     *
     * @param path the file being downloaded, or null for the listing
     */
    static PeregrineException fail(HubHttp.Exchange<?> exchange, HubModelId model, String commit, String path,
                                   HubOptions options) throws TransientException {
        int status = exchange.status();
        HttpHeaders headers = exchange.response().headers();
        URI uri = exchange.uri();
        String host = HubHttp.origin(uri);
        if (status >= 500 || status == 429 || status == 408) {
            throw new TransientException("HTTP " + status + " from " + host, retryAfter(headers));
        }
        boolean fromHub = HubHttp.sameOrigin(uri, options.endpoint());
        if (!fromHub) {
            // The CDN refuses an expired or mangled signed URL with 403; a retry asks the hub for a fresh one.
            if (status == 401 || status == 403) {
                throw new TransientException("HTTP " + status + " from download server " + host, null);
            }
            return download("HTTP " + status + " from download server " + host + " for " + path + " of " + model);
        }
        String code = headers.firstValue("X-Error-Code").orElse("");
        String repoPage = options.endpoint() + "/" + model.repoId();
        String tokenHint = exchange.tokenSent()
                ? " (or the token given by HF_TOKEN/--token cannot read it)"
                : " (if it is private, set HF_TOKEN to an access token that can read it)";
        if (code.equals("GatedRepo")) {
            return download(exchange.tokenSent()
                    ? model.repoId() + " is gated and the token was refused (HTTP " + status + "): check that HF_TOKEN "
                            + "is a valid access token of an account that accepted the model's terms at " + repoPage
                    : model.repoId() + " is gated (HTTP " + status + "): accept the model's terms at " + repoPage
                            + " and set HF_TOKEN to an access token of that account");
        }
        if (code.equals("RepoNotFound") || (path == null && status == 404 && code.isEmpty())) {
            return download("no model repository " + model.repoId() + " on " + host + tokenHint);
        }
        if (code.equals("RevisionNotFound")) {
            return download(model.repoId() + " has no revision '" + model.revision()
                    + "' (a branch, tag or commit sha) on " + host);
        }
        if (code.equals("EntryNotFound") || status == 404) {
            return download(model.repoId() + " has no file " + path + " at commit "
                    + ModelFileSelector.shortSha(commit == null ? "?" : commit) + " on " + host);
        }
        if (status == 401 || status == 403) {
            return download(exchange.tokenSent()
                    ? host + " refused the token given by HF_TOKEN/--token for " + model.repoId() + " (HTTP " + status
                            + "): check that it is valid and can read the repository (gated models need their terms "
                            + "accepted at " + repoPage + ")"
                    : model.repoId() + " needs an access token (HTTP " + status + "): set HF_TOKEN, and for a gated "
                            + "model accept its terms at " + repoPage);
        }
        String detail = headers.firstValue("X-Error-Message").map(m -> ": " + oneLine(m)).orElse("");
        return download("HTTP " + status + " from " + host + " for "
                + (path == null ? "the file list of " + model : path + " of " + model) + detail);
    }

    /** One line saying why a network operation failed, naming the host but no secret. */
    static String describe(IOException e, URI uri) {
        String host = uri == null ? "the hub" : HubHttp.origin(uri);
        if (e instanceof TransientException || e instanceof NetworkException) {
            return e.getMessage();
        }
        if (e instanceof HttpConnectTimeoutException) {
            return "connecting to " + host + " timed out";
        }
        if (e instanceof HttpTimeoutException) {
            return e.getMessage() != null && e.getMessage().startsWith("no data") ? e.getMessage()
                    : "no answer from " + host + " in time";
        }
        if (rootCause(e) instanceof UnresolvedAddressException) {
            return "cannot resolve the host of " + host + " (offline, or a wrong HF_ENDPOINT?)";
        }
        if (e instanceof ConnectException) {
            return "cannot connect to " + host + " (" + (e.getMessage() == null ? "connection refused" : oneLine(e.getMessage())) + ")";
        }
        if (e instanceof EOFException || e instanceof SocketException
                || (e.getMessage() != null && e.getMessage().contains("content-length"))) {
            return "the connection to " + host + " broke (" + oneLine(String.valueOf(e.getMessage())) + ")";
        }
        return e.getClass().getSimpleName() + " talking to " + host
                + (e.getMessage() == null ? "" : ": " + oneLine(e.getMessage()));
    }

    static PeregrineException download(String message) {
        return new PeregrineException(ErrorKind.DOWNLOAD_FAILED, message);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private static Duration retryAfter(HttpHeaders headers) {
        Optional<String> value = headers.firstValue("Retry-After");
        if (value.isEmpty()) {
            return null;
        }
        try {
            return Duration.ofSeconds(Math.max(0, Long.parseLong(value.get().trim())));
        } catch (NumberFormatException e) {
            return null; // an HTTP date: fall back to our own backoff
        }
    }

    private static String oneLine(String s) {
        return s.replaceAll("\\s+", " ").trim();
    }
}
