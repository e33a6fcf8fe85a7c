package dev.peregrine.benchmarks;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.loadtest.LoadTestConfig;
import dev.peregrine.server.CacheConfig;
import dev.peregrine.server.PeregrineServer;
import dev.peregrine.server.ServeConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The serving benchmark of docs/benchmarks.md, in one run on one machine: the engine alone at its
 * best batch size, the saturated server, the single-text latency overhead, and latency against
 * throughput for four server configurations. A program, not a test: it prints tables and writes
 * JSON lines to {@code peregrine-benchmarks/target/server-benchmark.jsonl}.
 *
 * <p>The load generator runs in a process of its own ({@link LoadClient}) and reports its own CPU
 * time, so the server's figures are the server's alone: beside throughput and latency, each server
 * measurement reports the server's allocation per request (bytes allocated by every thread of this
 * JVM, which then runs only the server, over the measured requests; allocation does not depend on how
 * loaded the machine is) and its CPU time per request.
 *
 * <pre>
 * peregrine-benchmarks/run ServerBenchmark [seconds-per-point [parts [rounds [texts]]]]
 * </pre>
 * {@code parts} is a subset of
 * {@code abcd} ((a)-(c) always run together); {@code rounds} is how often (b) alternates engine and server;
 * {@code texts} is what every client and the engine send: {@code tickets} (the default: the 1,039 unique
 * support tickets of peregrine-datasets, 28 tokens on average), {@code builtin} (the load generator's
 * twelve short sentences, cycled) or {@code validation} (the 529 unique validation texts, news-length).
 *
 * <p>With repeated texts the engine's batches are unrealistically good: 128 texts made of ten copies of
 * twelve sentences sort into passes of exactly one length, with no padding at all, which no server
 * sees from real clients; so the default is texts that are all different, for engine and server alike.
 */
public final class ServerBenchmark {

    /** The texts of a set named on the command line (see the class comment). */
    static List<String> texts(String set) {
        return switch (set) {
            case "tickets" -> dev.peregrine.datasets.Datasets.tickets().stream().map(dev.peregrine.datasets.Ticket::text)
                    .toList();
            case "builtin" -> LoadTestConfig.defaultTexts();
            case "validation" -> dev.peregrine.datasets.Datasets.validationTexts().stream()
                    .map(dev.peregrine.datasets.ValidationText::text).toList();
            default -> throw new IllegalArgumentException("texts must be tickets, builtin or validation, was " + set);
        };
    }

    private static final int SATURATED_WARMUP_SECONDS = 10;
    /**
     * The load generator's JVM compiles with C1 only: in a run of seconds its C2 compiler thread was
     * most of its CPU (perf, 14-22 s into a saturated run: 70% of its samples), CPU taken from the
     * server on the same cores. {@code -Dperegrine.bench.clientC2=true} keeps the default JIT.
     */
    private static final List<String> LOAD_CLIENT_JVM_FLAGS = Boolean.getBoolean("peregrine.bench.clientC2")
            ? List.of() : List.of("-XX:TieredStopAtLevel=1");
    private static String textSet = "tickets";
    private static List<String> TEXTS;
    private static final List<String> json = new ArrayList<>();

    private ServerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 8;
        String parts = args.length > 1 ? args[1] : "abcd";
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 2;
        textSet = args.length > 3 ? args[3] : "tickets";
        TEXTS = texts(textSet);
        ModelResolver resolver = ModelResolver.standard();
        ModelFolder folder = resolver.resolve(EmbeddedModels.DEFAULT_MODEL);
        int cores = Runtime.getRuntime().availableProcessors();
        System.out.printf("model %s, %d cores, %d %s texts (%d unique) cycled (1 text per request to the server), "
                + "%d s per point; %s%n%n", folder.name(), cores, TEXTS.size(), textSet,
                new java.util.HashSet<>(TEXTS).size(), seconds, dev.peregrine.core.cpu.CpuFeatures.detect().summary());

        // (a) The engine alone at its best policy: one caller with every core as intra-op threads,
        // or one caller per core with one thread each (each caller its own session, as the
        // server's workers), at several batch sizes.
        System.out.println("(a) engine alone (encode + forward; callers x intra-op threads)");
        int[][] shapes = {{1, cores}, {cores, 1}};
        double bestEngine = 0;
        int[] bestShape = shapes[0];
        int bestBatch = 0;
        for (int[] shape : shapes) {
            for (int batch : new int[] {8, 16, 32}) {
                double rate = engineThroughput(folder, shape[0], shape[1], batch, seconds);
                System.out.printf(Locale.ROOT, "    %dx%d batch %3d: %8.1f texts/s%n", shape[0], shape[1], batch, rate);
                json.add(String.format(Locale.ROOT, "{\"part\":\"a\",\"callers\":%d,\"threads\":%d,\"batch\":%d,"
                        + "\"texts_per_s\":%.1f}", shape[0], shape[1], batch, rate));
                if (rate > bestEngine) {
                    bestEngine = rate;
                    bestShape = shape;
                    bestBatch = batch;
                }
            }
        }
        System.out.printf(Locale.ROOT, "    best: %dx%d, batch %d%n%n", bestShape[0], bestShape[1], bestBatch);

        // (b) The saturated server in the same shape and batch limit, alternating with the engine
        // twice so that both see the same machine.
        try (PeregrineServer server = start(resolver, bestShape[0], bestShape[1], 0, bestBatch)) {
            URI url = URI.create("http://127.0.0.1:" + server.port() + "/embed");
            for (int round = 1; round <= rounds; round++) {
                double engine = engineThroughput(folder, bestShape[0], bestShape[1], bestBatch, seconds);
                // A longer warm-up than the other points: the server's JIT (Vert.x, Jackson, Netty) and
                // the generator's are still compiling after 2 s, at 5-10% of a core.
                Load saturated = Load.measure(url, 64, 0, seconds, SATURATED_WARMUP_SECONDS);
                double ratio = saturated.textsPerSecond() / engine;
                // CPU per text: the engine keeps every core busy; the server's is what it used itself.
                double engineCpuMs = cores * 1000.0 / engine;
                double serverCpuMs = saturated.serverCpuMillisPerRequest();
                System.out.printf(Locale.ROOT, "(b) round %d: engine %.1f texts/s; server saturated (64 clients, closed "
                                + "loop) %.1f texts/s, p50 %.1f ms; server / engine = %.2f; CPU per text: engine %.3f ms, "
                                + "server %.3f ms (engine / server = %.2f); %s%n", round, engine,
                        saturated.textsPerSecond(), saturated.p50(), ratio, engineCpuMs, serverCpuMs,
                        engineCpuMs / serverCpuMs, saturated.costs());
                json.add(String.format(Locale.ROOT, "{\"part\":\"b\",\"round\":%d,\"engine\":%.1f,\"server\":%.1f,"
                                + "\"ratio\":%.3f,\"engine_cpu_ms_per_text\":%.4f,\"cpu_ratio\":%.3f,%s}", round, engine,
                        saturated.textsPerSecond(), ratio, engineCpuMs, engineCpuMs / serverCpuMs, saturated.costsJson()));
            }
            // (c) One text at a time: the server's p50 against the engine's own single-text time, once
            // back to back and once at the server's cadence. Between two requests of one client the
            // worker idles for the round trip, and a pass after an idle gap is slower on a virtual
            // CPU (measured here: 3.4-3.6 ms back to back, 5.4-5.5 ms after 1-2 ms of idling, the
            // same pass): the engine called as often as the server answered sees the same gaps.
            // The load generator's JVM is new for every measurement: at one client, 2 s of warm-up is
            // about 150 requests, too few for its JIT to compile its request path, and the
            // interpreted client then showed in the overhead. As long a warm-up as the measurement.
            Load single = Load.measure(url, 1, 0, seconds, Math.max(2, seconds));
            long periodNanos = single.throughput() > 0 ? (long) (1e9 / single.throughput()) : 0;
            double backToBack = engineSingleTextMillis(folder, bestShape[1], seconds, 0);
            double atCadence = engineSingleTextMillis(folder, bestShape[1], seconds, periodNanos);
            // The floor: a request that does no work (GET /healthz, answered on the event loop) at the
            // same cadence. On a virtual machine a thread woken after an idle gap costs far more than
            // one kept busy; this is what any HTTP answer costs here, before the model's path adds its own.
            double floor = httpFloorMillis(server.port(), periodNanos, seconds);
            System.out.printf(Locale.ROOT, "(c) one client, one text: server p50 %.3f ms (%.1f requests/s); engine "
                            + "median back to back %.3f ms, at the server's cadence (one text every %.2f ms) %.3f ms: "
                            + "overhead %.3f ms over the engine at the same cadence (%.3f ms over back to back); "
                            + "per request, latency minus the server's own tokenization and pass: p50 %.3f ms, of "
                            + "which in the server (its x-total-time minus the same) p50 %.3f ms; "
                            + "a request without work (GET /healthz) at the same cadence: p50 %.3f ms; %s%n%n",
                    single.p50(), single.throughput(), backToBack, periodNanos / 1e6, atCadence,
                    single.p50() - atCadence, single.p50() - backToBack, single.overheadP50(),
                    single.serverOverheadP50(), floor, single.costs());
            json.add(String.format(Locale.ROOT, "{\"part\":\"c\",\"server_p50_ms\":%.3f,\"engine_ms\":%.3f,"
                            + "\"engine_at_cadence_ms\":%.3f,\"cadence_ms\":%.3f,\"overhead_ms\":%.3f,"
                            + "\"overhead_back_to_back_ms\":%.3f,\"overhead_per_request_p50_ms\":%s,\"overhead_in_server_p50_ms\":%s,\"http_floor_ms\":%s,%s}",
                    single.p50(), backToBack, atCadence, periodNanos / 1e6, single.p50() - atCadence,
                    single.p50() - backToBack, jsonNumber(single.overheadP50()),
                    jsonNumber(single.serverOverheadP50()), jsonNumber(floor), single.costsJson()));
        }

        // (d) Latency against throughput.
        if (!parts.contains("d")) {
            finish();
            return;
        }
        System.out.println("(d) open loop at a share of each configuration's saturation");
        System.out.println("    config                 load   target/s  achieved/s   p50 ms   p90 ms   p99 ms  p99.9 ms"
                + "  alloc KB/req  server CPU ms/req  client CPU ms/req");
        for (int[] shape : new int[][] {{1, cores}, {cores, 1}}) {
            for (int delay : new int[] {0, 2}) {
                try (PeregrineServer server = start(resolver, shape[0], shape[1], delay, bestBatch)) {
                    URI url = URI.create("http://127.0.0.1:" + server.port() + "/embed");
                    double saturation = closed(url, 64, seconds).throughput();
                    String name = String.format(Locale.ROOT, "%dx%d delay %d ms", shape[0], shape[1], delay);
                    for (int share : new int[] {25, 50, 75, 100}) {
                        double rate = saturation * share / 100.0;
                        Load r = open(url, rate, seconds);
                        System.out.printf(Locale.ROOT, "    %-20s %4d%%  %9.1f  %10.1f  %7.2f  %7.2f  %7.2f  %8.2f  %12.1f  %17.3f  %17.3f%n",
                                name, share, rate, r.throughput(), r.p50(), r.p90(), r.p99(), r.p999(),
                                r.allocatedBytesPerRequest() / 1024.0, r.serverCpuMillisPerRequest(),
                                r.clientCpuMillisPerRequest());
                        json.add(String.format(Locale.ROOT, "{\"part\":\"d\",\"instances\":%d,\"threads\":%d,"
                                        + "\"delay_ms\":%d,\"share\":%d,\"target\":%.1f,\"achieved\":%.1f,\"p50\":%.3f,"
                                        + "\"p90\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"errors\":\"%s\",%s}", shape[0], shape[1],
                                delay, share, rate, r.throughput(), r.p50(), r.p90(), r.p99(), r.p999(), r.errors(),
                                r.costsJson()));
                    }
                }
            }
        }
        finish();
    }

    private static void finish() throws java.io.IOException {
        Path out = Path.of("peregrine-benchmarks", "target", "server-benchmark.jsonl");
        Files.createDirectories(out.getParent());
        Files.write(out, json);
        System.out.println("\nJSON lines: " + out.toAbsolutePath());
        System.exit(0);
    }

    private static PeregrineServer start(ModelResolver resolver, int instances, int threads, int delayMs, int maxBatch) {
        return PeregrineServer.start(ServeConfig.builder().host("127.0.0.1").port(0)
                .model(null, EmbeddedModels.DEFAULT_MODEL).instances(instances).threads(threads).maxBatchSize(maxBatch)
                .maxQueueDelay(Duration.ofMillis(delayMs)).tokenizerThreads(2)
                // The twelve texts repeat: with the prediction cache on, the server would answer from
                // memory and this would measure the cache (CacheBenchmark does), not the inference path.
                .cache(CacheConfig.off()).build(), resolver);
    }

    private static Load closed(URI url, int clients, int seconds) throws Exception {
        return Load.measure(url, clients, 0, seconds, 2);
    }

    private static Load open(URI url, double rate, int seconds) throws Exception {
        return Load.measure(url, 0, rate, seconds, 1);
    }

    /** A number for JSON with 3 decimals, or null for NaN (a server that sends no timing headers). */
    static String jsonNumber(double value) {
        return Double.isFinite(value) ? String.format(Locale.ROOT, "%.3f", value) : "null";
    }

    /**
     * One load test against the server in this JVM, the generator in its own process.
     *
     * @param requests                 requests answered in the measured time
     * @param allocatedBytes           bytes allocated by this JVM's threads (the server's) in that time
     * @param serverCpuNanos           this JVM's CPU time in that time
     * @param clientCpuNanos           the load generator's own CPU time in that time
     * @param overheadP50              median of each answer's latency minus the server's reported
     *                                 tokenization and inference time for it (NaN if not reported)
     * @param serverOverheadP50        median of the server's reported total time minus the same: the
     *                                 part of the overhead inside the server (NaN if not reported)
     */
    record Load(double throughput, double textsPerSecond, double p50, double p90, double p99, double p999,
                long requests, String errors, long allocatedBytes, long serverCpuNanos, long clientCpuNanos,
                double overheadP50, double serverOverheadP50) {

        double allocatedBytesPerRequest() {
            return requests == 0 ? 0 : (double) allocatedBytes / requests;
        }

        double serverCpuMillisPerRequest() {
            return requests == 0 ? 0 : serverCpuNanos / 1e6 / requests;
        }

        double clientCpuMillisPerRequest() {
            return requests == 0 ? 0 : clientCpuNanos / 1e6 / requests;
        }

        String costs() {
            return String.format(Locale.ROOT, "server allocates %.1f KB and uses %.3f ms CPU per request; "
                            + "load generator %.3f ms CPU per request", allocatedBytesPerRequest() / 1024.0,
                    serverCpuMillisPerRequest(), clientCpuMillisPerRequest());
        }

        String costsJson() {
            return String.format(Locale.ROOT, "\"requests\":%d,\"alloc_bytes_per_request\":%.0f,"
                            + "\"server_cpu_ms_per_request\":%.4f,\"client_cpu_ms_per_request\":%.4f", requests,
                    allocatedBytesPerRequest(), serverCpuMillisPerRequest(), clientCpuMillisPerRequest());
        }

        /** Runs {@link LoadClient} in a child JVM; snapshots this JVM's allocation and CPU around its measured test. */
        static Load measure(URI url, int clients, double rate, int seconds, int warmup) throws Exception {
            String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = new ArrayList<>(List.of(javaBin));
            command.addAll(LOAD_CLIENT_JVM_FLAGS);
            command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                    LoadClient.class.getName(), url.toString(), Integer.toString(clients),
                    Double.toString(rate), Integer.toString(seconds), Integer.toString(warmup), textSet));
            Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            try (java.io.BufferedReader out = new java.io.BufferedReader(new java.io.InputStreamReader(
                    child.getInputStream(), java.nio.charset.StandardCharsets.UTF_8));
                 java.io.Writer in = new java.io.OutputStreamWriter(child.getOutputStream(),
                         java.nio.charset.StandardCharsets.UTF_8)) {
                String line;
                while ((line = out.readLine()) != null && !line.equals("READY")) {
                    // the generator's own chatter, if any
                }
                if (line == null) {
                    throw new IllegalStateException("the load generator ended before it was ready (exit "
                            + child.waitFor() + ")");
                }
                long bytes0 = threadAllocatedBytes();
                long cpu0 = processCpuNanos();
                in.write("go\n");
                in.flush();
                StringBuilder report = new StringBuilder();
                long clientCpu = -1;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("CPU_NANOS ")) {
                        clientCpu = Long.parseLong(line.substring("CPU_NANOS ".length()).trim());
                        break;
                    }
                    report.append(line).append('\n');
                }
                long bytes = threadAllocatedBytes() - bytes0;
                long cpu = processCpuNanos() - cpu0;
                child.waitFor();
                if (clientCpu < 0) {
                    throw new IllegalStateException("the load generator did not report (exit " + child.exitValue() + ")");
                }
                com.fasterxml.jackson.databind.JsonNode r = new com.fasterxml.jackson.databind.ObjectMapper()
                        .readTree(report.toString());
                com.fasterxml.jackson.databind.JsonNode lat = r.get("latency_ms");
                com.fasterxml.jackson.databind.JsonNode over = r.get("overhead_ms");
                return new Load(r.get("throughput_rps").asDouble(), r.get("texts_per_second").asDouble(),
                        lat.get("p50").asDouble(), lat.get("p90").asDouble(), lat.get("p99").asDouble(),
                        lat.get("p99_9").asDouble(), r.get("requests").asLong(), r.get("errors").toString(), bytes, cpu,
                        clientCpu, over == null ? Double.NaN : over.get("p50").asDouble(),
                        over == null || over.get("in_server") == null ? Double.NaN
                                : over.get("in_server").get("p50").asDouble());
            } finally {
                child.destroy();
            }
        }

        /** Bytes allocated so far by every live thread of this JVM but the caller. */
        private static long threadAllocatedBytes() {
            com.sun.management.ThreadMXBean threads =
                    (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
            long self = Thread.currentThread().getId();
            long[] ids = java.util.Arrays.stream(threads.getAllThreadIds()).filter(id -> id != self).toArray();
            long sum = 0;
            for (long b : threads.getThreadAllocatedBytes(ids)) {
                sum += Math.max(0, b);
            }
            return sum;
        }

        private static long processCpuNanos() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }
    }

    /**
     * Texts per second of encode + run over the cycled corpus in batches of {@code batch}, by
     * {@code callers} threads each with its own engine of {@code threads} intra-op threads.
     */
    private static double engineThroughput(ModelFolder folder, int callers, int threads, int batch, int seconds)
            throws InterruptedException {
        List<Engine> engines = new ArrayList<>();
        try {
            for (int c = 0; c < callers; c++) {
                engines.add(Engine.open(folder, EngineOptions.builder().intraOpThreads(threads).maxBatchSize(batch).build()));
            }
            // Each call plans 4 x batch consecutive texts of the cycled corpus (as many as the batcher's
            // window for one worker); the callers take turns through the corpus, so with unique texts no
            // call sees a text twice.
            int chunk = 4 * batch;
            java.util.concurrent.atomic.AtomicLong next = new java.util.concurrent.atomic.AtomicLong();
            java.util.function.Supplier<List<String>> take = () -> {
                long from = next.getAndAdd(chunk);
                List<String> texts = new ArrayList<>(chunk);
                for (int k = 0; k < chunk; k++) {
                    texts.add(TEXTS.get((int) ((from + k) % TEXTS.size())));
                }
                return texts;
            };
            java.util.concurrent.atomic.AtomicLong done = new java.util.concurrent.atomic.AtomicLong();
            for (Engine engine : engines) {
                engine.run(engine.encode(take.get()));
            }
            long t0 = System.nanoTime();
            long end = t0 + seconds * 1_000_000_000L;
            List<Thread> threadsList = new ArrayList<>();
            for (Engine engine : engines) {
                Thread t = new Thread(() -> {
                    while (System.nanoTime() < end) {
                        List<String> texts = take.get();
                        engine.run(engine.encode(texts));
                        done.addAndGet(texts.size());
                    }
                });
                threadsList.add(t);
                t.start();
            }
            for (Thread t : threadsList) {
                t.join();
            }
            return done.get() / ((System.nanoTime() - t0) / 1e9);
        } finally {
            engines.forEach(Engine::close);
        }
    }

    /**
     * Median round trip of {@code GET /healthz} on one keep-alive connection, once every
     * {@code periodNanos}: what an answer that does no work costs at that cadence. A plain socket
     * client, so that the number is the server's and the loopback's, not a client library's.
     */
    static double httpFloorMillis(int port, long periodNanos, int seconds) throws java.io.IOException {
        byte[] request = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            java.io.OutputStream out = socket.getOutputStream();
            java.io.InputStream in = new java.io.BufferedInputStream(socket.getInputStream());
            for (int w = 0; w < 200; w++) {
                roundTrip(out, in, request);
            }
            List<Double> times = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            for (int i = 0; System.nanoTime() < end; i++) {
                long wait = start + i * periodNanos - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                }
                long t0 = System.nanoTime();
                roundTrip(out, in, request);
                times.add((System.nanoTime() - t0) / 1e6);
            }
            double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return sorted[sorted.length / 2];
        }
    }

    /** Sends one request and reads its whole answer (headers, then Content-Length bytes of body). */
    private static void roundTrip(java.io.OutputStream out, java.io.InputStream in, byte[] request)
            throws java.io.IOException {
        out.write(request);
        out.flush();
        StringBuilder line = new StringBuilder();
        int length = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("the server closed the connection");
            }
            if (b == '\n') {
                String header = line.toString().trim();
                if (header.isEmpty()) {
                    break;
                }
                if (header.regionMatches(true, 0, "content-length:", 0, 15)) {
                    length = Integer.parseInt(header.substring(15).trim());
                }
                line.setLength(0);
            } else {
                line.append((char) b);
            }
        }
        if (in.readNBytes(length).length != length) {
            throw new java.io.EOFException("the answer ended early");
        }
    }

    /**
     * The engine's median time for one text (tokenize, forward, pool), called back to back
     * ({@code periodNanos} 0) or once every {@code periodNanos}, idle in between.
     */
    private static double engineSingleTextMillis(ModelFolder folder, int threads, int seconds, long periodNanos) {
        try (Engine engine = Engine.open(folder, EngineOptions.builder().intraOpThreads(threads).build())) {
            for (int w = 0; w < 50; w++) {
                engine.embed(List.of(TEXTS.get(w % TEXTS.size())));
            }
            List<Double> times = new ArrayList<>();
            long start = System.nanoTime();
            long end = start + seconds * 1_000_000_000L;
            int i = 0;
            while (System.nanoTime() < end) {
                if (periodNanos > 0) {
                    long due = start + i * periodNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                }
                String text = TEXTS.get(i++ % TEXTS.size());
                long t0 = System.nanoTime();
                engine.embed(List.of(text));
                times.add((System.nanoTime() - t0) / 1e6);
            }
            double[] sorted = times.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            return sorted[sorted.length / 2];
        }
    }
}
