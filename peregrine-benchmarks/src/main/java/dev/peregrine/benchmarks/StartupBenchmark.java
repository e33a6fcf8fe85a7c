package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.peregrine.core.model.ModelResolver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * How fast {@code peregrine serve} becomes ready, and how much memory it and each extra instance of a
 * model take: every figure from a real server process, as an operator starts it.
 *
 * <p><b>Start-up</b>: for each setting, {@code serve} is spawned {@code --runs} times (after one
 * unmeasured run that fills the caches: optimized graphs, file hashes, the built ticket classifier),
 * and {@code /readyz} is polled every 5 ms over a new connection; the time is from just before the
 * process is spawned to the first 200 (so it includes the JVM's own start). Settings: the defaults
 * (embedder and ticket classifier), the embedder alone, the embedder with {@code --graph-cache off}
 * (what the optimized-graph cache saves), and the embedder with an AppCDS archive (made first by one run
 * with {@code -XX:DumpLoadedClassList} and {@code java -Xshare:dump}, then used with
 * {@code -XX:SharedArchiveFile}, as the launcher does). The server's
 * own breakdown ({@code /info} {@code startup}) is printed for the median run.
 *
 * <p><b>Memory</b>: the embedder with {@code --threads 1} and 1 instance, N instances sharing one
 * session (the default) and N with {@code --no-share-weights}; after readiness, N clients send unique
 * single texts ({@code Cache-Control: no-cache}) for {@code --load-seconds} so every instance has run
 * passes at once, then the process's VmRSS is read; the three settings in turn, {@code --runs} times,
 * and the median RSS of each is kept. Per extra instance = (RSS with N - RSS with 1) /
 * (N - 1), also as a share of the model's ONNX file. These servers run with a fixed, pre-touched
 * heap ({@value #MEMORY_HEAP}, unless {@code --server-java-opts} sets {@code -Xmx}): otherwise G1's
 * heap growth, which follows how many requests a run happened to serve, counts as the instances'
 * (the same code measured 7.8 MB per extra instance in one session and 28-32 MB in another).
 *
 * <p><b>First start</b> ({@code --first-start}): one run with an empty {@code PEREGRINE_HOME}, as on a
 * fresh checkout after the build: time to the embedder's readiness and to full readiness (the ticket
 * classifier trained).
 *
 * <pre>
 * peregrine-benchmarks/run StartupBenchmark [--runs 5] [--instances 2] [--load-seconds 5]
 *                                           [--settings default,embedder,no-graph-cache,cds] [--no-memory]
 *                                           [--first-start] [--server-java-opts "..."] [--json FILE]
 * </pre>
 */
public final class StartupBenchmark {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final String EMBEDDER = "all-minilm-l6-v2";
    private static final long READY_TIMEOUT_MS = 600_000;

    /** One setting's start-up times. */
    public record StartupRow(String setting, List<String> args, int runs, long medianMs, long minMs, long maxMs,
                             JsonNode serverBreakdown) {
    }

    /** One memory measurement. */
    public record MemoryRow(String setting, int instances, int sessions, long rssKb, Long perExtraInstanceKb,
                            Double perExtraInstanceOfModel, long requests) {
    }

    private static List<String> serverJavaOptions = List.of();
    /** The memory rows' heap, fixed and pre-touched so that it is resident in full in every row. */
    static final String MEMORY_HEAP = "512m";

    public static void main(String[] args) throws Exception {
        int runs = 5;
        int instances = 2;
        int loadSeconds = 5;
        boolean memory = true;
        boolean firstStart = false;
        List<String> settings = List.of("default", "embedder", "no-graph-cache", "cds");
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--runs" -> runs = Integer.parseInt(args[++i]);
                case "--instances" -> instances = Integer.parseInt(args[++i]);
                case "--load-seconds" -> loadSeconds = Integer.parseInt(args[++i]);
                case "--settings" -> settings = List.of(args[++i].split(","));
                case "--no-memory" -> memory = false;
                case "--first-start" -> firstStart = true;
                case "--server-java-opts" -> serverJavaOptions = List.of(args[++i].trim().split("\\s+"));
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i] + " (usage: StartupBenchmark "
                        + "[--runs N] [--instances N] [--load-seconds S] [--settings default,embedder,no-graph-cache,cds] "
                        + "[--no-memory] [--first-start] [--server-java-opts \"...\"] [--json FILE])");
            }
        }
        if (runs < 1 || instances < 2) {
            throw new IllegalArgumentException("--runs must be >= 1 and --instances >= 2");
        }
        Path jar = Path.of(System.getProperty("peregrine.cli.jar", "peregrine-cli/target/peregrine.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("no " + jar + " (run through peregrine-benchmarks/run, which builds it)");
        }
        System.out.printf(Locale.ROOT, "%s, %d cores, %s; java %s; server JVM options: %s%n%n", Machine.cpuModel(),
                Runtime.getRuntime().availableProcessors(), Machine.instructionSets(), System.getProperty("java.version"),
                serverJavaOptions.isEmpty() ? "none" : String.join(" ", serverJavaOptions));

        List<StartupRow> startup = new ArrayList<>();
        Path work = Files.createTempDirectory("peregrine-startup-");
        for (String s : settings) {
            List<String> jvm = new ArrayList<>(serverJavaOptions);
            List<String> serve = switch (s) {
                case "default" -> List.of();
                case "embedder" -> List.of("-m", EMBEDDER);
                case "no-graph-cache" -> List.of("-m", EMBEDDER, "--graph-cache", "off");
                case "cds" -> List.of("-m", EMBEDDER);
                default -> throw new IllegalArgumentException("unknown setting " + s);
            };
            if (s.equals("cds")) {
                // As the launcher does: list the classes a serve loads, then dump a static archive from
                // the list (the dynamic dump at exit crashed OpenJDK 17 on two machines).
                Path list = work.resolve("serve.classlist");
                Path archive = work.resolve("serve.jsa");
                System.out.printf(Locale.ROOT, "-- cds: listing classes into %s, then writing %s ...%n", list, archive);
                List<String> listing = new ArrayList<>(jvm);
                listing.add("-XX:DumpLoadedClassList=" + list);
                try (Server server = Server.start(jar, listing, serve, Map.of())) {
                    server.awaitReady("/readyz");
                    Traffic.run(server.port, 1, 1, new AtomicLong());
                }
                Process dump = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Xshare:dump", "-XX:SharedClassListFile=" + list, "-XX:SharedArchiveFile=" + archive,
                        "-cp", jar.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start();
                if (dump.waitFor() != 0 || !Files.isRegularFile(archive)) {
                    System.out.println("   no archive was written (java -Xshare:dump exit " + dump.exitValue() + "); skipped");
                    continue;
                }
                jvm.add("-XX:SharedArchiveFile=" + archive);
            }
            System.out.printf(Locale.ROOT, "-- %s: serve %s%n", s, String.join(" ", serve));
            startup.add(startup(jar, s, jvm, serve, runs));
        }

        List<MemoryRow> rows = new ArrayList<>();
        if (memory) {
            long modelBytes = Files.size(ModelResolver.standard().resolve(EMBEDDER).onnxFile());
            System.out.printf(Locale.ROOT, "-- memory: %s (%.1f MB ONNX file), --threads 1, %d s of load%n", EMBEDDER,
                    modelBytes / 1048576.0, loadSeconds);
            // The three settings in turn, --runs times, each a fresh server; the median RSS of each: one
            // process's RSS moves by 10-30 MB from run to run (threads' malloc arenas, the JIT's code),
            // as much as what an extra instance costs.
            String[] names = {"1 instance", instances + " instances, shared weights",
                    instances + " instances, --no-share-weights"};
            int[] counts = {1, instances, instances};
            boolean[] shared = {true, true, false};
            List<List<long[]>> samples = List.of(new ArrayList<>(), new ArrayList<>(), new ArrayList<>());
            for (int r = 0; r < runs; r++) {
                for (int k = 0; k < names.length; k++) {
                    samples.get(k).add(memory(jar, names[k], counts[k], shared[k], loadSeconds));
                }
            }
            MemoryRow one = null;
            for (int k = 0; k < names.length; k++) {
                List<long[]> byRss = new ArrayList<>(samples.get(k));
                byRss.sort(Comparator.comparingLong(x -> x[0]));
                long[] median = byRss.get(byRss.size() / 2);
                Long perExtra = one == null ? null : (median[0] - one.rssKb()) / (counts[k] - 1);
                Double share = perExtra == null ? null : perExtra * 1024.0 / modelBytes;
                MemoryRow row = new MemoryRow(names[k], counts[k], (int) median[2], median[0], perExtra, share, median[1]);
                if (one == null) {
                    one = row;
                }
                rows.add(row);
                System.out.printf(Locale.ROOT, "   %s: median RSS %.1f MB of %s%s%n", names[k], median[0] / 1024.0,
                        byRss.stream().map(x -> String.format(Locale.ROOT, "%.1f", x[0] / 1024.0)).toList(),
                        perExtra == null ? "" : String.format(Locale.ROOT, ", %.1f MB per extra instance (%.0f%% of the model)",
                                perExtra / 1024.0, share * 100));
            }
        }

        Map<String, Object> first = null;
        if (firstStart) {
            System.out.println("-- first start: empty PEREGRINE_HOME");
            first = firstStart(jar, work.resolve("fresh-home"));
        }

        System.out.println();
        printStartup(startup);
        if (!rows.isEmpty()) {
            System.out.println();
            printMemory(rows);
        }
        if (first != null) {
            System.out.println();
            System.out.printf(Locale.ROOT, "first start (empty home): embedder ready %s ms, every model ready %s ms "
                    + "after spawning the JVM%n", first.get("embedder_ready_ms"), first.get("all_ready_ms"));
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("machine", Map.of("cpu", Machine.cpuModel(), "cores", Runtime.getRuntime().availableProcessors(),
                "isa", Machine.instructionSets(), "java", System.getProperty("java.version")));
        out.put("server_java_options", serverJavaOptions);
        out.put("startup", startup);
        out.put("memory", rows);
        if (first != null) {
            out.put("first_start", first);
        }
        String text = JSON.writeValueAsString(out);
        System.out.println();
        System.out.println(text);
        if (json != null) {
            Files.writeString(json, text);
        }
        deleteTree(work);
    }

    private static StartupRow startup(Path jar, String setting, List<String> jvm, List<String> serve, int runs)
            throws Exception {
        try (Server warm = Server.start(jar, jvm, serve, Map.of())) {
            warm.awaitReady("/readyz");
        }
        long[] times = new long[runs];
        JsonNode[] breakdowns = new JsonNode[runs];
        for (int r = 0; r < runs; r++) {
            try (Server server = Server.start(jar, jvm, serve, Map.of())) {
                times[r] = server.awaitReady("/readyz");
                JsonNode info = JSON.readTree(Http.get(server.port, "/info", 5000).body());
                breakdowns[r] = info.get("startup");
                System.out.printf(Locale.ROOT, "   run %d: /readyz 200 after %d ms (server: ready at %s ms)%n", r + 1,
                        times[r], breakdowns[r] == null ? "?" : breakdowns[r].path("ready_at_ms").asText("?"));
            }
        }
        Integer[] order = new Integer[runs];
        for (int i = 0; i < runs; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparingLong(i -> times[i]));
        int median = order[runs / 2];
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        return new StartupRow(setting, serve, runs, times[median], sorted[0], sorted[runs - 1], breakdowns[median]);
    }

    /** One server of the setting, loaded: {RSS KB, requests served, sessions}. */
    private static long[] memory(Path jar, String setting, int instances, boolean share, int loadSeconds)
            throws Exception {
        List<String> serve = new ArrayList<>(List.of("-m", EMBEDDER, "--threads", "1", "--instances",
                Integer.toString(instances), "--cache", "off", "--no-drift"));
        if (!share) {
            serve.add("--no-share-weights");
        }
        List<String> jvm = new ArrayList<>(serverJavaOptions);
        if (jvm.stream().noneMatch(o -> o.startsWith("-Xmx"))) {
            jvm.addAll(List.of("-Xms" + MEMORY_HEAP, "-Xmx" + MEMORY_HEAP, "-XX:+AlwaysPreTouch"));
        }
        try (Server server = Server.start(jar, jvm, serve, Map.of())) {
            server.awaitReady("/readyz");
            AtomicLong ok = new AtomicLong();
            Traffic.run(server.port, instances, loadSeconds, ok);
            long rss = server.rssKb();
            JsonNode info = JSON.readTree(Http.get(server.port, "/info", 5000).body());
            int sessions = info.at("/memory/models/0/sessions").asInt(-1);
            System.out.printf(Locale.ROOT, "   %s: RSS %.1f MB after %d requests%n", setting, rss / 1024.0, ok.get());
            return new long[] {rss, ok.get(), sessions};
        }
    }

    private static Map<String, Object> firstStart(Path jar, Path home) throws Exception {
        Files.createDirectories(home);
        Map<String, Object> out = new LinkedHashMap<>();
        try (Server server = Server.start(jar, serverJavaOptions, List.of(), Map.of("PEREGRINE_HOME", home.toString()))) {
            long embedder = server.awaitReady("/readyz?model=" + EMBEDDER);
            long all = server.awaitReady("/readyz");
            out.put("embedder_ready_ms", embedder);
            out.put("all_ready_ms", all);
            out.put("server", JSON.readTree(Http.get(server.port, "/info", 5000).body()).get("startup"));
        }
        return out;
    }

    private static void printStartup(List<StartupRow> rows) {
        System.out.printf(Locale.ROOT, "%-16s %-44s %5s %10s %8s %8s  %s%n", "setting", "serve arguments", "runs",
                "median ms", "min ms", "max ms", "server's breakdown of the median run (ms since JVM start)");
        for (StartupRow r : rows) {
            System.out.printf(Locale.ROOT, "%-16s %-44s %5d %10d %8d %8d  %s%n", r.setting(),
                    r.args().isEmpty() ? "(defaults)" : String.join(" ", r.args()), r.runs(), r.medianMs(), r.minMs(),
                    r.maxMs(), breakdown(r.serverBreakdown()));
        }
    }

    private static String breakdown(JsonNode s) {
        if (s == null) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        b.append("main ").append(s.path("jvm_to_main_ms").asLong()).append(", parse ").append(s.path("parse_ms").asLong())
                .append(", start ").append(s.path("server_start_at_ms").asLong());
        s.path("phases_ms").fields().forEachRemaining(e -> b.append(", ").append(e.getKey()).append(' ')
                .append(e.getValue().asLong()));
        for (JsonNode m : s.path("models")) {
            b.append(String.format(Locale.ROOT, "; %s: load %d = resolve %d + runtime %d + tokenizer %d + session %d (%s) "
                            + "+ first pass %d + warm-up %d + rest, ready %d", m.path("name").asText(),
                    m.path("load_ms").asLong(), m.path("resolve_ms").asLong(), m.path("runtime_ms").asLong(),
                    m.path("tokenizer_ms").asLong(), m.path("session_ms").asLong(), m.path("optimized_graph").asText(),
                    m.path("first_pass_ms").asLong(), m.path("warm_up_ms").asLong(), m.path("ready_at_ms").asLong()));
        }
        b.append("; port ").append(s.path("port_bound_at_ms").asLong()).append(", ready ").append(s.path("ready_at_ms")
                .asLong());
        return b.toString();
    }

    private static void printMemory(List<MemoryRow> rows) {
        System.out.printf(Locale.ROOT, "%-36s %9s %8s %9s %18s %12s %9s%n", "memory (all-minilm-l6-v2, 1 thread each)",
                "instances", "sessions", "RSS MB", "per extra inst MB", "% of model", "requests");
        for (MemoryRow r : rows) {
            System.out.printf(Locale.ROOT, "%-36s %9d %8d %9.1f %18s %12s %9d%n", r.setting(), r.instances(),
                    r.sessions(), r.rssKb() / 1024.0,
                    r.perExtraInstanceKb() == null ? "-" : String.format(Locale.ROOT, "%.1f", r.perExtraInstanceKb() / 1024.0),
                    r.perExtraInstanceOfModel() == null ? "-"
                            : String.format(Locale.ROOT, "%.1f%%", r.perExtraInstanceOfModel() * 100), r.requests());
        }
    }

    private static void deleteTree(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a temp folder left behind
        }
    }

    // ---- the server process -------------------------------------------------------------------

    /** {@code java [jvm] -jar peregrine.jar serve [serve] --host 127.0.0.1 --port P}, its log in a temp file. */
    private static final class Server implements AutoCloseable {
        final Process process;
        final int port;
        final Path log;
        final long spawnedNanos;

        private Server(Process process, int port, Path log, long spawnedNanos) {
            this.process = process;
            this.port = port;
            this.log = log;
            this.spawnedNanos = spawnedNanos;
        }

        static Server start(Path jar, List<String> jvm, List<String> serve, Map<String, String> env) throws IOException {
            int port = freePort();
            Path log = Files.createTempFile("peregrine-startup-", ".log");
            List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
            cmd.addAll(jvm);
            cmd.addAll(List.of("-jar", jar.toString(), "serve", "--host", "127.0.0.1", "--port", Integer.toString(port)));
            cmd.addAll(serve);
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
            pb.environment().putAll(env);
            long t0 = System.nanoTime();
            return new Server(pb.start(), port, log, t0);
        }

        /** Polls {@code path} every 5 ms until 200; returns the ms since the process was spawned. */
        long awaitReady(String path) throws Exception {
            long deadline = spawnedNanos + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MS);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("the server exited (" + process.exitValue() + "); log: " + log);
                }
                if (Http.get(port, path, 1000).status() == 200) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - spawnedNanos);
                }
                Thread.sleep(5);
            }
            throw new IllegalStateException(path + " not 200 within " + READY_TIMEOUT_MS + " ms; log: " + log);
        }

        long rssKb() throws IOException {
            for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
            throw new IOException("no VmRSS for process " + process.pid());
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                process.destroy(); // SIGTERM: the server drains and exits (and writes a CDS archive if asked)
                if (!process.waitFor(60, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
            Files.deleteIfExists(log);
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, java.net.InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    // ---- HTTP, by hand: a new connection per request, nothing loaded in the server's favour ----------

    record Reply(int status, String body) {
    }

    static final class Http {
        static Reply get(int port, String path, int timeoutMs) {
            return exchange(port, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n", timeoutMs);
        }

        static Reply post(int port, String path, String json, int timeoutMs) {
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            return exchange(port, "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                    + "Content-Type: application/json\r\nCache-Control: no-cache\r\nContent-Length: " + body.length
                    + "\r\n\r\n" + json, timeoutMs);
        }

        private static Reply exchange(int port, String request, int timeoutMs) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress("127.0.0.1", port), timeoutMs);
                s.setSoTimeout(timeoutMs);
                OutputStream out = s.getOutputStream();
                out.write(request.getBytes(StandardCharsets.UTF_8));
                out.flush();
                InputStream in = s.getInputStream();
                String response = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                int sp = response.indexOf(' ');
                int status = sp < 0 ? -1 : Integer.parseInt(response.substring(sp + 1, sp + 4));
                int bodyAt = response.indexOf("\r\n\r\n");
                return new Reply(status, bodyAt < 0 ? "" : response.substring(bodyAt + 4));
            } catch (IOException | RuntimeException e) {
                return new Reply(-1, "");
            }
        }
    }

    /** Closed-loop clients sending unique single texts, so the prediction cache never answers. */
    static final class Traffic {
        static void run(int port, int clients, int seconds, AtomicLong ok) throws InterruptedException {
            AtomicBoolean stop = new AtomicBoolean();
            AtomicLong next = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        long n = next.incrementAndGet();
                        Reply r = Http.post(port, "/embed", "{\"inputs\": \"request " + n + ": why was I charged twice "
                                + "for my subscription this month, and when will the refund arrive?\"}", 30_000);
                        if (r.status() == 200) {
                            ok.incrementAndGet();
                        }
                    }
                }, "startup-benchmark-client-" + c);
                t.start();
                threads.add(t);
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
            stop.set(true);
            for (Thread t : threads) {
                t.join(60_000);
            }
        }
    }
}
