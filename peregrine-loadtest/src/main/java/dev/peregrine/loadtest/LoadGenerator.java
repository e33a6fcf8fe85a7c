package dev.peregrine.loadtest;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;

/**
 * Sends HTTP load and measures it.
 *
 * <ul>
 *   <li>Closed loop ({@code concurrency}): N clients, each sending its next request when the last is
 *       answered. Measures the server's capacity; latency under it is optimistic by design.</li>
 *   <li>Open loop ({@code rate}): requests leave on a fixed schedule whether or not earlier ones
 *       were answered, and each latency is measured from its <em>intended</em> send time, so a
 *       server that stalls is charged for every request the stall delayed (no coordinated
 *       omission).</li>
 * </ul>
 * Bodies are built before the clock starts. Latencies go to an HdrHistogram in microseconds.
 *
 * <p>When the server reports its own work per request ({@code x-tokenization-time} and
 * {@code x-inference-time}, as Peregrine and text-embeddings-inference do), each latency minus that
 * work goes to a second histogram: the <em>overhead</em>, what queueing, batching, HTTP and the
 * network added to the model's own time, measured on the same request rather than against a
 * separate run of the model.
 *
 * <p>Requests go out through Vert.x's non-blocking HTTP client on a single event loop with
 * keep-alive connections (one per closed-loop client, up to {@code maxInFlight} in the open loop):
 * a load generator that shares a small machine with the server it measures must cost as little CPU
 * per request as it can (the JDK's {@code HttpClient} cost several times more per request here, which
 * showed up as lost server throughput). Each {@link #run()} starts and closes its own client.
 */
public final class LoadGenerator {

    /** Most connections one run opens (file descriptors on both ends). */
    static final int MAX_CONNECTIONS = 1024;

    private final LoadTestConfig config;
    private final List<Buffer> bodies;

    public LoadGenerator(LoadTestConfig config) {
        this.config = config;
        this.bodies = buildBodies(config);
    }

    private static List<Buffer> buildBodies(LoadTestConfig config) {
        List<Buffer> out = new ArrayList<>();
        List<String> texts = config.texts();
        int n = config.textsPerRequest();
        // One request per starting offset, so every text leads a request in turn.
        for (int start = 0; start < texts.size(); start++) {
            List<String> chunk = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                chunk.add(texts.get((start + k) % texts.size()));
            }
            out.add(Buffer.buffer(RequestBodies.forPath(config.url().getPath(), chunk, config.model())));
        }
        return out;
    }

    /** Runs the warm-up, then the measured period, and reports. */
    public LoadTestReport run() throws InterruptedException {
        Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(1).setWorkerPoolSize(1)
                .setInternalBlockingPoolSize(1));
        try {
            // Open loop: requests beyond the connections wait in the client's queue, and that wait
            // counts in their latency (measured from the intended send time).
            int connections = Math.min(MAX_CONNECTIONS, config.openLoop() ? config.maxInFlight() : config.concurrency());
            HttpClientAgent client = vertx.createHttpClient(
                    new HttpClientOptions().setKeepAlive(true).setTcpNoDelay(true)
                            .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, config.timeout().toMillis())),
                    new PoolOptions().setHttp1MaxSize(connections));
            Sender sender = new Sender(vertx, client);
            if (!config.warmup().isZero()) {
                measure(sender, config.warmup().toNanos());
            }
            return measure(sender, config.duration().toNanos());
        } finally {
            try {
                vertx.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                // Closing only releases connections and threads; the report is already complete.
            }
        }
    }

    /** Sends request {@code i} (cycled) and completes with the status code once the body is in. */
    private final class Sender {
        private final Vertx vertx;
        private final HttpClientAgent client;

        Sender(Vertx vertx, HttpClientAgent client) {
            this.vertx = vertx;
            this.client = client;
        }

        Future<Answer> send(long i) {
            RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST)
                    .setAbsoluteURI(config.url().toString())
                    .setIdleTimeout(config.timeout().toMillis())
                    .putHeader("Content-Type", "application/json");
            if (config.apiKey() != null) {
                options.putHeader("Authorization", "Bearer " + config.apiKey());
            }
            if (config.bypassCache()) {
                options.putHeader("Cache-Control", "no-cache");
            }
            Buffer body = bodies.get((int) (i % bodies.size()));
            return client.request(options)
                    .compose(request -> request.send(body))
                    .compose(response -> response.end().map(v -> new Answer(response.statusCode(),
                            workMicros(response.getHeader(TOKENIZATION_HEADER), response.getHeader(INFERENCE_HEADER)),
                            micros(response.getHeader(TOTAL_HEADER)))));
        }
    }

    /**
     * A response: its status, the server's reported work and its reported total time in microseconds
     * (-1 when it did not say).
     */
    private record Answer(int status, long workMicros, long totalMicros) {
    }

    static final String TOKENIZATION_HEADER = "x-tokenization-time";
    static final String INFERENCE_HEADER = "x-inference-time";
    static final String TOTAL_HEADER = "x-total-time";

    /** A header's milliseconds as microseconds, or -1 unless it parses to a finite value of at least 0. */
    static long micros(String millis) {
        if (millis == null) {
            return -1;
        }
        try {
            double ms = Double.parseDouble(millis.trim());
            return Double.isFinite(ms) && ms >= 0 ? Math.round(ms * 1000) : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** The server's reported tokenization plus inference time in microseconds, or -1 unless both parse. */
    static long workMicros(String tokenizationMillis, String inferenceMillis) {
        long tokenization = micros(tokenizationMillis);
        long inference = micros(inferenceMillis);
        return tokenization < 0 || inference < 0 ? -1 : tokenization + inference;
    }

    private LoadTestReport measure(Sender sender, long durationNanos) throws InterruptedException {
        Recording rec = new Recording();
        long start = System.nanoTime();
        long end = start + durationNanos;
        if (config.openLoop()) {
            openLoop(sender, rec, start, end);
        } else {
            closedLoop(sender, rec, end);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (config.openLoop()) {
            seconds = durationNanos / 1e9;
        }
        Map<String, Long> statuses = new java.util.TreeMap<>();
        rec.statuses.forEach((k, v) -> statuses.put(k, v.sum()));
        return new LoadTestReport(config.url().toString(), config.openLoop() ? "open" : "closed", config.concurrency(),
                config.rate(), seconds, rec.total.sum(), rec.ok.sum(), config.textsPerRequest(), statuses, rec.latency,
                rec.overhead, rec.serverOverhead);
    }

    private void closedLoop(Sender sender, Recording rec, long end) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        CountDownLatch done = new CountDownLatch(config.concurrency());
        for (int c = 0; c < config.concurrency(); c++) {
            sender.vertx.runOnContext(v -> clientLoop(sender, rec, end, next, done));
        }
        // Every client stops at the deadline once its request in flight is answered or times out.
        if (!done.await(config.timeout().toMillis() + (end - System.nanoTime()) / 1_000_000 + 5000,
                TimeUnit.MILLISECONDS)) {
            rec.statuses.computeIfAbsent("unanswered", k -> new LongAdder()).add(done.getCount());
        }
    }

    /** One closed-loop client: send, record, send the next, until the deadline. Never blocks. */
    private void clientLoop(Sender sender, Recording rec, long end, AtomicLong next, CountDownLatch done) {
        if (System.nanoTime() >= end) {
            done.countDown();
            return;
        }
        long t0 = System.nanoTime();
        sender.send(next.getAndIncrement()).onComplete(ar -> {
            if (ar.succeeded()) {
                rec.record(ar.result(), System.nanoTime() - t0);
                clientLoop(sender, rec, end, next, done);
            } else {
                rec.record(null, 0);
                // A failure can complete at once (connection refused); go round the event loop so
                // that a run of failures does not grow the stack.
                sender.vertx.runOnContext(v -> clientLoop(sender, rec, end, next, done));
            }
        });
    }

    private void openLoop(Sender sender, Recording rec, long start, long end) throws InterruptedException {
        double interval = 1e9 / config.rate();
        Semaphore slots = new Semaphore(config.maxInFlight());
        long i = 0;
        while (true) {
            long intended = start + (long) (i * interval);
            if (intended >= end) {
                break;
            }
            long wait = intended - System.nanoTime();
            if (wait > 0) {
                LockSupport.parkNanos(wait);
                continue;
            }
            slots.acquire();
            sender.send(i).onComplete(ar -> {
                rec.record(ar.succeeded() ? ar.result() : null, ar.succeeded() ? System.nanoTime() - intended : 0);
                slots.release();
            });
            i++;
        }
        // Wait for the stragglers, at most one request timeout.
        if (!slots.tryAcquire(config.maxInFlight(), config.timeout().toMillis() + 1000, TimeUnit.MILLISECONDS)) {
            rec.statuses.computeIfAbsent("unanswered", k -> new LongAdder()).add(config.maxInFlight() - slots.availablePermits());
        }
    }

    /** Thread-safe counters of one measured period. */
    private static final class Recording {
        final Histogram latency = new ConcurrentHistogram(3);
        final Histogram overhead = new ConcurrentHistogram(3);
        final Histogram serverOverhead = new ConcurrentHistogram(3);
        final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder total = new LongAdder();
        final LongAdder ok = new LongAdder();

        /** @param answer the response, or null for a transport failure */
        void record(Answer answer, long nanos) {
            total.increment();
            int status = answer == null ? 0 : answer.status();
            statuses.computeIfAbsent(status == 0 ? "io" : Integer.toString(status), k -> new LongAdder()).increment();
            if (status >= 200 && status < 300) {
                ok.increment();
                long micros = Math.max(1, nanos / 1000);
                latency.recordValue(micros);
                if (answer.workMicros() >= 0) {
                    // Reported times are rounded to the microsecond: never below zero.
                    overhead.recordValue(Math.max(0, micros - answer.workMicros()));
                    if (answer.totalMicros() >= 0) {
                        serverOverhead.recordValue(Math.max(0, answer.totalMicros() - answer.workMicros()));
                    }
                }
            }
        }
    }
}
