package dev.peregrine.distill;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.tracker.Tracker;
import ai.onnx.proto.OnnxMl.ModelProto;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.tokenize.EncodedText;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.onnx.OnnxModel;
import dev.peregrine.optimize.validate.ValidationOptions;
import dev.peregrine.optimize.validate.ValidationReport;
import dev.peregrine.optimize.validate.Validator;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.function.LongSupplier;

/**
 * Makes a smaller student of a BERT-family teacher: keeps K of its layers, trains them on unlabelled
 * texts to reproduce the teacher, and writes the student as an ONNX model folder.
 *
 * <p>Both models run eagerly on PyTorch (DJL) from the teacher's ONNX weights; before training the
 * teacher's PyTorch forward is checked against ONNX Runtime on held-out texts, so a graph this code
 * misreads is refused rather than distilled wrongly. The loss per batch:
 * <ul>
 *   <li>embedders: 1 - cosine between the student's and the teacher's sentence embeddings (the
 *       model's own pooling), plus {@code hiddenWeight} x the mean squared error between each kept
 *       layer's output and the teacher layer it came from (padding masked out), plus
 *       {@code relationWeight} x the mean squared difference of the in-batch cosine-similarity
 *       matrices ({@link #relationLoss});</li>
 *   <li>classifiers: KL divergence between the teacher's and the student's temperature-softened
 *       probabilities (x T²), plus the same hidden-state term.</li>
 * </ul>
 * The embeddings are shared and frozen; the kept layers and a classifier's head train (Adam, warm-up
 * then cosine decay). Batches are formed from texts of similar length (less padding), in an order
 * drawn from the seed: the same seed, texts and thread count give the same student.
 */
public final class LayerDistiller {

    /** A teacher whose PyTorch forward differs from ONNX Runtime's by more than this is refused. */
    static final double PARITY_TOLERANCE = 1e-3;
    /** Texts the layer importance is measured on. */
    static final int IMPORTANCE_TEXTS = 64;
    /** Steps with a non-finite loss or gradient skipped before training is declared diverged (or 5% of steps). */
    static final int MAX_SKIPPED_STEPS = 10;

    private LayerDistiller() {
    }

    /** Told what happens; called on the training thread. */
    public interface Listener {
        /** Training starts: {@code steps} planned. */
        default void started(int steps) {
        }

        /** One step finished, with its loss. */
        default void step(int done, double loss) {
        }

        /**
         * The time budget will end training after about {@code steps} steps, fewer than planned (told
         * again after each step, as the estimate moves).
         */
        default void expected(int steps) {
        }

        /** A line worth showing (the kept layers, the parity check, why training stopped). */
        default void note(String line) {
        }
    }

    /**
     * @param teacherLayers  layers of the teacher
     * @param kept           teacher layers the student kept (0-based)
     * @param steps          training steps run
     * @param plannedSteps   steps the epochs asked for
     * @param budgetStopped  whether the time budget ended training early
     * @param firstLoss      mean loss of the first tenth of the steps
     * @param lastLoss       mean loss of the last tenth
     * @param parityMaxDiff  teacher: largest |PyTorch - ONNX Runtime| on the check texts
     * @param studentParity  student: largest |ONNX Runtime of the written graph - PyTorch|
     * @param fidelity       the written student against the teacher on the held-out texts
     * @param trainTexts     texts trained on
     * @param heldOut        the held-out texts
     */
    public record Result(int teacherLayers, List<Integer> kept, int steps, int plannedSteps, boolean budgetStopped, double firstLoss,
                         double lastLoss, double parityMaxDiff, double studentParity, ValidationReport fidelity,
                         int trainTexts, List<String> heldOut, double seconds) {
    }

    /**
     * Distills {@code teacher} into a student written to {@code out}.
     *
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} for a graph that is not a BERT-family
     *                            encoder or classifier, or whose PyTorch forward does not match;
     *                            {@link ErrorKind#INVALID_INPUT} for too few texts or too many layers
     */
    public static Result distill(ModelFolder teacher, List<String> texts, DistillOptions o, Path out,
                                 Listener listener, LongSupplier nanoTime) {
        Objects.requireNonNull(listener, "listener");
        teacher.requireOutputElsewhere(out);  // before minutes of training, not when writing at the end
        long start = nanoTime.getAsLong();
        List<String> clean = new ArrayList<>(new LinkedHashSet<>(texts.stream().map(String::strip)
                .filter(t -> !t.isEmpty()).toList()));
        if (clean.size() < 4) {
            throw new PeregrineException(ErrorKind.INVALID_INPUT, "distillation needs at least 4 distinct texts, got "
                    + clean.size());
        }
        SplittableRandom random = new SplittableRandom(o.seed());
        shuffle(clean, random);
        if (o.maxTexts() > 0 && clean.size() > o.maxTexts()) {
            clean = new ArrayList<>(clean.subList(0, o.maxTexts()));
        }
        int held = Math.min(o.heldOut(), Math.max(1, clean.size() / 5));
        List<String> heldOut = List.copyOf(clean.subList(0, held));
        List<String> train = List.copyOf(clean.subList(held, clean.size()));

        ModelProto graph = readGraph(teacher);
        int configuredHeads = configuredHeads(teacher);
        EngineOptions engineOptions = EngineOptions.builder().maxLength(o.maxLength()).build();
        try (Engine reference = Engine.open(teacher, engineOptions);
             TorchModel model = TorchModel.load(graph, reference.info(), configuredHeads, o.threads())) {
            int teacherLayers = model.layers().size();
            if (o.layers() >= teacherLayers) {
                throw new PeregrineException(ErrorKind.INVALID_INPUT, "--layers " + o.layers() + " keeps every layer of "
                        + "the teacher's " + teacherLayers + "; a student needs fewer");
            }
            List<EncodedText> check = reference.encode(heldOut.subList(0, Math.min(8, heldOut.size())));
            double parity = maxDiff(reference.forward(check), model.rows(check));
            listener.note(String.format(Locale.ROOT, "teacher on PyTorch vs ONNX Runtime: max |diff| %.2g over %d texts",
                    parity, check.size()));
            if (!(parity <= PARITY_TOLERANCE)) {
                throw new PeregrineException(ErrorKind.MODEL_INVALID, String.format(Locale.ROOT,
                        "the teacher's PyTorch forward differs from ONNX Runtime's by %.3g (> %.0e): this graph's "
                                + "architecture is not one the distiller reproduces", parity, PARITY_TOLERANCE));
            }
            List<EncodedText> encoded = reference.encode(train);
            List<Integer> keep = o.selection() == LayerSelection.UNIFORM
                    ? uniform(teacherLayers, o.layers())
                    : important(model, encoded.subList(0, Math.min(IMPORTANCE_TEXTS, encoded.size())), o.layers(),
                    listener);
            listener.note("keeping teacher layers " + keep.stream().map(i -> i + 1).toList() + " of " + teacherLayers);

            try (TorchModel student = model.student(keep)) {
                Training t = train(model, student, encoded, keep, o, listener, nanoTime, start);
                Map<String, String> metadata = new LinkedHashMap<>();
                metadata.put("peregrine.distilled_from", teacher.name());
                metadata.put("peregrine.distill.layers", keep.size() + " of " + teacherLayers + " "
                        + keep.stream().map(i -> i + 1).toList());
                metadata.put("peregrine.distill.selection", o.selection().id());
                metadata.put("peregrine.distill.steps", t.steps + " of " + t.planned);
                metadata.put("peregrine.distill.seed", Long.toString(o.seed()));
                ModelProto written = StudentWriter.graph(graph, reference.info().outputName(), configuredHeads, keep,
                        student.trainedWeights(), metadata);
                StudentWriter.write(teacher, written, keep.size(), out);

                ModelFolder studentFolder = ModelFolder.open(out, null, teacher.name() + "-" + keep.size() + "l");
                try (Engine written2 = Engine.open(studentFolder, engineOptions)) {
                    List<EncodedText> probe = written2.encode(heldOut.subList(0, Math.min(8, heldOut.size())));
                    double studentParity = maxDiff(written2.forward(probe), student.rows(probe));
                    ValidationReport fidelity = Validator.compare(reference, written2,
                            heldOut.stream().map(TextRecord::of).toList(), ValidationOptions.defaults());
                    double seconds = (nanoTime.getAsLong() - start) / 1e9;
                    return new Result(teacherLayers, keep, t.steps, t.planned, t.budgetStopped, t.firstLoss, t.lastLoss, parity,
                            studentParity, fidelity, train.size(), heldOut, seconds);
                }
            }
        }
    }

    /** num_attention_heads from the folder's config.json, or 0 when it does not say. */
    static int configuredHeads(ModelFolder folder) {
        Path config = folder.root().resolve("config.json");
        if (!java.nio.file.Files.isRegularFile(config)) {
            return 0;
        }
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper().readTree(config.toFile())
                    .path("num_attention_heads").asInt(0);
        } catch (IOException e) {
            return 0;
        }
    }

    static ModelProto readGraph(ModelFolder folder) {
        try {
            return OnnxModel.read(folder.onnxFile());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, "cannot read " + folder.onnxFile() + ": "
                    + e.getMessage(), e);
        }
    }

    /** K of n layers, evenly spaced and ending with the last: 6 -> 3 gives 1, 3, 5 (0-based). */
    static List<Integer> uniform(int n, int k) {
        List<Integer> keep = new ArrayList<>();
        for (int i = 1; i <= k; i++) {
            keep.add((int) Math.round((double) i * n / k) - 1);
        }
        return keep;
    }

    /** The k layers whose removal alone changes the teacher's output most, ascending. */
    static List<Integer> important(TorchModel model, List<EncodedText> sample, int k, Listener listener) {
        int n = model.layers().size();
        double[] change = new double[n];
        // Small batches, each pass in its own manager: a pass's intermediate tensors live until their
        // manager closes, and seven passes over 64 long texts at once would hold gigabytes.
        int chunk = 16;
        for (int from = 0; from < sample.size(); from += chunk) {
            List<EncodedText> part = sample.subList(from, Math.min(sample.size(), from + chunk));
            try (NDManager scope = model.manager().newSubManager()) {
                NDArray full;
                try (NDManager pass = scope.newSubManager()) {
                    TorchModel.Batch batch = TorchModel.batch(pass, part);
                    full = output(model, model.forward(batch), batch);
                    full.attach(scope);
                }
                for (int i = 0; i < n; i++) {
                    List<Integer> without = new ArrayList<>(model.layers());
                    without.remove(Integer.valueOf(i));
                    try (NDManager pass = scope.newSubManager()) {
                        TorchModel.Batch batch = TorchModel.batch(pass, part);
                        NDArray cut = output(model, model.forward(batch, without), batch);
                        double c = model.task() == Task.CLASSIFICATION
                                ? kl(full, cut, 1).getFloat()
                                : cosineLoss(cut, full).getFloat();
                        change[i] += c * part.size() / sample.size();
                    }
                }
            }
        }
        StringBuilder line = new StringBuilder("layer importance (output change without it):");
        for (int i = 0; i < n; i++) {
            line.append(String.format(Locale.ROOT, " %d=%.4f", i + 1, change[i]));
        }
        listener.note(line.toString());
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingDouble((Integer i) -> -change[i]).thenComparing(i -> i));
        List<Integer> keep = new ArrayList<>(order.subList(0, k));
        keep.sort(null);
        return keep;
    }

    private static NDArray output(TorchModel model, TorchModel.Pass pass, TorchModel.Batch batch) {
        return model.task() == Task.CLASSIFICATION ? pass.output() : model.sentence(pass.output(), batch);
    }

    private record Training(int steps, int planned, boolean budgetStopped, double firstLoss, double lastLoss) {
    }

    private static Training train(TorchModel teacher, TorchModel student, List<EncodedText> texts, List<Integer> keep,
                                  DistillOptions o, Listener listener, LongSupplier nanoTime, long start) {
        SplittableRandom random = new SplittableRandom(o.seed() * 31 + 17);
        List<List<int[]>> epochs = new ArrayList<>();
        int planned = 0;
        int epochCount = o.epochsFor(texts.size());
        for (int e = 0; e < epochCount; e++) {
            List<int[]> batches = batches(texts, o.batchSize(), random);
            epochs.add(batches);
            planned += batches.size();
        }
        int warmUp = Math.max(1, planned / 20);
        FittedSchedule rate = new FittedSchedule(total -> Tracker.warmUp().optWarmUpSteps(warmUp)
                .optWarmUpBeginValue(0f)
                .setMainTracker(Tracker.cosine().setBaseValue((float) o.learningRate())
                        .optFinalValue((float) o.learningRate() / 10).setMaxUpdates(Math.max(1, total)).build())
                .build(), planned, warmUp);
        Adam adam = Adam.builder().optLearningRateTracker(rate).build();
        Map<String, NDArray> params = student.trainableParameters();
        ai.djl.engine.Engine engine = Torch.engine(o.threads());
        listener.note(String.format(Locale.ROOT, "training: %d epoch%s of %d steps (%d texts, %d per step)%s", epochCount,
                epochCount == 1 ? "" : "s", epochs.get(0).size(), texts.size(), o.batchSize(),
                o.epochs() == DistillOptions.AUTO_EPOCHS ? ", epochs chosen by the number of texts" : ""));
        listener.started(planned);
        List<Double> losses = new ArrayList<>();
        int skipped = 0;
        int firstSkipped = -1;
        boolean budgetStopped = false;
        boolean fitted = false;
        int fitStep = 0;
        long fitTime = 0;
        long budget = o.timeBudget() == null ? Long.MAX_VALUE : o.timeBudget().toNanos();
        int step = 0;
        long trainingStart = nanoTime.getAsLong();
        // Where a step's time goes, on the wall clock (not the injected one): teacher, student, update.
        long teacherNanos = 0;
        long studentNanos = 0;
        long updateNanos = 0;
        outer:
        for (List<int[]> batches : epochs) {
            for (int[] members : batches) {
                long now = nanoTime.getAsLong();
                // The next step is expected to take as long as the average so far.
                double perStep = step == 0 ? 0 : (double) (now - trainingStart) / step;
                if (step > 0 && now - start + perStep > budget) {
                    budgetStopped = true;
                    break outer;
                }
                List<EncodedText> batchTexts = new ArrayList<>(members.length);
                for (int i : members) {
                    batchTexts.add(texts.get(i));
                }
                long t0 = System.nanoTime();
                long t1;
                long t2;
                try (NDManager scope = student.manager().newSubManager()) {
                    TorchModel.Batch batch = TorchModel.batch(scope, batchTexts);
                    TorchModel.Pass target;
                    try (NDManager pass = scope.newSubManager()) {
                        // The teacher's intermediate tensors go with this manager; only its targets stay.
                        TorchModel.Pass full = teacher.forward(TorchModel.batch(pass, batchTexts));
                        List<NDArray> kept = new ArrayList<>();
                        for (NDArray h : full.hidden()) {
                            h.attach(scope);
                            kept.add(h);
                        }
                        full.output().attach(scope);
                        target = new TorchModel.Pass(kept, full.output());
                    }
                    t1 = System.nanoTime();
                    double loss;
                    try (GradientCollector gc = engine.newGradientCollector()) {
                        TorchModel.Pass pass = student.forward(batch);
                        NDArray l = loss(student, pass, target, batch, keep, o);
                        gc.backward(l);
                        loss = l.getFloat();
                    }
                    t2 = System.nanoTime();
                    // Everything made from a gradient lives in the parameter's manager (the model's):
                    // each temporary is moved to this step's scope, or it would stay until the end.
                    List<NDArray> grads = new ArrayList<>(params.size());
                    double squares = 0;
                    for (NDArray p : params.values()) {
                        NDArray grad = p.getGradient();
                        grads.add(grad);
                        NDArray sq = grad.square();
                        sq.attach(scope);
                        NDArray sum = sq.sum();
                        sum.attach(scope);
                        squares += sum.getFloat();
                    }
                    double gradNorm = Math.sqrt(squares);
                    NDArray zero = scope.create(0f);
                    // A step whose loss or gradients are not finite is skipped, not applied: one such
                    // update makes every weight NaN, and the student written after it is garbage.
                    boolean finite = Double.isFinite(loss) && Double.isFinite(gradNorm);
                    int g = 0;
                    for (Map.Entry<String, NDArray> p : params.entrySet()) {
                        NDArray grad = grads.get(g++);
                        if (finite) {
                            adam.update(p.getKey(), p.getValue(), grad);
                        }
                        zero(grad, zero); // gradients accumulate in PyTorch: zero them for the next step
                        grad.close(); // only this handle: the parameter keeps its gradient tensor
                    }
                    if (finite) {
                        losses.add(loss);
                    } else {
                        skipped++;
                        if (firstSkipped < 0) {
                            firstSkipped = step + 1;
                        }
                        if (skipped > Math.max(MAX_SKIPPED_STEPS, step / 20)) {
                            throw new PeregrineException(ErrorKind.INVALID_INPUT, String.format(Locale.ROOT,
                                    "training diverged: %d of %d steps gave a loss or gradients that are not finite "
                                            + "(first at step %d, loss %s); nothing was written. Try a lower "
                                            + "--learning-rate (now %s) or other texts", skipped, step + 1, firstSkipped,
                                    loss, o.learningRate()));
                        }
                    }
                }
                teacherNanos += t1 - t0;
                studentNanos += t2 - t1;
                updateNanos += System.nanoTime() - t2;
                step++;
                listener.step(step, losses.isEmpty() ? Double.NaN : losses.get(losses.size() - 1));
                if (budget != Long.MAX_VALUE && step >= 3) {
                    long elapsed = nanoTime.getAsLong() - trainingStart;
                    long left = budget - (nanoTime.getAsLong() - start);
                    int reachable = step + (int) Math.max(0, left / ((double) elapsed / step));
                    if (reachable < planned) {
                        listener.expected(Math.max(step + 1, reachable));
                    }
                    // Once the warm-up has timed the steps, then at every 5% of the planned steps: when the
                    // budget will end the run early, the rate decays over the steps it allows, at the pace of
                    // the steps since the last look (the first minute's steps are slower: a fit on the mean
                    // since the start came out 14% short: 1,687 of the 1,969 steps made), less 2% for a
                    // slower end.
                    if (step >= warmUp && (step == warmUp || step - fitStep >= Math.max(1, planned / 20))) {
                        long checked = nanoTime.getAsLong();
                        double pace = step == warmUp ? (double) elapsed / step
                                : (double) (checked - fitTime) / (step - fitStep);
                        int allowed = (int) ((step + Math.max(0, left / pace)) * 0.98);
                        fitStep = step;
                        fitTime = checked;
                        if (rate.fitTo(allowed, step) && !fitted && rate.total() < planned) {
                            listener.note(String.format(Locale.ROOT, "the time budget allows about %d of the %d "
                                    + "planned steps: the learning rate decays over those", rate.total(), planned));
                            fitted = true;
                        }
                    }
                }
            }
        }
        if (step > 0) {
            listener.note(String.format(Locale.ROOT, "time per step: teacher forward %.0f ms, student forward and "
                            + "backward %.0f ms, update %.0f ms (mean of %d steps)", teacherNanos / 1e6 / step,
                    studentNanos / 1e6 / step, updateNanos / 1e6 / step, step));
        }
        if (skipped > 0) {
            listener.note(String.format(Locale.ROOT, "skipped %d of %d steps whose loss or gradients were not finite "
                    + "(first at step %d)", skipped, step, firstSkipped));
        }
        if (budgetStopped) {
            listener.note("the time budget (" + o.timeBudget() + ") ended training after " + step + " of " + planned
                    + " steps" + (rate.total() < planned ? String.format(Locale.ROOT, " (the learning rate's decay was "
                    + "fitted to %d; its rate at the last step: %.3g)", rate.total(), rate.getNewValue(step)) : ""));
        }
        int tenth = Math.max(1, losses.size() / 10);
        double first = losses.subList(0, Math.min(tenth, losses.size())).stream().mapToDouble(d -> d).average()
                .orElse(Double.NaN);
        double last = losses.subList(Math.max(0, losses.size() - tenth), losses.size()).stream()
                .mapToDouble(d -> d).average().orElse(Double.NaN);
        return new Training(step, planned, budgetStopped, first, last);
    }

    /**
     * Batches of texts of similar length: the texts are shuffled, cut into pools of 50 batches,
     * each pool sorted by length and cut into batches, and the batches shuffled.
     */
    static List<int[]> batches(List<EncodedText> texts, int size, SplittableRandom random) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            order.add(i);
        }
        shuffle(order, random);
        List<int[]> out = new ArrayList<>();
        int pool = size * 50;
        for (int p = 0; p < order.size(); p += pool) {
            List<Integer> chunk = new ArrayList<>(order.subList(p, Math.min(order.size(), p + pool)));
            chunk.sort(Comparator.comparingInt((Integer i) -> texts.get(i).length()).thenComparing(i -> i));
            for (int b = 0; b < chunk.size(); b += size) {
                out.add(chunk.subList(b, Math.min(chunk.size(), b + size)).stream().mapToInt(Integer::intValue)
                        .toArray());
            }
        }
        shuffle(out, random);
        return out;
    }

    static NDArray loss(TorchModel student, TorchModel.Pass pass, TorchModel.Pass target, TorchModel.Batch batch,
                        List<Integer> keep, DistillOptions o) {
        NDArray main;
        if (student.task() == Task.CLASSIFICATION) {
            main = kl(target.output(), pass.output(), o.temperature()).mul((float) (o.temperature() * o.temperature()));
        } else {
            NDArray mine = student.sentence(pass.output(), batch);
            NDArray theirs = student.sentence(target.output(), batch);
            main = cosineLoss(mine, theirs);
            if (o.relationWeight() > 0 && batch.size() > 1) {
                main = main.add(relationLoss(mine, theirs).mul((float) o.relationWeight()));
            }
        }
        if (o.hiddenWeight() == 0) {
            return main;
        }
        NDArray m = batch.mask().toType(DataType.FLOAT32, false).expandDims(2);
        NDArray tokens = m.sum().mul(student.layout().hidden());
        NDArray hidden = null;
        for (int j = 0; j < keep.size(); j++) {
            NDArray diff = pass.hidden().get(j).sub(target.hidden().get(keep.get(j)));
            NDArray mse = diff.square().mul(m).sum().div(tokens);
            hidden = hidden == null ? mse : hidden.add(mse);
        }
        return main.add(hidden.div(keep.size()).mul((float) o.hiddenWeight()));
    }

    /**
     * Sets every element to 0 in place. Subtracting a gradient from itself (what DJL does) keeps a NaN
     * or an infinity as NaN, so one bad step would poison every later one.
     */
    static void zero(NDArray grad, NDArray zero) {
        grad.set(new NDIndex("..."), zero);
    }

    /** Mean of 1 - cos(a_i, b_i) over the rows. */
    static NDArray cosineLoss(NDArray a, NDArray b) {
        NDArray dot = a.mul(b).sum(new int[] {1});
        NDArray norms = a.norm(new int[] {1}).mul(b.norm(new int[] {1})).maximum(1e-12f);
        return dot.div(norms).neg().add(1f).mean();
    }

    /**
     * Mean squared difference between the two models' in-batch cosine-similarity matrices: how each
     * text of the batch relates to every other, which is what a nearest-neighbour search reads. A
     * student can be close to the teacher text by text (cosine) and still reorder neighbours; this
     * term trains the ordering directly.
     */
    static NDArray relationLoss(NDArray student, NDArray teacher) {
        NDArray s = unit(student);
        NDArray t = unit(teacher);
        return s.matMul(s.transpose()).sub(t.matMul(t.transpose())).square().mean();
    }

    private static NDArray unit(NDArray rows) {
        return rows.div(rows.norm(new int[] {1}, true).maximum(1e-12f));
    }

    /** KL(softmax(t / T) || softmax(s / T)), mean over rows. */
    static NDArray kl(NDArray teacherLogits, NDArray studentLogits, double temperature) {
        float inv = (float) (1 / temperature);
        NDArray logP = teacherLogits.mul(inv).logSoftmax(-1);
        NDArray logQ = studentLogits.mul(inv).logSoftmax(-1);
        return logP.exp().mul(logP.sub(logQ)).sum(new int[] {1}).mean();
    }

    static double maxDiff(float[][] a, float[][] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            for (int j = 0; j < a[i].length; j++) {
                double d = Math.abs(a[i][j] - b[i][j]);
                max = Double.isNaN(d) ? Double.NaN : Math.max(max, d);
                if (Double.isNaN(max)) {
                    return max;
                }
            }
        }
        return max;
    }

    private static <T> void shuffle(List<T> list, SplittableRandom random) {
        for (int i = list.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            T t = list.get(i);
            list.set(i, list.get(j));
            list.set(j, t);
        }
    }
}
