package dev.peregrine.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Hugging Face hub on loopback, answering as the real one does for what a pull asks:
 *
 * <ul>
 *   <li>{@code GET /api/models/ORG/NAME/revision/REV?blobs=true}: the commit sha and the files with
 *       sizes, git blob ids and LFS sha256; 401 {@code RepoNotFound} without a token (404 with one)
 *       for an unknown repository, 404 {@code RevisionNotFound} for an unknown revision.</li>
 *   <li>{@code GET /ORG/NAME/resolve/REV/PATH}: files kept in git are served directly (ETag = git
 *       blob id); LFS files answer 302 to a second server, the "CDN", with a signed-looking URL and
 *       {@code X-Linked-Etag}, {@code X-Linked-Size}, {@code X-Repo-Commit}; 404 {@code EntryNotFound}
 *       for a missing file; 401/403 {@code GatedRepo} for a gated repository without the right token.</li>
 *   <li>Both servers honour {@code Range: bytes=N-} with 206 and {@code Content-Range}.</li>
 * </ul>
 *
 * Faults a test can arm: drop the connection or stall after N bytes, flip a byte, ignore Range,
 * answer 503 a few times. Every request is recorded with its headers.
 */
public final class FakeHub implements AutoCloseable {

    /** A request as one of the two servers saw it. */
    public record Request(String server, String method, String path, Headers headers) {
        public Optional<String> header(String name) {
            return Optional.ofNullable(headers.getFirst(name));
        }
    }

    public static final String HUB = "hub";
    public static final String CDN = "cdn";

    private static final Pattern API = Pattern.compile("/api/models/([^/]+)/([^/]+)/revision/([^/?]+)");
    private static final Pattern RESOLVE = Pattern.compile("/([^/]+)/([^/]+)/resolve/([^/]+)/(.+)");
    private static final Pattern CDN_PATH = Pattern.compile("/repos/[0-9a-f]{2}/[0-9a-f]{2}/([0-9a-f]{64})");
    private static final Pattern RANGE = Pattern.compile("bytes=(\\d+)-(\\d*)");

    private final HttpServer hub;
    private final HttpServer cdn;
    private final ExecutorService executor = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "fake-hub");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, Repo> repos = new ConcurrentHashMap<>();
    private final Map<String, Blob> blobsBySha = new ConcurrentHashMap<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final AtomicInteger apiFailures = new AtomicInteger();

    private FakeHub() throws IOException {
        InetAddress loopback = InetAddress.getLoopbackAddress();
        hub = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        cdn = HttpServer.create(new InetSocketAddress(loopback, 0), 0);
        hub.createContext("/", this::handleHub);
        cdn.createContext("/", this::handleCdn);
        hub.setExecutor(executor);
        cdn.setExecutor(executor);
        hub.start();
        cdn.start();
    }

    public static FakeHub start() {
        try {
            return new FakeHub();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The hub's URL, as HF_ENDPOINT would name it. */
    public URI endpoint() {
        return URI.create("http://" + hub.getAddress().getAddress().getHostAddress() + ":" + hub.getAddress().getPort());
    }

    /** The CDN's origin, where LFS downloads are redirected. */
    public URI cdnEndpoint() {
        return URI.create("http://" + cdn.getAddress().getAddress().getHostAddress() + ":" + cdn.getAddress().getPort());
    }

    /** The repository {@code repoId}, created empty (with a random commit on main) on first use. */
    public Repo repo(String repoId) {
        return repos.computeIfAbsent(repoId, Repo::new);
    }

    /** Every request so far, in order. */
    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** The requests one server ({@link #HUB} or {@link #CDN}) saw. */
    public List<Request> requests(String server) {
        return requests.stream().filter(r -> r.server().equals(server)).toList();
    }

    public void clearRequests() {
        requests.clear();
    }

    /** The next {@code times} listing requests answer 503. */
    public void failListing(int times) {
        apiFailures.set(times);
    }

    @Override
    public void close() {
        hub.stop(0);
        cdn.stop(0);
        executor.shutdownNow();
    }

    /** One repository at one commit; revisions are names for that commit. */
    public final class Repo {
        private final String id;
        private final String commit;
        private final Map<String, String> revisions = new ConcurrentHashMap<>();
        private final Map<String, Blob> files = new LinkedHashMap<>();
        private volatile String gatedToken;

        private Repo(String id) {
            this.id = id;
            this.commit = HexFormat.of().formatHex(hash(id.getBytes(StandardCharsets.UTF_8))).substring(0, 40);
            revisions.put("main", commit);
        }

        public String commit() {
            return commit;
        }

        /** Adds a file kept in git (small) or, for .onnx/.onnx_data/.bin/.safetensors, in LFS. */
        public synchronized Repo file(String path, byte[] content) {
            return put(path, new Blob(content, null, isLfsName(path)));
        }

        /** Adds a file read from disk when served (large real model files). */
        public synchronized Repo file(String path, Path source) {
            return put(path, new Blob(null, source, isLfsName(path)));
        }

        /** Adds every file under {@code folder}, with paths relative to it. */
        public Repo files(Path folder) {
            try (var walk = Files.walk(folder)) {
                walk.filter(Files::isRegularFile).sorted().forEach(p ->
                        file(folder.relativize(p).toString().replace('\\', '/'), p));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            return this;
        }

        /** Another name (branch or tag) for the commit. */
        public Repo revision(String name) {
            revisions.put(name, commit);
            return this;
        }

        /** Files answer 401 without a token and 403 with another one. */
        public Repo gated(String token) {
            this.gatedToken = token;
            return this;
        }

        /** The next download of {@code path} sends {@code bytes} bytes of its body, then drops the connection. */
        public Repo dropAfter(String path, long bytes) {
            blob(path).dropAfter = bytes;
            return this;
        }

        /** The next download of {@code path} sends {@code bytes} bytes, then stays silent for {@code millis}. */
        public Repo stallAfter(String path, long bytes, long millis) {
            Blob b = blob(path);
            b.stallAfter = bytes;
            b.stallMillis = millis;
            return this;
        }

        /** Every download of {@code path} has one byte flipped (the listing keeps the true hash). */
        public Repo corrupt(String path) {
            blob(path).corrupt = true;
            return this;
        }

        /** Downloads of {@code path} ignore Range and send the whole file with 200. */
        public Repo ignoreRange(String path) {
            blob(path).ignoreRange = true;
            return this;
        }

        public String sha256(String path) {
            return blob(path).sha256;
        }

        private synchronized Blob blob(String path) {
            Blob b = files.get(path);
            if (b == null) {
                throw new IllegalArgumentException("no file " + path + " in " + id);
            }
            return b;
        }

        private synchronized Repo put(String path, Blob blob) {
            files.put(path, blob);
            blobsBySha.put(blob.sha256, blob);
            return this;
        }

        private synchronized Map<String, Blob> snapshot() {
            return new LinkedHashMap<>(files);
        }
    }

    private static boolean isLfsName(String path) {
        return path.endsWith(".onnx") || path.contains(".onnx_data") || path.contains(".onnx.data")
                || path.endsWith(".bin") || path.endsWith(".safetensors");
    }

    /** File content with its hashes and armed faults. */
    private static final class Blob {
        final byte[] bytes;
        final Path source;
        final boolean lfs;
        final long size;
        final String sha256;
        final String gitOid;
        volatile long dropAfter = -1;
        volatile long stallAfter = -1;
        volatile long stallMillis;
        volatile boolean corrupt;
        volatile boolean ignoreRange;

        Blob(byte[] bytes, Path source, boolean lfs) {
            this.bytes = bytes;
            this.source = source;
            this.lfs = lfs;
            try {
                this.size = bytes != null ? bytes.length : Files.size(source);
                MessageDigest sha = MessageDigest.getInstance("SHA-256");
                // Git blob ids only for files kept in git (LFS files are identified by sha256).
                MessageDigest git = lfs ? null : MessageDigest.getInstance("SHA-1");
                if (git != null) {
                    git.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
                }
                if (bytes != null) {
                    sha.update(bytes);
                    if (git != null) {
                        git.update(bytes);
                    }
                } else {
                    try (FileChannel ch = FileChannel.open(source)) {
                        ByteBuffer buf = ByteBuffer.allocate(1 << 20);
                        while (ch.read(buf) > 0) {
                            buf.flip();
                            if (git != null) {
                                git.update(buf.duplicate());
                            }
                            sha.update(buf);
                            buf.clear();
                        }
                    }
                }
                this.sha256 = HexFormat.of().formatHex(sha.digest());
                this.gitOid = git == null ? null : HexFormat.of().formatHex(git.digest());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private void record(String server, HttpExchange ex) {
        Headers copy = new Headers();
        copy.putAll(ex.getRequestHeaders());
        requests.add(new Request(server, ex.getRequestMethod(), ex.getRequestURI().getRawPath()
                + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()), copy));
    }

    private void handleHub(HttpExchange ex) throws IOException {
        record(HUB, ex);
        try {
            String path = ex.getRequestURI().getRawPath();
            Matcher api = API.matcher(path);
            if (api.matches()) {
                listing(ex, api.group(1) + "/" + api.group(2), decode(api.group(3)));
                return;
            }
            Matcher resolve = RESOLVE.matcher(path);
            if (resolve.matches()) {
                resolve(ex, resolve.group(1) + "/" + resolve.group(2), decode(resolve.group(3)), decode(resolve.group(4)));
                return;
            }
            error(ex, 404, null);
        } finally {
            ex.close();
        }
    }

    private void listing(HttpExchange ex, String repoId, String revision) throws IOException {
        if (apiFailures.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            error(ex, 503, null);
            return;
        }
        Repo repo = repos.get(repoId);
        if (repo == null) {
            error(ex, ex.getRequestHeaders().containsKey("Authorization") ? 404 : 401, "RepoNotFound");
            return;
        }
        String commit = repo.revisions.getOrDefault(revision, revision.equals(repo.commit) ? repo.commit : null);
        if (commit == null) {
            error(ex, 404, "RevisionNotFound");
            return;
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("id", repoId);
        root.put("modelId", repoId);
        root.put("sha", commit);
        root.put("private", false);
        root.put("gated", repo.gatedToken == null ? "false" : "manual");
        boolean blobs = "blobs=true".equals(ex.getRequestURI().getRawQuery());
        ArrayNode siblings = root.putArray("siblings");
        repo.snapshot().forEach((p, b) -> {
            ObjectNode s = siblings.addObject();
            s.put("rfilename", p);
            if (blobs) {
                s.put("size", b.size);
                if (b.lfs) {
                    s.put("blobId", HexFormat.of().formatHex(hash(("pointer " + b.sha256).getBytes(StandardCharsets.UTF_8))).substring(0, 40));
                    ObjectNode lfs = s.putObject("lfs");
                    lfs.put("sha256", b.sha256);
                    lfs.put("size", b.size);
                    lfs.put("pointerSize", 134);
                } else {
                    s.put("blobId", b.gitOid);
                }
            }
        });
        byte[] body = json.writeValueAsBytes(root);
        ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        ex.getResponseBody().write(body);
    }

    private void resolve(HttpExchange ex, String repoId, String revision, String path) throws IOException {
        Repo repo = repos.get(repoId);
        if (repo == null) {
            error(ex, ex.getRequestHeaders().containsKey("Authorization") ? 404 : 401, "RepoNotFound");
            return;
        }
        if (!repo.revisions.containsKey(revision) && !revision.equals(repo.commit)) {
            error(ex, 404, "RevisionNotFound");
            return;
        }
        if (repo.gatedToken != null) {
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            if (auth == null) {
                error(ex, 401, "GatedRepo");
                return;
            }
            if (!auth.equals("Bearer " + repo.gatedToken)) {
                error(ex, 403, "GatedRepo");
                return;
            }
        }
        Blob blob = repo.snapshot().get(path);
        if (blob == null) {
            error(ex, 404, "EntryNotFound");
            return;
        }
        Headers h = ex.getResponseHeaders();
        h.set("X-Repo-Commit", repo.commit);
        if (blob.lfs) {
            String location = "http://" + cdn.getAddress().getAddress().getHostAddress() + ":" + cdn.getAddress().getPort()
                    + "/repos/" + blob.sha256.substring(0, 2) + "/" + blob.sha256.substring(2, 4) + "/" + blob.sha256
                    + "?X-Amz-Signature=" + Long.toHexString(new Random().nextLong()) + "&X-Amz-Expires=3600";
            h.set("Location", location);
            h.set("X-Linked-Etag", "\"" + blob.sha256 + "\"");
            h.set("X-Linked-Size", Long.toString(blob.size));
            h.set("ETag", "\"" + blob.sha256 + "\"");
            ex.sendResponseHeaders(302, -1);
            return;
        }
        h.set("ETag", "\"" + blob.gitOid + "\"");
        serve(ex, blob);
    }

    private void handleCdn(HttpExchange ex) throws IOException {
        record(CDN, ex);
        try {
            Matcher m = CDN_PATH.matcher(ex.getRequestURI().getRawPath());
            String query = ex.getRequestURI().getRawQuery();
            if (!m.matches() || query == null || !query.contains("X-Amz-Signature=")) {
                error(ex, 403, null);
                return;
            }
            Blob blob = blobsBySha.get(m.group(1));
            if (blob == null) {
                error(ex, 404, null);
                return;
            }
            serve(ex, blob);
        } finally {
            ex.close();
        }
    }

    /** Sends a blob, or the part a Range asks for, with the blob's armed faults. */
    private static void serve(HttpExchange ex, Blob blob) throws IOException {
        long start = 0;
        String range = ex.getRequestHeaders().getFirst("Range");
        Headers h = ex.getResponseHeaders();
        h.set("Accept-Ranges", "bytes");
        if (range != null && !blob.ignoreRange) {
            Matcher m = RANGE.matcher(range.trim());
            if (!m.matches() || Long.parseLong(m.group(1)) >= blob.size) {
                h.set("Content-Range", "bytes */" + blob.size);
                ex.sendResponseHeaders(416, -1);
                return;
            }
            start = Long.parseLong(m.group(1));
            h.set("Content-Range", "bytes " + start + "-" + (blob.size - 1) + "/" + blob.size);
        }
        long length = blob.size - start;
        ex.sendResponseHeaders(start > 0 || (range != null && !blob.ignoreRange) ? 206 : 200, length == 0 ? -1 : length);
        if (ex.getRequestMethod().equals("HEAD") || length == 0) {
            return;
        }
        long drop = blob.dropAfter;
        blob.dropAfter = -1;
        long stall = blob.stallAfter;
        blob.stallAfter = -1;
        long corruptAt = blob.corrupt ? blob.size / 2 : -1;
        OutputStream out = ex.getResponseBody();
        long sent = 0;
        long position = start;
        byte[] buffer = new byte[1 << 16];
        try (FileChannel ch = blob.source == null ? null : FileChannel.open(blob.source, StandardOpenOption.READ)) {
            while (position < blob.size) {
                int n = (int) Math.min(buffer.length, blob.size - position);
                if (drop >= 0) {
                    n = (int) Math.min(n, drop - sent);
                }
                if (stall >= 0) {
                    n = (int) Math.min(n, stall - sent);
                }
                if (n > 0) {
                    if (ch == null) {
                        System.arraycopy(blob.bytes, (int) position, buffer, 0, n);
                    } else {
                        ByteBuffer bb = ByteBuffer.wrap(buffer, 0, n);
                        while (bb.hasRemaining()) {
                            ch.read(bb, position + bb.position());
                        }
                    }
                    if (corruptAt >= position && corruptAt < position + n) {
                        buffer[(int) (corruptAt - position)] ^= 0x5a;
                    }
                    out.write(buffer, 0, n);
                    sent += n;
                    position += n;
                }
                if (drop >= 0 && sent >= drop) {
                    out.flush();
                    // An exception out of the handler makes the server close the connection mid-body.
                    throw new IOException("fake hub: dropping the connection after " + sent + " bytes");
                }
                if (stall >= 0 && sent >= stall) {
                    out.flush();
                    stall = -1;
                    try {
                        Thread.sleep(blob.stallMillis);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("fake hub: interrupted while stalling");
                    }
                    throw new IOException("fake hub: giving up after stalling");
                }
            }
        }
    }

    private static void error(HttpExchange ex, int status, String code) throws IOException {
        if (code != null) {
            ex.getResponseHeaders().set("X-Error-Code", code);
            ex.getResponseHeaders().set("X-Error-Message", code.replaceAll("([a-z])([A-Z])", "$1 $2"));
        }
        byte[] body = ("{\"error\":\"" + (code == null ? "HTTP " + status : code) + "\"}").getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
    }

    private static String decode(String raw) {
        return URLDecoder.decode(raw.replace("+", "%2B"), StandardCharsets.UTF_8);
    }

    private static byte[] hash(byte[] data) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(data);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
