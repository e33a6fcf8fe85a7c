package dev.peregrine.optimize.profile;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.BatchPlanner;
import dev.peregrine.core.engine.Classification;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.optimize.bench.Benchmark;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Profiles a model on a workload: "profile first" (find out whether tokenization, copies, the
 * model or post-processing is the bottleneck before optimizing anything).
 *
 * <p>Each way of feeding the model (one text at a time, as a lone request is served; then
 * length-sorted batches, as files and a busy server are) runs twice on the same texts:
 * <ol>
 *   <li>on a plain engine, with the Java side timing every stage of the pipeline: tokenization,
 *       writing the input tensors, ONNX Runtime's run, pooling (or softmax), and output (normalizing
 *       and writing each result as a JSON line, to nowhere). The workload's wall time is measured
 *       around all of it, so the stages can be checked to add up to it;</li>
 *   <li>on an engine with ONNX Runtime's profiler on, whose trace gives the time of every operator
 *       kernel; they are summed by operator type and by transformer block. The profiler's own
 *       overhead stays out of the stage timings.</li>
 * </ol>
 */
public final class Profiler {

    /** The pipeline's stage names, in order. */
    public static final List<String> STAGES = List.of("tokenization", "input tensors", "onnx runtime run",
            "pooling", "output");

    private Profiler() {
    }

    /**
     * @param maxBatchSize   texts per pass in the batched mode
     * @param maxBatchTokens padded tokens per pass in the batched mode
     * @param threads        ONNX Runtime intra-op threads; 0 for one per core
     * @param singleTexts    how many of the texts the one-at-a-time mode runs (it is the slow one);
     *                       0 for all
     * @param clock          for the report's date
     */
    public record Options(int maxBatchSize, int maxBatchTokens, int threads, int singleTexts, Clock clock) {
        public Options {
            if (maxBatchSize < 1 || maxBatchTokens < 1 || threads < 0 || singleTexts < 0) {
                throw new IllegalArgumentException("batch size and tokens must be >= 1, threads and single texts >= 0");
            }
            Objects.requireNonNull(clock, "clock");
        }

        public static Options defaults() {
            return new Options(EngineOptions.DEFAULT_MAX_BATCH_SIZE, EngineOptions.DEFAULT_MAX_BATCH_TOKENS, 0, 0,
                    Clock.systemUTC());
        }

        public Options withLimits(int batchSize, int batchTokens, int threadCount) {
            return new Options(batchSize, batchTokens, threadCount, singleTexts, clock);
        }

        public Options withSingleTexts(int n) {
            return new Options(maxBatchSize, maxBatchTokens, threads, n, clock);
        }
    }

    /**
     * Profiles {@code model} on {@code texts}.
     *
     * @param workDir where ONNX Runtime writes its trace files (they are deleted after reading)
     * @param log     one line per phase, for progress
     */
    public static ProfileReport run(ModelFolder model, List<String> texts, Options o, Path workDir,
                                    Consumer<String> log) {
        Objects.requireNonNull(model, "model");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("no texts to profile");
        }
        EngineOptions base = EngineOptions.builder().intraOpThreads(o.threads()).build();
        EngineOptions single = base.toBuilder().maxBatchSize(1).sortByLength(false).build();
        EngineOptions batched = base.toBuilder().maxBatchSize(o.maxBatchSize()).maxBatchTokens(o.maxBatchTokens())
                .sortByLength(true).build();
        List<String> singleTexts = o.singleTexts() == 0 || o.singleTexts() >= texts.size()
                ? texts : texts.subList(0, o.singleTexts());
        List<ProfileReport.Mode> modes = new ArrayList<>();
        String onnxRuntime;
        try (Engine probe = Engine.open(model, single)) {
            onnxRuntime = probe.info().onnxRuntime();
        }
        modes.add(profile("one text at a time", model, singleTexts, single, true, workDir, log));
        modes.add(profile("batches of " + o.maxBatchSize() + " (" + o.maxBatchTokens() + " tokens), length-sorted",
                model, texts, batched, false, workDir, log));
        List<String> notes = List.of(
                "stages are timed on the Java side around each step; 'onnx runtime run' is session.run",
                "operators and layers come from ONNX Runtime's profiler in a second, profiled repeat of the same work",
                "a node whose name has no block number (a fused node) counts in the block of the node run before it",
                "padding share: the part of the tokens computed that were padding (1 - real / padded)");
        return new ProfileReport(model.name(), model.onnxFile().getFileName().toString(), texts.size(),
                Benchmark.environment(onnxRuntime, o.clock()), modes, notes);
    }

    private static ProfileReport.Mode profile(String name, ModelFolder model, List<String> texts, EngineOptions options,
                                              boolean oneAtATime, Path workDir, Consumer<String> log) {
        log.accept(name + ": timing the pipeline on " + texts.size() + " texts");
        long[] stageNanos = new long[STAGES.size()];
        long realTokens = 0;
        long paddedTokens = 0;
        int passes = 0;
        long total;
        Task task;
        List<List<EncodedText>> batches = new ArrayList<>();
        try (Engine engine = Engine.open(model, options)) {
            task = engine.info().task();
            boolean normalize = engine.info().normalize();
            ObjectMapper json = new ObjectMapper().disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
            JsonSink sink = new JsonSink(json);
            List<List<String>> requests = oneAtATime ? texts.stream().map(List::of).toList() : List.of(texts);
            // One untimed trip through every stage first, so class loading and JIT warm-up of the
            // Java side (the JSON writer above all) do not count as the workload's time.
            List<String> warm = texts.subList(0, Math.min(texts.size(), options.maxBatchSize()));
            for (List<EncodedText> part : List.of(engine.encode(warm.subList(0, 1)), engine.encode(warm))) {
                for (float[] row : engine.forwardTimed(part.subList(0, Math.min(part.size(), options.maxBatchSize())))
                        .rows()) {
                    sink.write(engine, task, row.clone(), normalize);
                }
            }
            long start = System.nanoTime();
            for (List<String> request : requests) {
                long t0 = System.nanoTime();
                List<EncodedText> encoded = engine.encode(request);
                stageNanos[0] += System.nanoTime() - t0;
                int[] lengths = encoded.stream().mapToInt(EncodedText::length).toArray();
                for (int[] plan : BatchPlanner.plan(lengths, options.maxBatchSize(), options.maxBatchTokens(),
                        options.sortByLength(), options.passOverheadTokens())) {
                    List<EncodedText> members = new ArrayList<>(plan.length);
                    int longest = 0;
                    for (int i : plan) {
                        members.add(encoded.get(i));
                        realTokens += encoded.get(i).length();
                        longest = Math.max(longest, encoded.get(i).length());
                    }
                    paddedTokens += (long) longest * plan.length;
                    batches.add(members);
                    Engine.TimedPass pass = engine.forwardTimed(members);
                    passes++;
                    stageNanos[1] += pass.inputNanos();
                    stageNanos[2] += pass.runNanos();
                    stageNanos[3] += pass.outputNanos();
                    long t3 = System.nanoTime();
                    for (float[] row : pass.rows()) {
                        sink.write(engine, task, row, normalize);
                    }
                    stageNanos[4] += System.nanoTime() - t3;
                }
            }
            total = System.nanoTime() - start;
        }

        log.accept(name + ": ONNX Runtime's profiler on the same " + passes + " passes");
        OrtTrace trace;
        try {
            Files.createDirectories(workDir);
            try (Engine profiled = Engine.openProfiled(model, options, workDir.resolve("ort-profile"))) {
                for (List<EncodedText> batch : batches) {
                    profiled.forward(batch);
                }
                Path file = profiled.endProfiling();
                trace = OrtTrace.read(file, 1);
                Files.deleteIfExists(file);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the profile under " + workDir + ": " + e.getMessage(), e);
        }

        List<ProfileReport.Stage> stages = new ArrayList<>();
        long sum = 0;
        for (int i = 0; i < STAGES.size(); i++) {
            stages.add(new ProfileReport.Stage(STAGES.get(i), stageNanos[i] / 1e6, (double) stageNanos[i] / total));
            sum += stageNanos[i];
        }
        double padding = paddedTokens == 0 ? 0 : 1 - (double) realTokens / paddedTokens;
        return new ProfileReport.Mode(name, texts.size(), options.maxBatchSize(), passes, realTokens, paddedTokens, padding,
                total / 1e6, texts.size() / (total / 1e9), stages, (total - sum) / 1e6, trace.runMicros() / 1000.0,
                trace.kernelMicros() / 1000.0, trace.matrixProductShare(), trace.byOperator(), trace.byLayer());
    }

    /** The output stage: what predict does with a row (normalize, build the answer, write a JSON line). */
    private static final class JsonSink {
        private final ObjectMapper json;
        private final OutputStream nowhere = OutputStream.nullOutputStream();

        JsonSink(ObjectMapper json) {
            this.json = json;
        }

        void write(Engine engine, Task task, float[] row, boolean normalize) {
            try (JsonGenerator g = json.getFactory().createGenerator(nowhere)) {
                g.writeStartObject();
                if (task == Task.EMBEDDING) {
                    float[] v = normalize ? Vectors.normalizeInPlace(row) : row;
                    g.writeArrayFieldStart("embedding");
                    for (float x : v) {
                        g.writeNumber(x);
                    }
                    g.writeEndArray();
                } else {
                    Classification c = engine.toClassification(row);
                    g.writeStringField("label", c.label());
                    g.writeNumberField("score", c.score());
                }
                g.writeEndObject();
                g.writeRaw('\n');
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
