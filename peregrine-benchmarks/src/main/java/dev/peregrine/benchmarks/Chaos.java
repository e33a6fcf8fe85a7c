package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Hostile load against a real {@code peregrine serve} process, one scenario at a time, each on a fresh
 * server: what an operator sees when clients misbehave, traffic floods in and the platform restarts
 * things. Every scenario runs ordinary clients beside the hostile ones and a prober that opens a new
 * connection to {@code /readyz} and {@code /livez} every 100 ms, as a kubelet does.
 *
 * <ul>
 *   <li>{@code slow}: 600 connections that send their headers and trickle the body a byte every few
 *       seconds, and 100 that trickle the header itself; more than the default request slots.</li>
 *   <li>{@code flood}: the server's capacity is measured first (closed loop, 8 clients), then requests
 *       arrive at 10x that rate (open loop, latency from the intended send time).</li>
 *   <li>{@code huge}: 9 MB texts of short words, with and without truncation, beside small requests.</li>
 *   <li>{@code sigterm}: 32 keep-alive clients; SIGTERM a third of the way in; clients go on until the
 *       server refuses new connections. No request may go unanswered.</li>
 *   <li>{@code redis}: the shared cache on a real redis-server that is killed (SIGKILL) a third of the way in
 *       and restarted at two thirds.</li>
 * </ul>
 *
 * <p>Counted per scenario: requests sent; answered (any HTTP status); answered in time (within the
 * server's request timeout plus one second); without answer (the connection closed or stalled with no
 * response: must be 0); refused (connection refused, as after shutdown: a client retries elsewhere);
 * 5xx by status; 429; p99 latency of the 200s; the slowest probe and failed probes (before SIGTERM);
 * resident memory idle (after warm-up) and at its peak (sampled every 100 ms).
 *
 * <pre>
 * peregrine-benchmarks/run Chaos [--seconds 15] [--scenarios slow,flood,huge,sigterm,redis] [--json FILE]
 *                                [--server-java-opts "-Xmx1g"]
 * </pre>
 */
public final class Chaos {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String MODEL = "all-minilm-l6-v2";
    /** The server's default request timeout; "in time" allows one second more for the network. */
    private static final long REQUEST_TIMEOUT_MS = 30_000;
    /** JVM flags for the server's process ({@code --server-java-opts}), e.g. a heap limit. */
    private static List<String> serverJavaOptions = List.of();

    /** One scenario's counts: the table row and the JSON object. */
    public record Outcome(String scenario, long sent, long answered, long inTime, long noAnswer, long refused,
                          Map<String, Long> statuses, double p99Ms, double probeMaxMs, long probeFailures,
                          long probes, long idleRssMb, long peakRssMb, String notes) {

        long count5xx() {
            return statuses.entrySet().stream().filter(e -> e.getKey().startsWith("5")).mapToLong(Map.Entry::getValue).sum();
        }

        long count(String status) {
            return statuses.getOrDefault(status, 0L);
        }
    }

    public static void main(String[] args) throws Exception {
        int seconds = 15;
        List<String> scenarios = List.of("slow", "flood", "huge", "sigterm", "redis");
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--scenarios" -> scenarios = List.of(args[++i].split(","));
                case "--json" -> json = Path.of(args[++i]);
                case "--server-java-opts" -> serverJavaOptions = List.of(args[++i].trim().split("\\s+"));
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (usage: Chaos [--seconds N] [--scenarios slow,flood,huge,sigterm,redis] [--json FILE] "
                        + "[--server-java-opts \"-Xmx1g ...\"])");
            }
        }
        Path jar = Path.of(System.getProperty("peregrine.cli.jar", "peregrine-cli/target/peregrine.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + " (build it: mvn -DskipTests -pl peregrine-cli -am package, "
                    + "or run through peregrine-benchmarks/run, which does)");
        }
        System.out.printf(Locale.ROOT, "%s, %d cores, %s; model %s; %d s per scenario; server JVM options: %s%n%n",
                Machine.cpuModel(), Runtime.getRuntime().availableProcessors(), Machine.instructionSets(), MODEL, seconds,
                serverJavaOptions.isEmpty() ? "none" : String.join(" ", serverJavaOptions));
        List<Outcome> outcomes = new ArrayList<>();
        for (String s : scenarios) {
            System.out.printf(Locale.ROOT, "-- %s ...%n", s);
            Outcome o = switch (s) {
                case "slow" -> slowClients(jar, seconds);
                case "flood" -> flood(jar, seconds);
                case "huge" -> hugeTexts(jar, seconds);
                case "sigterm" -> sigterm(jar, seconds);
                case "redis" -> redisRestart(jar, seconds);
                default -> throw new IllegalArgumentException("unknown scenario " + s);
            };
            outcomes.add(o);
            if (!o.notes().isEmpty()) {
                System.out.println("   " + o.notes());
            }
        }
        System.out.println();
        printTable(outcomes);
        String out = JSON.writeValueAsString(Map.of("machine", Map.of("cpu", Machine.cpuModel(),
                "cores", Runtime.getRuntime().availableProcessors(), "isa", Machine.instructionSets()),
                "seconds_per_scenario", seconds, "scenarios", outcomes));
        System.out.println();
        System.out.println(out);
        if (json != null) {
            Files.writeString(json, out);
        }
    }

    // ---- scenarios --------------------------------------------------------------------------

    private static Outcome slowClients(Path jar, int seconds) throws Exception {
        try (ServerProcess server = ServerProcess.start(jar, List.of())) {
            long idle = server.warmUp();
            List<Socket> sockets = new ArrayList<>();
            byte[] head = ("POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100000\r\n\r\n{").getBytes(StandardCharsets.US_ASCII);
            byte[] partialHead = "POST /embed HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(StandardCharsets.US_ASCII);
            int opened = 0;
            for (int i = 0; i < 700; i++) {
                try {
                    Socket s = new Socket();
                    s.connect(new InetSocketAddress("127.0.0.1", server.port), 2000);
                    s.getOutputStream().write(i < 600 ? head : partialHead);
                    s.getOutputStream().flush();
                    sockets.add(s);
                    opened++;
                } catch (IOException e) {
                    break;
                }
            }
            AtomicLong cut = new AtomicLong();
            AtomicBoolean stop = new AtomicBoolean();
            Thread trickler = new Thread(() -> {
                int round = 0;
                while (!stop.get()) {
                    // Each socket writes one byte every 5 s: a fifth of them each second.
                    for (int i = round % 5; i < sockets.size(); i += 5) {
                        Socket s = sockets.get(i);
                        if (s.isClosed()) {
                            continue;
                        }
                        try {
                            if (answeredOrClosed(s)) {
                                cut.incrementAndGet();
                                closeQuietly(s);
                                continue;
                            }
                            s.getOutputStream().write('x');
                            s.getOutputStream().flush();
                        } catch (IOException e) {
                            cut.incrementAndGet();
                            closeQuietly(s);
                        }
                    }
                    round++;
                    LockSupport.parkNanos(1_000_000_000L);
                }
            }, "chaos-trickler");
            trickler.setDaemon(true);
            trickler.start();
            Probe probe = Probe.start(server);
            // Long enough for the server's header (10 s) and body (30 s) timeouts to cut them.
            int slowSeconds = Math.max(seconds, 40);
            Traffic t = Traffic.closedLoop(server.port, 4, slowSeconds, "/embed", false);
            probe.stop();
            stop.set(true);
            trickler.join(2000);
            sockets.forEach(Chaos::closeQuietly);
            return t.outcome("slow", probe, idle, "slow connections opened " + opened + ", cut by the server within "
                    + slowSeconds + " s: " + cut.get());
        }
    }

    private static Outcome flood(Path jar, int seconds) throws Exception {
        try (ServerProcess server = ServerProcess.start(jar, List.of())) {
            long idle = server.warmUp();
            Traffic capacity = Traffic.closedLoop(server.port, 8, 5, "/embed", false);
            double rate = Math.max(10, capacity.ok.sum() / 5.0);
            Probe probe = Probe.start(server);
            Traffic t = Traffic.openLoop(server.port, rate * 10, seconds, 1000);
            probe.stop();
            return t.outcome("flood", probe, idle, String.format(Locale.ROOT,
                    "capacity %.0f requests/s (closed loop, 8 clients); flood at %.0f/s", rate, rate * 10));
        }
    }

    private static Outcome hugeTexts(Path jar, int seconds) throws Exception {
        try (ServerProcess server = ServerProcess.start(jar, List.of())) {
            long idle = server.warmUp();
            Probe probe = Probe.start(server);
            Traffic huge = Traffic.huge(server.port, seconds);
            Traffic small = Traffic.closedLoop(server.port, 4, seconds, "/embed", false);
            huge.await();
            probe.stop();
            Traffic merged = Traffic.merge(small, huge);
            return merged.outcome("huge", probe, idle, String.format(Locale.ROOT,
                    "9 MB texts sent %d (statuses %s); small requests p99 %.1f ms", huge.total.sum(),
                    huge.statusCounts(), small.p99Ms()));
        }
    }

    private static Outcome sigterm(Path jar, int seconds) throws Exception {
        try (ServerProcess server = ServerProcess.start(jar, List.of())) {
            long idle = server.warmUp();
            Probe probe = Probe.start(server);
            // Clients go on past SIGTERM until the server refuses their new connection.
            Traffic t = Traffic.startClosedLoop(server.port, 32, seconds * 4L, "/embed", true);
            Thread.sleep(seconds * 1000L / 3);
            probe.stop();
            long t0 = System.nanoTime();
            server.sigterm();
            t.await();
            boolean exited = server.process.waitFor(60, TimeUnit.SECONDS);
            long drainMs = (System.nanoTime() - t0) / 1_000_000;
            return t.outcome("sigterm", probe, idle, "SIGTERM after " + seconds / 3 + " s; "
                    + (exited ? "exited " + server.process.exitValue() + " after " + drainMs + " ms" : "did not exit in 60 s"));
        }
    }

    private static Outcome redisRestart(Path jar, int seconds) throws Exception {
        Path redis = findOnPath("redis-server");
        if (redis == null) {
            return new Outcome("redis", 0, 0, 0, 0, 0, Map.of(), 0, 0, 0, 0, 0, 0, "skipped: no redis-server on PATH");
        }
        int redisPort = freePort();
        Process r = startRedis(redis, redisPort);
        try (ServerProcess server = ServerProcess.start(jar, List.of("--cache", "redis://127.0.0.1:" + redisPort))) {
            long idle = server.warmUp();
            Probe probe = Probe.start(server);
            Traffic t = Traffic.startClosedLoop(server.port, 8, seconds, "/embed", false, true);
            Thread.sleep(seconds * 1000L / 3);
            r.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            Thread.sleep(seconds * 1000L / 3);
            r = startRedis(redis, redisPort);
            t.await();
            probe.stop();
            return t.outcome("redis", probe, idle, "redis-server killed (SIGKILL) at " + seconds / 3 + " s, restarted at "
                    + 2 * seconds / 3 + " s; half the texts repeat");
        } finally {
            r.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static Process startRedis(Path redis, int port) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(redis.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return p;
            } catch (IOException e) {
                Thread.sleep(50);
            }
        }
        throw new IllegalStateException("redis-server did not start on port " + port);
    }

    // ---- the server under test --------------------------------------------------------------

    /** {@code peregrine serve} in its own JVM, as an operator runs it. */
    private static final class ServerProcess implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;

        private ServerProcess(Process process, int port, Path log) {
            this.process = process;
            this.port = port;
            this.log = log;
        }

        static ServerProcess start(Path jar, List<String> extra) throws IOException, InterruptedException {
            int port = freePort();
            Path log = Files.createTempFile("peregrine-chaos-", ".log");
            List<String> cmd = new ArrayList<>(List.of(javaBinary()));
            cmd.addAll(serverJavaOptions);
            cmd.addAll(List.of("-jar", jar.toString(), "serve", "-m", MODEL,
                    "--host", "127.0.0.1", "--port", Integer.toString(port)));
            cmd.addAll(extra);
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
            ServerProcess server = new ServerProcess(p, port, log);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
            while (System.nanoTime() < deadline) {
                if (!p.isAlive()) {
                    throw new IllegalStateException("the server exited at start (" + p.exitValue() + "); log: " + log);
                }
                int status = Probe.get(port, "/readyz", 1000);
                if (status == 404) {
                    status = Probe.get(port, "/health", 1000);
                }
                if (status == 200) {
                    return server;
                }
                Thread.sleep(100);
            }
            server.close();
            throw new IllegalStateException("the server was not ready within 180 s; log: " + log);
        }

        /** A few requests so that the idle figure is a warm server's; returns its resident memory in KiB. */
        long warmUp() throws Exception {
            Traffic.closedLoop(port, 2, 2, "/embed", false);
            Thread.sleep(500);
            return rssKb("VmRSS");
        }

        long rssKb(String field) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith(field + ":")) {
                        return Long.parseLong(line.replaceAll("[^0-9]", ""));
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // the process has exited
            }
            return 0;
        }

        void sigterm() {
            process.destroy(); // SIGTERM on Linux
        }

        @Override
        public void close() throws InterruptedException {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        }
    }

    // ---- the prober -------------------------------------------------------------------------

    /** A kubelet's view: a new connection to /readyz and /livez every 100 ms; also samples the server's RSS. */
    private static final class Probe {
        final AtomicBoolean stop = new AtomicBoolean();
        final LongAdder probes = new LongAdder();
        final LongAdder failures = new LongAdder();
        volatile long maxNanos;
        volatile long peakRssKb;
        Thread thread;

        static Probe start(ServerProcess server) {
            Probe p = new Probe();
            p.thread = new Thread(() -> {
                int i = 0;
                while (!p.stop.get()) {
                    String path = (i++ % 2 == 0) ? "/readyz" : "/livez";
                    long t0 = System.nanoTime();
                    int status = get(server.port, path, 2000);
                    long took = System.nanoTime() - t0;
                    if (!p.stop.get()) {
                        p.probes.increment();
                        p.maxNanos = Math.max(p.maxNanos, took);
                        if (status != 200) {
                            p.failures.increment();
                        }
                    }
                    p.peakRssKb = Math.max(p.peakRssKb, server.rssKb("VmRSS"));
                    LockSupport.parkNanos(Math.max(0, 100_000_000L - (System.nanoTime() - t0)));
                }
            }, "chaos-probe");
            p.thread.setDaemon(true);
            p.thread.start();
            return p;
        }

        void stop() throws InterruptedException {
            stop.set(true);
            thread.join(5000);
        }

        /** GET on a new connection; the status, or 0 when there was no answer within the timeout. */
        static int get(int port, String path, int timeoutMs) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
                s.setSoTimeout(timeoutMs);
                OutputStream out = s.getOutputStream();
                out.write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                InputStream in = s.getInputStream();
                byte[] buf = new byte[12];
                int n = 0;
                while (n < 12) {
                    int r = in.read(buf, n, 12 - n);
                    if (r < 0) {
                        return 0;
                    }
                    n += r;
                }
                return Integer.parseInt(new String(buf, 9, 3, StandardCharsets.US_ASCII));
            } catch (IOException | NumberFormatException e) {
                return 0;
            }
        }
    }

    // ---- ordinary and hostile traffic -------------------------------------------------------

    /** Requests sent through Vert.x's non-blocking client, counted by outcome. */
    private static final class Traffic {
        final Vertx vertx;
        final HttpClientAgent client;
        final Histogram latency = new ConcurrentHistogram(3);
        final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder total = new LongAdder();
        final LongAdder ok = new LongAdder();
        final LongAdder inTime = new LongAdder();
        final LongAdder noAnswer = new LongAdder();
        final LongAdder refused = new LongAdder();
        final CountDownLatch done;
        final AtomicLong counter = new AtomicLong();

        private Traffic(int connections, int loops) {
            if (connections > 0) {
                vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1));
                client = vertx.createHttpClient(new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                        .setConnectTimeout(5000), new PoolOptions().setHttp1MaxSize(connections));
            } else {
                vertx = null; // a merged tally sends nothing
                client = null;
            }
            done = new CountDownLatch(loops);
        }

        static Traffic closedLoop(int port, int clients, long seconds, String path, boolean stopOnRefused)
                throws InterruptedException {
            Traffic t = startClosedLoop(port, clients, seconds, path, stopOnRefused);
            t.await();
            return t;
        }

        static Traffic startClosedLoop(int port, int clients, long seconds, String path, boolean stopOnRefused) {
            return startClosedLoop(port, clients, seconds, path, stopOnRefused, false);
        }

        /** {@code repeats}: every other request repeats an earlier text (cache traffic). */
        static Traffic startClosedLoop(int port, int clients, long seconds, String path, boolean stopOnRefused,
                                       boolean repeats) {
            Traffic t = new Traffic(clients, clients);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            for (int c = 0; c < clients; c++) {
                t.vertx.runOnContext(v -> t.loop(port, path, end, stopOnRefused, repeats));
            }
            return t;
        }

        private void loop(int port, String path, long end, boolean stopOnRefused, boolean repeats) {
            if (System.nanoTime() >= end) {
                done.countDown();
                return;
            }
            long n = counter.getAndIncrement();
            long id = repeats && n % 2 == 1 ? n / 7 : n;
            Buffer body = Buffer.buffer("{\"inputs\":[\"chaos request " + id + ": why was my card charged twice for "
                    + "the same order, and when will the refund arrive?\"]}");
            long t0 = System.nanoTime();
            send(port, path, body).onComplete(ar -> {
                boolean wasRefused = record(ar.succeeded() ? ar.result() : 0, ar.cause(), System.nanoTime() - t0);
                if (wasRefused && stopOnRefused) {
                    done.countDown();
                    return;
                }
                vertx.runOnContext(v -> loop(port, path, end, stopOnRefused, repeats));
            });
        }

        static Traffic openLoop(int port, double rate, long seconds, int maxInFlight) throws InterruptedException {
            Traffic t = new Traffic(maxInFlight, 0);
            Semaphore slots = new Semaphore(maxInFlight);
            long start = System.nanoTime();
            long end = start + TimeUnit.SECONDS.toNanos(seconds);
            double interval = 1e9 / rate;
            for (long i = 0; ; i++) {
                long intended = start + (long) (i * interval);
                if (intended >= end) {
                    break;
                }
                long wait = intended - System.nanoTime();
                if (wait > 0) {
                    LockSupport.parkNanos(wait);
                }
                slots.acquire();
                Buffer body = Buffer.buffer("{\"inputs\":[\"flood " + i + ": the app logs me out every time I open "
                        + "the settings page\"]}");
                t.vertx.runOnContext(v -> t.send(port, "/embed", body).onComplete(ar -> {
                    t.record(ar.succeeded() ? ar.result() : 0, ar.cause(), System.nanoTime() - intended);
                    slots.release();
                }));
            }
            if (!slots.tryAcquire(maxInFlight, REQUEST_TIMEOUT_MS + 10_000, TimeUnit.MILLISECONDS)) {
                t.noAnswer.add(maxInFlight - slots.availablePermits());
            }
            t.close();
            return t;
        }

        /** Two clients sending 9 MB texts of short words, one asking for truncation, one not. */
        static Traffic huge(int port, long seconds) {
            StringBuilder sb = new StringBuilder(9 * 1024 * 1024 + 64);
            while (sb.length() < 9 * 1024 * 1024) {
                sb.append("ab cd ");
            }
            String text = sb.toString();
            Buffer refuse = Buffer.buffer("{\"inputs\":\"" + text + "\",\"truncate\":false}");
            Buffer truncate = Buffer.buffer("{\"inputs\":\"" + text + "\",\"truncate\":true}");
            Traffic t = new Traffic(2, 2);
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            t.vertx.runOnContext(v -> t.hugeLoop(port, refuse, end));
            t.vertx.runOnContext(v -> t.hugeLoop(port, truncate, end));
            return t;
        }

        private void hugeLoop(int port, Buffer body, long end) {
            if (System.nanoTime() >= end) {
                done.countDown();
                return;
            }
            long t0 = System.nanoTime();
            send(port, "/embed", body).onComplete(ar -> {
                record(ar.succeeded() ? ar.result() : 0, ar.cause(), System.nanoTime() - t0);
                vertx.runOnContext(v -> hugeLoop(port, body, end));
            });
        }

        Future<Integer> send(int port, String path, Buffer body) {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setHost("127.0.0.1").setPort(port)
                    .setURI(path).setIdleTimeout(REQUEST_TIMEOUT_MS + 10_000)
                    .putHeader("Content-Type", "application/json").putHeader("Cache-Control", "no-cache");
            return client.request(options).compose(r -> r.send(body))
                    .compose(response -> response.end().map(v -> response.statusCode()));
        }

        /** Returns whether the connection was refused. */
        boolean record(int status, Throwable failure, long nanos) {
            total.increment();
            if (status != 0) {
                statuses.computeIfAbsent(Integer.toString(status), k -> new LongAdder()).increment();
                if (nanos <= TimeUnit.MILLISECONDS.toNanos(REQUEST_TIMEOUT_MS + 1000)) {
                    inTime.increment();
                }
                if (status == 200) {
                    ok.increment();
                    latency.recordValue(Math.max(1, nanos / 1000));
                }
                return false;
            }
            if (isRefused(failure)) {
                refused.increment();
                return true;
            }
            noAnswer.increment();
            return false;
        }

        private static boolean isRefused(Throwable e) {
            for (Throwable c = e; c != null; c = c.getCause()) {
                if (c instanceof ConnectException) {
                    return true;
                }
            }
            return false;
        }

        void await() throws InterruptedException {
            if (!done.await(REQUEST_TIMEOUT_MS * 4, TimeUnit.MILLISECONDS)) {
                noAnswer.add(done.getCount());
            }
            close();
        }

        void close() {
            if (vertx == null) {
                return;
            }
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                // only releases connections
            }
        }

        double p99Ms() {
            return latency.getTotalCount() == 0 ? 0 : latency.getValueAtPercentile(99) / 1000.0;
        }

        Map<String, Long> statusCounts() {
            Map<String, Long> out = new java.util.TreeMap<>();
            statuses.forEach((k, v) -> out.put(k, v.sum()));
            return out;
        }

        static Traffic merge(Traffic a, Traffic b) {
            Traffic m = new Traffic(0, 0);
            for (Traffic t : List.of(a, b)) {
                m.latency.add(t.latency);
                t.statuses.forEach((k, v) -> m.statuses.computeIfAbsent(k, x -> new LongAdder()).add(v.sum()));
                m.total.add(t.total.sum());
                m.ok.add(t.ok.sum());
                m.inTime.add(t.inTime.sum());
                m.noAnswer.add(t.noAnswer.sum());
                m.refused.add(t.refused.sum());
            }
            return m;
        }

        Outcome outcome(String scenario, Probe probe, long idleKb, String notes) {
            long answered = statuses.values().stream().mapToLong(LongAdder::sum).sum();
            return new Outcome(scenario, total.sum(), answered, inTime.sum(), noAnswer.sum(), refused.sum(),
                    statusCounts(), p99Ms(), probe.maxNanos / 1e6, probe.failures.sum(), probe.probes.sum(),
                    idleKb / 1024, Math.max(idleKb, probe.peakRssKb) / 1024, notes);
        }
    }

    // ---- output -----------------------------------------------------------------------------

    private static void printTable(List<Outcome> outcomes) {
        System.out.printf(Locale.ROOT, "%-8s %8s %8s %8s %7s %7s %6s %6s %6s %9s %9s %7s %8s %8s %6s%n", "scenario",
                "sent", "answered", "in time", "no ans", "refused", "429", "503", "other5", "p99 ok ms", "probe max",
                "probe!", "idle MB", "peak MB", "peak/i");
        for (Outcome o : outcomes) {
            long other5xx = o.count5xx() - o.count("503");
            System.out.printf(Locale.ROOT, "%-8s %8d %8d %8d %7d %7d %6d %6d %6d %9.1f %9.1f %7d %8d %8d %6.2f%n",
                    o.scenario(), o.sent(), o.answered(), o.inTime(), o.noAnswer(), o.refused(), o.count("429"),
                    o.count("503"), other5xx, o.p99Ms(), o.probeMaxMs(), o.probeFailures(), o.idleRssMb(),
                    o.peakRssMb(), o.idleRssMb() == 0 ? 0 : (double) o.peakRssMb() / o.idleRssMb());
        }
        System.out.println();
        System.out.println("targets: no ans = 0; no 5xx caused by clients (other5 = 0; 503 only while draining); probe max "
                + "<= 100 ms and probe! (failed probes) = 0 throughout; peak RSS within 1.5x idle plus the queue bound");
    }

    // ---- small helpers ----------------------------------------------------------------------

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    private static String javaBinary() {
        return ProcessHandle.current().info().command().orElse("java");
    }

    private static Path findOnPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(":")) {
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /** Whether the server answered (a 408) or closed the connection: a read that does not wait. */
    private static boolean answeredOrClosed(Socket s) {
        try {
            s.setSoTimeout(1);
            s.getInputStream().read(); // a byte of an answer, or -1 at the end of the stream
            return true;
        } catch (java.net.SocketTimeoutException e) {
            return false; // nothing yet: still open
        } catch (IOException e) {
            return true;
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing a socket the server already cut
        }
    }

    private Chaos() {
    }
}
