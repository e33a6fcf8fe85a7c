package dev.peregrine.spark;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import java.io.File;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.SparkFiles;

/**
 * The engines of this JVM, one per model and settings, opened by the first task that needs one and
 * shared by every later task of the executor (the engine is thread-safe; loading a model costs
 * seconds and hundreds of MB, so one per task would waste both). Closed when the JVM shuts down:
 * Spark gives executors no per-JVM teardown callback.
 */
final class ExecutorEngines {

    private static final Map<EngineSpec, Engine> ENGINES = new ConcurrentHashMap<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorEngines::closeAll, "peregrine-engines-close"));
    }

    private ExecutorEngines() {
    }

    /** This JVM's engine for {@code spec}, loading it on first use (other callers wait for the load). */
    static Engine get(EngineSpec spec) {
        return ENGINES.computeIfAbsent(spec, ExecutorEngines::open);
    }

    /** How many engines this JVM holds. */
    static int count() {
        return ENGINES.size();
    }

    static void closeAll() {
        for (Engine e : ENGINES.values()) {
            e.close();
        }
        ENGINES.clear();
    }

    private static Engine open(EngineSpec spec) {
        ModelFolder folder = ModelResolver.standard().resolve(shippedOrAsGiven(spec.model()), null);
        EngineOptions options = EngineOptions.builder()
                .intraOpThreads(spec.threads())
                .maxBatchSize(spec.batchSize())
                .build();
        return Engine.open(folder, options);
    }

    /** A model shipped with {@code SparkContext.addFile} is found under SparkFiles' folder by its name. */
    private static String shippedOrAsGiven(String model) {
        if (SparkEnv.get() != null) {
            try {
                File shipped = new File(SparkFiles.get(model));
                if (shipped.exists()) {
                    return shipped.getAbsolutePath();
                }
            } catch (RuntimeException e) {
                // no SparkFiles folder in this JVM: the model is a path or a name
            }
        }
        return model;
    }
}
