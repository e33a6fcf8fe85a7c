package dev.peregrine.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two things a pull asks of the hub: the file list at a revision, and one file at the listed
 * commit, resumed and verified.
 *
 * <p>Retries: every request is tried up to {@link HubOptions#maxAttempts()} times when it fails in
 * a way a retry may cure (refused or reset connection, timeout, 5xx, 429), waiting
 * {@link HubOptions#initialBackoff()} and doubling. A download that broke off keeps its partial file,
 * so the next attempt asks only for the rest with {@code Range: bytes=N-}. Answers that a retry
 * cannot change (404, 401, 403 from the hub, a hash mismatch) fail at once.
 *
 * <p>Thread-safe; each call works on its own file.
 */
final class HubDownloader {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern CONTENT_RANGE = Pattern.compile("bytes\\s+(\\d+)-(\\d+)/(\\d+|\\*)");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
    private static final Pattern SHA1 = Pattern.compile("[0-9a-f]{40}");
    private static final Duration MAX_WAIT = Duration.ofSeconds(60);

    private final HubHttp http;
    private final HubOptions options;

    HubDownloader(HubHttp http) {
        this.http = Objects.requireNonNull(http, "http");
        this.options = http.options();
    }

    /** The hub's API URL listing a repository's files at a revision, with sizes and hashes. */
    URI listingUri(HubModelId model) {
        return URI.create(options.endpoint() + "/api/models/" + model.org() + "/" + model.name()
                + "/revision/" + encodeSegment(model.revision()) + "?blobs=true");
    }

    /** The URL of one file at one commit (the hub redirects LFS files to its CDN). */
    URI fileUri(HubModelId model, String commit, String path) {
        StringBuilder p = new StringBuilder();
        for (String segment : path.split("/", -1)) {
            p.append('/').append(encodeSegment(segment));
        }
        return URI.create(options.endpoint() + "/" + model.org() + "/" + model.name() + "/resolve/"
                + encodeSegment(commit) + p);
    }

    /**
     * Lists the repository's files at the model's revision.
     *
     * @throws PeregrineException {@link ErrorKind#DOWNLOAD_FAILED} for an unknown repository or
     *         revision, a refused token, an unreachable hub, an answer that is not a listing
     */
    RepoListing list(HubModelId model, PullListener listener) {
        URI uri = listingUri(model);
        String body = retrying("listing the files of " + model, listener, () -> {
            HubHttp.Exchange<String> ex = http.get(uri, null, info -> info.statusCode() == 200
                    ? BodySubscribers.ofString(StandardCharsets.UTF_8) : BodySubscribers.replacing(null));
            if (ex.status() != 200) {
                throw HubErrors.fail(ex, model, null, null, options);
            }
            return ex.response().body();
        });
        return parseListing(model, body, HubHttp.origin(uri));
    }

    static RepoListing parseListing(HubModelId model, String body, String host) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw HubErrors.download("unexpected answer from " + host + " listing " + model
                    + ": not JSON (is the endpoint a Hugging Face hub?)");
        }
        String commit = root.path("sha").asText("");
        if (!commit.matches("[0-9A-Za-z._-]{1,100}")) {
            throw HubErrors.download("unexpected answer from " + host + " listing " + model
                    + ": no commit sha (is the endpoint a Hugging Face hub?)");
        }
        List<RepoFile> files = new ArrayList<>();
        for (JsonNode sibling : root.path("siblings")) {
            String path = sibling.path("rfilename").asText("");
            if (path.isEmpty()) {
                continue;
            }
            JsonNode lfs = sibling.path("lfs");
            String sha256 = null;
            long size = sibling.path("size").asLong(-1);
            if (lfs.isObject()) {
                sha256 = hexOrNull(lfs.path("sha256").asText(lfs.path("oid").asText("")).replace("sha256:", ""), SHA256);
                size = lfs.path("size").asLong(size);
            }
            String gitOid = sha256 == null ? hexOrNull(sibling.path("blobId").asText(""), SHA1) : null;
            files.add(new RepoFile(path, Math.max(size, -1), sha256, gitOid));
        }
        return new RepoListing(model, commit, files);
    }

    /**
     * Downloads one file into {@code target}, through {@code target.partial}, resuming a partial an
     * earlier attempt or run left, and verifying size and hash before renaming it into place.
     *
     * @return bytes transferred
     * @throws PeregrineException {@link ErrorKind#DOWNLOAD_FAILED} when the download fails for good or
     *         the content does not match the hub's size or SHA-256 (the partial is then deleted);
     *         {@link ErrorKind#IO} when the file cannot be written
     */
    long fetch(RepoListing listing, RepoFile file, Path target, PullListener listener) {
        long[] received = {0}; // across attempts: bytes that crossed the network, whether kept or not
        retrying("downloading " + file.path(), listener, () -> {
            fetchOnce(listing, file, target, listener, received);
            return null;
        });
        return received[0];
    }

    private void fetchOnce(RepoListing listing, RepoFile file, Path target, PullListener listener, long[] received)
            throws IOException {
        long gitSize = file.gitOid() != null && file.size() >= 0 ? file.size() : -1;
        try (PartialDownload part = PartialDownload.open(target, gitSize)) {
            if (file.size() >= 0 && part.bytes() > file.size()) {
                part.restart();
            }
            if (file.size() > 0 && part.bytes() == file.size()) {
                // An earlier run stopped between the last byte and the rename.
                if (mismatch(file, part, file.sha256(), file.gitOid()) == null) {
                    part.commit();
                    listener.fileDone(file);
                    return;
                }
                part.restart();
            }
            long resumeFrom = part.bytes();
            listener.fileStarted(file, resumeFrom);
            AtomicBoolean wrongRange = new AtomicBoolean();
            HubHttp.Exchange<Long> ex = http.get(fileUri(listing.model(), listing.commit(), file.path()),
                    resumeFrom > 0 ? "bytes=" + resumeFrom + "-" : null,
                    info -> {
                        int status = info.statusCode();
                        if (status == 206 && resumeFrom > 0) {
                            if (contentRangeStart(info.headers()) != resumeFrom) {
                                wrongRange.set(true);
                                return BodySubscribers.replacing(-1L);
                            }
                            return part.subscriber(false, file.size(), file.path(), n -> {
                                received[0] += n;
                                listener.bytesReceived(n);
                            });
                        }
                        if (status == 200) {
                            if (resumeFrom > 0) {
                                listener.restarted(file, resumeFrom);
                            }
                            long limit = file.size() >= 0 ? file.size() : info.headers().firstValueAsLong("Content-Length").orElse(-1);
                            return part.subscriber(true, limit, file.path(), n -> {
                                received[0] += n;
                                listener.bytesReceived(n);
                            });
                        }
                        return BodySubscribers.replacing(-1L);
                    });
            int status = ex.status();
            if (wrongRange.get() || status == 416) {
                part.restart();
                throw new HubErrors.TransientException("the server answered the resume request of " + file.path()
                        + " with a different range (HTTP " + status + "); starting the file over", null);
            }
            if (status != 200 && status != 206) {
                throw HubErrors.fail(ex, listing.model(), listing.commit(), file.path(), options);
            }
            long expectedSize = file.size() >= 0 ? file.size() : linkedSize(ex.hubHeaders()).orElse(-1L);
            if (expectedSize >= 0 && part.bytes() < expectedSize) {
                throw new HubErrors.TransientException("the connection to " + HubHttp.origin(ex.uri()) + " closed after "
                        + part.bytes() + " of " + expectedSize + " bytes of " + file.path(), null);
            }
            String sha256 = file.sha256() != null ? file.sha256() : linkedSha256(ex.hubHeaders());
            String gitOid = file.gitOid() != null ? file.gitOid() : null;
            String problem = expectedSize >= 0 && part.bytes() != expectedSize
                    ? "size mismatch for " + file.path() + ": expected " + expectedSize + " bytes, got " + part.bytes()
                    : mismatch(file, part, sha256, gitOid);
            if (problem != null) {
                part.discard();
                throw HubErrors.download(problem + "; the corrupt download was deleted, run the pull again");
            }
            part.commit();
            listener.fileDone(file);
        }
    }

    /** What is wrong with the complete partial, or null when its hashes match. */
    private static String mismatch(RepoFile file, PartialDownload part, String sha256, String gitOid) {
        if (sha256 != null) {
            String actual = part.sha256Hex();
            if (!actual.equals(sha256)) {
                return "sha256 mismatch for " + file.path() + ": expected " + sha256 + ", got " + actual;
            }
        }
        if (gitOid != null) {
            String actual = part.gitOidHex();
            if (actual != null && !actual.equals(gitOid)) {
                return "git blob id mismatch for " + file.path() + ": expected " + gitOid + ", got " + actual;
            }
        }
        return null;
    }

    /** One try of a request; IOExceptions are the failures worth retrying. */
    @FunctionalInterface
    interface Attempt<T> {
        T run() throws IOException;
    }

    <T> T retrying(String what, PullListener listener, Attempt<T> attempt) {
        IOException last = null;
        for (int i = 1; i <= options.maxAttempts(); i++) {
            try {
                return attempt.run();
            } catch (IOException e) {
                last = e;
                if (i == options.maxAttempts()) {
                    break;
                }
                Duration wait = backoff(i, e);
                listener.retrying(what, i + 1, options.maxAttempts(), wait, HubErrors.describe(e, null));
                sleep(wait);
            }
        }
        throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED, what + " failed"
                + (options.maxAttempts() > 1 ? " after " + options.maxAttempts() + " attempts" : "") + ": "
                + HubErrors.describe(last, null), last);
    }

    private Duration backoff(int failedAttempt, IOException e) {
        long millis = options.initialBackoff().toMillis() << Math.min(failedAttempt - 1, 10);
        Duration wait = Duration.ofMillis(Math.min(millis, MAX_WAIT.toMillis()));
        if (e instanceof HubErrors.TransientException t && t.retryAfter() != null && t.retryAfter().compareTo(wait) > 0) {
            wait = t.retryAfter().compareTo(MAX_WAIT) > 0 ? MAX_WAIT : t.retryAfter();
        }
        return wait;
    }

    private static void sleep(Duration wait) {
        try {
            Thread.sleep(wait.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new PeregrineException(ErrorKind.DOWNLOAD_FAILED, "download interrupted", e);
        }
    }

    private static long contentRangeStart(HttpHeaders headers) {
        Matcher m = CONTENT_RANGE.matcher(headers.firstValue("Content-Range").orElse("").trim());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    /** {@code X-Linked-Size}: the hub's size of an LFS file, on its redirect to the CDN. */
    private static Optional<Long> linkedSize(HttpHeaders hub) {
        return hub.firstValue("X-Linked-Size").flatMap(v -> {
            try {
                return Optional.of(Long.parseLong(v.trim()));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
        });
    }

    /** {@code X-Linked-Etag}: the SHA-256 of an LFS file, quoted, on the hub's redirect to the CDN. */
    private static String linkedSha256(HttpHeaders hub) {
        return hub.firstValue("X-Linked-Etag").map(HubDownloader::unquoteEtag)
                .map(v -> hexOrNull(v, SHA256)).orElse(null);
    }

    static String unquoteEtag(String etag) {
        String v = etag.trim();
        if (v.startsWith("W/")) {
            v = v.substring(2);
        }
        if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
            v = v.substring(1, v.length() - 1);
        }
        return v;
    }

    private static String hexOrNull(String value, Pattern form) {
        String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
        return form.matcher(v).matches() ? v : null;
    }

    /** Percent-encodes one path segment (RFC 3986 unreserved characters pass; '/' is encoded). */
    static String encodeSegment(String segment) {
        StringBuilder out = new StringBuilder();
        for (byte b : segment.getBytes(StandardCharsets.UTF_8)) {
            int c = b & 0xff;
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '-' || c == '.' || c == '_' || c == '~') {
                out.append((char) c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                        .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
            }
        }
        return out.toString();
    }
}
