package dev.peregrine.server.startup;

import com.fasterxml.jackson.core.JsonGenerator;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Where start-up time and memory went, from the JVM's start to readiness: logged as the server
 * starts, and served under {@code /info}. Instants are milliseconds since the JVM started (the
 * process start time the OS records, to its 10 ms tick), so the report covers what no code inside
 * the JVM can time itself: the JVM's own start and class loading before {@code main}.
 *
 * <p>Thread-safe: the loader writes while {@code /info} reads.
 */
public final class StartupReport {

    /** A memory difference that could not be measured (resident sizes themselves are -1 then). */
    public static final long UNKNOWN = Long.MIN_VALUE;

    private static volatile long mainEnteredEpochMillis = -1;
    private static volatile long commandStartedEpochMillis = -1;

    private final long jvmStartEpochMillis;
    private final long mainEpochMillis;
    private final long commandEpochMillis;
    /** The server's own steps outside model loading, in order: name -> ms. */
    private final Map<String, Long> phases = java.util.Collections.synchronizedMap(new LinkedHashMap<>());
    private final long beginEpochMillis;
    private final long rssAtBeginKb;
    private final List<ModelLoad> models = new CopyOnWriteArrayList<>();
    private volatile long portBoundAtMs = -1;
    private volatile long readyAtMs = -1;
    private volatile long rssAtReadyKb = -1;
    private volatile long everyModelReadyAtMs = -1;

    /**
     * One model's load.
     *
     * @param name                 the served name
     * @param resolveMs            finding (extracting, building) the model folder
     * @param totalMs              the whole load, from resolving to warm, metrics registered
     * @param runtimeMs            getting ONNX Runtime's environment (the first model: loading its native libraries)
     * @param tokenizerMs          loading the tokenizer (the first model: its native library too)
     * @param sessionMs            creating its ONNX Runtime session(s): reading, optimizing, preparing kernels
     * @param graphCache           what the optimized-graph cache did: off, hit, written or unavailable
     * @param firstPassMs          the engine's first forward pass
     * @param warmUpMs             the warm-up passes across lengths (and every instance) before ready
     * @param instances            workers running passes
     * @param sessions             ONNX Runtime sessions holding the weights (1 when instances share them)
     * @param modelFileBytes       the ONNX graph's size with its external data (-1 unknown)
     * @param rssBeforeKb          resident memory before the load began
     * @param rssOneInstanceKb     resident memory once the first instance was warm
     * @param rssAfterKb           resident memory once every instance was warm
     * @param readyAtMs            when the model was ready, in ms since the JVM started
     */
    public record ModelLoad(String name, long resolveMs, long totalMs, long runtimeMs, long tokenizerMs, long sessionMs,
                            String graphCache, long firstPassMs,
                            long warmUpMs, int instances, int sessions, long modelFileBytes, long rssBeforeKb,
                            long rssOneInstanceKb, long rssAfterKb, long readyAtMs) {

        public ModelLoad {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(graphCache, "graphCache");
        }

        /** Resident memory the model added with its first instance, in KiB; {@link #UNKNOWN} when unknown. */
        public long modelKb() {
            return rssBeforeKb < 0 || rssOneInstanceKb < 0 ? UNKNOWN : rssOneInstanceKb - rssBeforeKb;
        }

        /** Resident memory each instance past the first added, in KiB; {@link #UNKNOWN} when unknown or only one. */
        public long perExtraInstanceKb() {
            return instances < 2 || rssOneInstanceKb < 0 || rssAfterKb < 0 ? UNKNOWN
                    : (rssAfterKb - rssOneInstanceKb) / (instances - 1);
        }
    }

    private StartupReport(long jvmStartEpochMillis, long mainEpochMillis, long commandEpochMillis,
                          long beginEpochMillis, long rssAtBeginKb) {
        this.jvmStartEpochMillis = jvmStartEpochMillis;
        this.mainEpochMillis = mainEpochMillis;
        this.commandEpochMillis = commandEpochMillis;
        this.beginEpochMillis = beginEpochMillis;
        this.rssAtBeginKb = rssAtBeginKb;
    }

    /** Called first thing in {@code main}, so the report can tell the JVM's start-up from the configuration's. */
    public static void mainEntered() {
        mainEnteredEpochMillis = System.currentTimeMillis();
    }

    /** Called when the command's flags are parsed and it starts to run, to split "flags and config". */
    public static void commandStarted() {
        commandStartedEpochMillis = System.currentTimeMillis();
    }

    /** A report whose clock starts now (the server's start), reading the JVM's start time from the OS. */
    public static StartupReport begin() {
        long now = System.currentTimeMillis();
        long jvmStart = processStartEpochMillis(now);
        return new StartupReport(jvmStart, mainEnteredEpochMillis, commandStartedEpochMillis, now,
                ProcessMemory.residentKb());
    }

    /**
     * When this process started, in epoch milliseconds, or -1 when the OS does not say. From Linux's
     * {@code /proc/self/stat} (start in clock ticks since boot, USER_HZ = 100) and {@code /proc/uptime}
     * (hundredths of a second): to about 10 ms. {@link ProcessHandle.Info#startInstant()} adds the boot
     * time from {@code /proc/stat}'s {@code btime}, whole seconds, and so can be up to a second off:
     * it read 0.2 s early on 2026-12-03, the server reporting itself ready at 1.99 s when a client
     * that spawned it had had its answer at 1.78 s. Elsewhere that instant is the fallback.
     */
    static long processStartEpochMillis(long nowEpochMillis) {
        try {
            String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/self/stat"));
            // Fields after the command name (which may hold spaces), from the third: starttime is the 22nd.
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long startTicks = Long.parseLong(fields[22 - 3]);
            String uptime = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/uptime"));
            double uptimeSeconds = Double.parseDouble(uptime.substring(0, uptime.indexOf(' ')));
            long ageMillis = Math.round((uptimeSeconds - startTicks / 100.0) * 1000);
            if (ageMillis >= 0) {
                return nowEpochMillis - ageMillis;
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or a /proc this code does not read: the JDK's own answer below
        }
        return ProcessHandle.current().info().startInstant().map(java.time.Instant::toEpochMilli).orElse(-1L);
    }

    /** Milliseconds from the JVM's start to now, or from the server's start when the JVM's is unknown. */
    public long sinceJvmStartMs() {
        return System.currentTimeMillis() - (jvmStartEpochMillis > 0 ? jvmStartEpochMillis : beginEpochMillis);
    }

    /** Records one of the server's own start-up steps (outside model loading) and how long it took. */
    public void phase(String name, long nanos) {
        phases.put(Objects.requireNonNull(name, "name"), nanos / 1_000_000);
    }

    /** {@code main} to the command's start: picocli building its model and parsing the flags; -1 when unknown. */
    public long parseMs() {
        return mainEpochMillis > 0 && commandEpochMillis > 0 ? commandEpochMillis - mainEpochMillis : -1;
    }

    public void modelLoaded(ModelLoad load) {
        models.add(Objects.requireNonNull(load, "load"));
    }

    public void portBound() {
        portBoundAtMs = sinceJvmStartMs();
    }

    public void ready() {
        readyAtMs = sinceJvmStartMs();
        rssAtReadyKb = ProcessMemory.residentKb();
    }

    /** Every configured model is ready (at {@link #ready()}, or later when one loaded in the background). */
    public void everyModelReady() {
        everyModelReadyAtMs = sinceJvmStartMs();
    }

    /** When the last configured model became ready, in ms since the JVM started; -1 while one is still loading. */
    public long everyModelReadyAtMs() {
        return everyModelReadyAtMs;
    }

    /** JVM start to {@code main}, or -1 when either is unknown (a JVM that embeds the server). */
    public long jvmToMainMs() {
        return jvmStartEpochMillis > 0 && mainEpochMillis > 0 ? mainEpochMillis - jvmStartEpochMillis : -1;
    }

    /** {@code main} to the server's start: parsing flags and building the configuration; -1 when unknown. */
    public long configMs() {
        return mainEpochMillis > 0 ? beginEpochMillis - mainEpochMillis : -1;
    }

    /** When the server's start began, in ms since the JVM started (-1 when unknown). */
    public long beginAtMs() {
        return jvmStartEpochMillis > 0 ? beginEpochMillis - jvmStartEpochMillis : -1;
    }

    public long rssAtBeginKb() {
        return rssAtBeginKb;
    }

    public List<ModelLoad> models() {
        return List.copyOf(models);
    }

    /** The load of the model served as {@code name}, if it has loaded. */
    public java.util.Optional<ModelLoad> model(String name) {
        return models.stream().filter(m -> m.name().equals(name)).findFirst();
    }

    public long portBoundAtMs() {
        return portBoundAtMs;
    }

    public long readyAtMs() {
        return readyAtMs;
    }

    public long rssAtReadyKb() {
        return rssAtReadyKb;
    }

    /** The report as log lines: time, then memory. */
    public List<String> lines() {
        List<String> out = new ArrayList<>();
        StringBuilder t = new StringBuilder("start-up: ready ").append(readyAtMs).append(" ms after the JVM started");
        if (everyModelReadyAtMs > readyAtMs) {
            t.append(" (every model at ").append(everyModelReadyAtMs).append(" ms)");
        }
        t.append(": ");
        t.append("JVM to main ").append(ms(jvmToMainMs())).append(", flags and config ").append(ms(configMs()));
        if (parseMs() >= 0) {
            t.append(" (parsing ").append(parseMs()).append(" ms)");
        }
        synchronized (phases) {
            phases.forEach((name, ms) -> t.append(", ").append(name).append(' ').append(ms).append(" ms"));
        }
        for (ModelLoad m : models) {
            t.append(String.format(Locale.ROOT, "; model '%s' ready at %d ms, loaded in %d ms (resolve %d ms, runtime %d ms, "
                            + "tokenizer %d ms, session %d ms [optimized graph: %s], first pass %d ms, warm-up %d ms)",
                    m.name(), m.readyAtMs(), m.totalMs(), m.resolveMs(), m.runtimeMs(), m.tokenizerMs(), m.sessionMs(),
                    m.graphCache(), m.firstPassMs(), m.warmUpMs()));
        }
        t.append("; port bound at ").append(portBoundAtMs).append(" ms");
        out.add(t.toString());
        StringBuilder r = new StringBuilder("memory: RSS ").append(rss(rssAtReadyKb)).append(" at ready (")
                .append(rss(rssAtBeginKb)).append(" before the models");
        for (ModelLoad m : models) {
            r.append("; '").append(m.name()).append("' +").append(mb(m.modelKb()));
            if (m.instances() > 1) {
                r.append(String.format(Locale.ROOT, ", %d instances on %d session(s): +%s per extra instance",
                        m.instances(), m.sessions(), mb(m.perExtraInstanceKb())));
                if (m.modelFileBytes() > 0 && m.perExtraInstanceKb() != UNKNOWN) {
                    r.append(String.format(Locale.ROOT, " (%.0f%% of the %.1f MB model file)",
                            100.0 * m.perExtraInstanceKb() * 1024 / m.modelFileBytes(), m.modelFileBytes() / 1048576.0));
                }
            }
        }
        out.add(r.append(")").toString());
        return out;
    }

    /**
     * Writes {@code "startup": {...}} and {@code "memory": {...}} fields into the object being
     * written: instants in ms since the JVM started, sizes in KiB, -1 (or absent) when unknown.
     */
    public void writeFields(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("startup");
        g.writeNumberField("jvm_to_main_ms", jvmToMainMs());
        g.writeNumberField("config_ms", configMs());
        g.writeNumberField("parse_ms", parseMs());
        g.writeObjectFieldStart("phases_ms");
        synchronized (phases) {
            for (Map.Entry<String, Long> e : phases.entrySet()) {
                g.writeNumberField(e.getKey(), e.getValue());
            }
        }
        g.writeEndObject();
        g.writeNumberField("server_start_at_ms", beginAtMs());
        g.writeArrayFieldStart("models");
        for (ModelLoad m : models) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeNumberField("load_ms", m.totalMs());
            g.writeNumberField("resolve_ms", m.resolveMs());
            g.writeNumberField("runtime_ms", m.runtimeMs());
            g.writeNumberField("tokenizer_ms", m.tokenizerMs());
            g.writeNumberField("session_ms", m.sessionMs());
            g.writeStringField("optimized_graph", m.graphCache());
            g.writeNumberField("first_pass_ms", m.firstPassMs());
            g.writeNumberField("warm_up_ms", m.warmUpMs());
            g.writeNumberField("ready_at_ms", m.readyAtMs());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeNumberField("port_bound_at_ms", portBoundAtMs);
        g.writeNumberField("ready_at_ms", readyAtMs);
        g.writeNumberField("every_model_ready_at_ms", everyModelReadyAtMs);
        g.writeEndObject();

        g.writeObjectFieldStart("memory");
        g.writeNumberField("rss_kb", ProcessMemory.residentKb());
        g.writeNumberField("rss_at_ready_kb", rssAtReadyKb);
        g.writeNumberField("rss_before_models_kb", rssAtBeginKb);
        g.writeArrayFieldStart("models");
        for (ModelLoad m : models) {
            g.writeStartObject();
            g.writeStringField("name", m.name());
            g.writeNumberField("instances", m.instances());
            g.writeNumberField("sessions", m.sessions());
            g.writeNumberField("model_file_kb", m.modelFileBytes() < 0 ? -1 : m.modelFileBytes() / 1024);
            if (m.modelKb() != UNKNOWN) {
                g.writeNumberField("first_instance_kb", m.modelKb());
            }
            if (m.perExtraInstanceKb() != UNKNOWN) {
                g.writeNumberField("per_extra_instance_kb", m.perExtraInstanceKb());
            }
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    private static String ms(long value) {
        return value < 0 ? "unknown" : value + " ms";
    }

    /** A difference in MB ({@link #UNKNOWN}: unknown). */
    private static String mb(long kb) {
        return kb == UNKNOWN ? "unknown" : String.format(Locale.ROOT, "%.1f MB", kb / 1024.0);
    }

    /** A resident size in MB (-1: unknown). */
    private static String rss(long kb) {
        return kb < 0 ? "unknown" : mb(kb);
    }
}
