package dev.peregrine.optimize.profile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The operator timings in a profile that ONNX Runtime wrote (its Chrome-trace JSON: an array of
 * events, {@code cat} "Session" for whole runs, "Node" for operators with {@code args.op_name}).
 *
 * <p>Only each node's {@code _kernel_time} event counts (the {@code _fence_before/_after} events are
 * bookkeeping), and only inside the {@code model_run} events after the first {@code skipRuns}: the
 * engine's warm-up pass at load time is not part of the workload.
 *
 * @param runs     the model runs counted
 * @param runMicros their total duration as ONNX Runtime measured it
 * @param nodes    every counted kernel execution, in order
 */
public record OrtTrace(int runs, long runMicros, List<NodeTime> nodes) {

    /** The operator types that are matrix products (plain, fused, quantized or inside attention). */
    public static final Set<String> MATRIX_PRODUCTS = Set.of("MatMul", "Gemm", "Attention", "QAttention",
            "MultiHeadAttention", "MatMulInteger", "MatMulIntegerToFloat", "DynamicQuantizeMatMul", "FusedMatMul",
            "FusedGemm", "QLinearMatMul", "QGemm", "MatMulNBits", "QOrderedMatMul", "QOrderedAttention",
            "GroupQueryAttention", "ConvInteger", "Conv", "QLinearConv", "FusedConv", "Einsum");

    /** "layer.3", "layers.3", "layer_3", "/h.3/", "block.3", "blocks_3": the transformer block a node is in. */
    private static final Pattern LAYER = Pattern.compile("(?:^|[/._])(?:layer|layers|h|block|blocks)[._](\\d+)(?:[/._]|$)");

    /**
     * One operator execution.
     *
     * @param name   the graph node's name
     * @param opType the operator type (MatMul, Attention, ...)
     * @param layer  the transformer block, from the node's name or, for nodes that fusions renamed, the
     *               block of the node executed before it; -1 before the first block
     * @param micros the kernel's duration
     */
    public record NodeTime(String name, String opType, int layer, long micros) {
    }

    public OrtTrace {
        nodes = List.copyOf(nodes);
    }

    /** Reads a profile file, skipping the first {@code skipRuns} model runs. */
    public static OrtTrace read(Path file, int skipRuns) {
        try {
            return parse(new ObjectMapper().readTree(file.toFile()), skipRuns);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the ONNX Runtime profile " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses the trace's events (a JSON array, or an object with {@code traceEvents}). */
    public static OrtTrace parse(JsonNode root, int skipRuns) {
        JsonNode events = root.isArray() ? root : root.path("traceEvents");
        if (!events.isArray()) {
            throw new IllegalArgumentException("not an ONNX Runtime profile: expected an array of trace events");
        }
        List<long[]> runWindows = new ArrayList<>();
        for (JsonNode e : events) {
            if ("Session".equals(e.path("cat").asText()) && "model_run".equals(e.path("name").asText())) {
                long ts = e.path("ts").asLong();
                runWindows.add(new long[] {ts, ts + e.path("dur").asLong()});
            }
        }
        runWindows.sort(Comparator.comparingLong(w -> w[0]));
        List<long[]> counted = runWindows.subList(Math.min(skipRuns, runWindows.size()), runWindows.size());
        long runMicros = counted.stream().mapToLong(w -> w[1] - w[0]).sum();

        List<JsonNode> kernels = new ArrayList<>();
        for (JsonNode e : events) {
            if ("Node".equals(e.path("cat").asText()) && e.path("name").asText().endsWith("_kernel_time")
                    && inside(counted, e.path("ts").asLong())) {
                kernels.add(e);
            }
        }
        kernels.sort(Comparator.comparingLong(e -> e.path("ts").asLong()));
        List<NodeTime> nodes = new ArrayList<>(kernels.size());
        int layer = -1;
        long runStart = Long.MIN_VALUE;
        for (JsonNode e : kernels) {
            long ts = e.path("ts").asLong();
            long start = windowStart(counted, ts);
            if (start != runStart) {
                runStart = start;
                layer = -1;
            }
            String full = e.path("name").asText();
            String name = full.substring(0, full.length() - "_kernel_time".length());
            Matcher m = LAYER.matcher(name);
            if (m.find()) {
                layer = Integer.parseInt(m.group(1));
            }
            String op = e.path("args").path("op_name").asText("");
            nodes.add(new NodeTime(name, op.isEmpty() ? "?" : op, layer, e.path("dur").asLong()));
        }
        return new OrtTrace(counted.size(), runMicros, nodes);
    }

    private static boolean inside(List<long[]> windows, long ts) {
        return windowStart(windows, ts) != Long.MIN_VALUE;
    }

    private static long windowStart(List<long[]> windows, long ts) {
        for (long[] w : windows) {
            if (ts >= w[0] && ts <= w[1]) {
                return w[0];
            }
        }
        return Long.MIN_VALUE;
    }

    /** Total kernel time. */
    public long kernelMicros() {
        return nodes.stream().mapToLong(NodeTime::micros).sum();
    }

    /** Kernel time per operator type, largest first, with the number of executions. */
    public List<ProfileReport.OperatorTime> byOperator() {
        Map<String, long[]> sums = new LinkedHashMap<>();
        for (NodeTime n : nodes) {
            long[] s = sums.computeIfAbsent(n.opType(), k -> new long[2]);
            s[0] += n.micros();
            s[1]++;
        }
        double total = Math.max(1, kernelMicros());
        List<ProfileReport.OperatorTime> out = new ArrayList<>();
        sums.forEach((op, s) -> out.add(new ProfileReport.OperatorTime(op, s[0] / 1000.0, s[0] / total, (int) s[1],
                MATRIX_PRODUCTS.contains(op))));
        out.sort(Comparator.comparingDouble(ProfileReport.OperatorTime::ms).reversed());
        return out;
    }

    /** Kernel time per transformer block, in block order ("before layers" first, for embeddings). */
    public List<ProfileReport.LayerTime> byLayer() {
        Map<Integer, Long> sums = new java.util.TreeMap<>();
        for (NodeTime n : nodes) {
            sums.merge(n.layer(), n.micros(), Long::sum);
        }
        double total = Math.max(1, kernelMicros());
        List<ProfileReport.LayerTime> out = new ArrayList<>();
        sums.forEach((layer, micros) -> out.add(new ProfileReport.LayerTime(
                layer < 0 ? "before layers" : String.format(Locale.ROOT, "layer %d", layer), micros / 1000.0,
                micros / total)));
        return out;
    }

    /** The share of kernel time spent in {@link #MATRIX_PRODUCTS}. */
    public double matrixProductShare() {
        long all = kernelMicros();
        if (all == 0) {
            return 0;
        }
        long mm = nodes.stream().filter(n -> MATRIX_PRODUCTS.contains(n.opType())).mapToLong(NodeTime::micros).sum();
        return (double) mm / all;
    }
}
