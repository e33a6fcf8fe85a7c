package dev.peregrine.optimize.bench;

import dev.peregrine.core.engine.BatchPlanner;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.tokenize.EncodedText;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs one pass over tokenized texts on one or more engine instances: batches are planned once
 * (size and token limits, optional length sorting) and handed out to the instances as they free
 * up. Records each forward pass's latency and keeps every text's output row.
 *
 * <p>Owns a thread pool when there is more than one instance; close it.
 */
final class PassRunner implements AutoCloseable {

    /** One instance's forward pass: an engine's, or another runtime's ({@link EagerRuntime}). */
    interface Forward {
        float[][] forward(List<EncodedText> batch);
    }

    private final List<Forward> instances;
    private final List<EncodedText> texts;
    private final List<int[]> batches;
    private final ExecutorService pool;

    PassRunner(List<Engine> instances, List<EncodedText> texts, int maxBatchSize, int maxBatchTokens,
               boolean sortByLength) {
        this(instances.stream().map(e -> (Forward) e::forward).toList(), maxBatchSize, maxBatchTokens, sortByLength,
                texts);
    }

    PassRunner(List<Forward> instances, int maxBatchSize, int maxBatchTokens, boolean sortByLength,
               List<EncodedText> texts) {
        this.instances = List.copyOf(instances);
        this.texts = texts;
        int[] lengths = texts.stream().mapToInt(EncodedText::length).toArray();
        this.batches = BatchPlanner.plan(lengths, maxBatchSize, maxBatchTokens, sortByLength);
        this.pool = instances.size() > 1 ? Executors.newFixedThreadPool(instances.size(), r -> {
            Thread t = new Thread(r, "bench-instance");
            t.setDaemon(true);
            return t;
        }) : null;
    }

    /** Batches a warm-up runs: enough for ONNX Runtime to allocate and tune, far fewer than a pass. */
    static final int WARM_UP_BATCHES = 4;

    /** {@link #warmUp(int)} of {@link #WARM_UP_BATCHES}. */
    void warmUp() {
        warmUp(WARM_UP_BATCHES);
    }

    /**
     * Runs the plan's last {@code count} batches once, unmeasured, so the measured passes do not pay
     * for ONNX Runtime's first-run allocations; a full pass is not needed for that.
     */
    void warmUp(int count) {
        int n = Math.min(count, batches.size());
        // the longest batches last: with length sorting those are the ones that size the arenas
        for (int b = batches.size() - n; b < batches.size(); b++) {
            int[] batch = batches.get(b);
            List<EncodedText> members = new ArrayList<>(batch.length);
            for (int i : batch) {
                members.add(texts.get(i));
            }
            for (Forward e : instances) {
                e.forward(members);
            }
        }
    }

    /** The result of one pass. */
    record Pass(double seconds, List<Double> batchMillis, float[][] outputs) {
    }

    Pass run() {
        float[][] outputs = new float[texts.size()][];
        List<Double> latencies = Collections.synchronizedList(new ArrayList<>());
        AtomicInteger next = new AtomicInteger();
        long start = System.nanoTime();
        if (pool == null) {
            work(instances.get(0), next, outputs, latencies);
        } else {
            List<Future<?>> running = new ArrayList<>();
            for (Forward e : instances) {
                running.add(pool.submit(() -> work(e, next, outputs, latencies)));
            }
            for (Future<?> f : running) {
                try {
                    f.get();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ex);
                } catch (ExecutionException ex) {
                    throw ex.getCause() instanceof RuntimeException re ? re : new IllegalStateException(ex.getCause());
                }
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Pass(seconds, List.copyOf(latencies), outputs);
    }

    private void work(Forward engine, AtomicInteger next, float[][] outputs, List<Double> latencies) {
        int b;
        while ((b = next.getAndIncrement()) < batches.size()) {
            int[] batch = batches.get(b);
            List<EncodedText> members = new ArrayList<>(batch.length);
            for (int i : batch) {
                members.add(texts.get(i));
            }
            long t0 = System.nanoTime();
            float[][] rows = engine.forward(members);
            latencies.add((System.nanoTime() - t0) / 1e6);
            for (int k = 0; k < batch.length; k++) {
                outputs[batch[k]] = rows[k];
            }
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
