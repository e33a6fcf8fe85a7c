package dev.peregrine.loadtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class LoadGenerator {

    private final LoadTestConfig config;
    private final HttpClient client;
    private final List<HttpRequest> requests;

    public LoadGenerator(LoadTestConfig config) {
        this.config = config;
        this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).build();
        this.requests = buildRequests(config);
    }

    private static List<HttpRequest> buildRequests(LoadTestConfig config) {
        List<HttpRequest> out = new ArrayList<>();
        List<String> texts = config.texts();
        int n = config.textsPerRequest();
        // One request per starting offset, so every text leads a request in turn.
        for (int start = 0; start < texts.size(); start++) {
            List<String> chunk = new ArrayList<>(n);
            for (int k = 0; k < n; k++) {
                chunk.add(texts.get((start + k) % texts.size()));
            }
            HttpRequest.Builder b = HttpRequest.newBuilder(config.url())
                    .timeout(config.timeout())
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(RequestBodies.forPath(config.url().getPath(), chunk,
                            config.model())));
            if (config.apiKey() != null) {
                b.header("Authorization", "Bearer " + config.apiKey());
            }
            out.add(b.build());
        }
        return out;
    }

    /** Runs the warm-up, then the measured period, and reports. */
    public LoadTestReport run() throws InterruptedException {
        if (!config.warmup().isZero()) {
            measure(config.warmup());
        }
        return measure(config.duration());
    }

    private LoadTestReport measure(Duration duration) throws InterruptedException {
        Recording rec = new Recording();
        long start = System.nanoTime();
        long end = start + duration.toNanos();
        if (config.openLoop()) {
            openLoop(rec, start, end);
        } else {
            closedLoop(rec, end);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (config.openLoop()) {
            seconds = duration.toNanos() / 1e9;
        }
        Map<String, Long> statuses = new java.util.TreeMap<>();
        rec.statuses.forEach((k, v) -> statuses.put(k, v.sum()));
        return new LoadTestReport(config.url().toString(), config.openLoop() ? "open" : "closed", config.concurrency(),
                config.rate(), seconds, rec.total.sum(), rec.ok.sum(), config.textsPerRequest(), statuses, rec.latency);
    }

    private void closedLoop(Recording rec, long end) throws InterruptedException {
        AtomicLong next = new AtomicLong();
        List<Thread> clients = new ArrayList<>();
        for (int c = 0; c < config.concurrency(); c++) {
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    HttpRequest request = requests.get((int) (next.getAndIncrement() % requests.size()));
                    long t0 = System.nanoTime();
                    try {
                        HttpResponse<Void> r = client.send(request, HttpResponse.BodyHandlers.discarding());
                        rec.record(r.statusCode(), System.nanoTime() - t0);
                    } catch (IOException e) {
                        rec.record(0, 0);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                }
            }, "loadtest-client-" + c);
            t.setDaemon(true);
            clients.add(t);
            t.start();
        }
        for (Thread t : clients) {
            t.join();
        }
    }

    private void openLoop(Recording rec, long start, long end) throws InterruptedException {
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
            HttpRequest request = requests.get((int) (i % requests.size()));
            client.sendAsync(request, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                rec.record(e == null ? r.statusCode() : 0, e == null ? System.nanoTime() - intended : 0);
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
        final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
        final LongAdder total = new LongAdder();
        final LongAdder ok = new LongAdder();

        void record(int status, long nanos) {
            total.increment();
            statuses.computeIfAbsent(status == 0 ? "io" : Integer.toString(status), k -> new LongAdder()).increment();
            if (status >= 200 && status < 300) {
                ok.increment();
                latency.recordValue(Math.max(1, nanos / 1000));
            }
        }
    }
}
