package dev.peregrine.server.inference;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.ServingHints;
import dev.peregrine.server.ModelSpec;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.metrics.ServerMetrics;
import dev.peregrine.server.startup.ProcessMemory;
import dev.peregrine.server.startup.StartupReport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns the configuration's models into loaded, warm {@link ModelHost}s: which models (the
 * {@code --model} list, a model repository, or the defaults), under which names and aliases, with
 * which settings (flags over {@code peregrine.json} over defaults), each loaded through the
 * optimized-graph cache, warmed up, registered with the metrics and recorded in the start-up report.
 */
final class ModelLoader {

    private static final Logger LOG = LoggerFactory.getLogger(ModelLoader.class);

    private final ServeConfig config;
    private final ModelResolver resolver;
    private final ServerMetrics metrics;
    private final StartupReport report;
    /** Served name -> time its folder took to resolve (extract, build), filled by {@link #folders()}. */
    private final Map<String, Long> resolveNanos = new java.util.concurrent.ConcurrentHashMap<>();
    /** Models to build and load in the background, filled by {@link #folders()}. */
    private final List<Deferred> deferred = new ArrayList<>();

    /**
     * A configured model whose folder must first be built (a named model not yet materialized, such
     * as the ticket classifier on a fresh machine): it loads in the background while the others serve.
     *
     * @param position its place in the configuration's order
     */
    record Deferred(String name, List<String> aliases, ModelSpec spec, int position) {
    }

    ModelLoader(ServeConfig config, ModelResolver resolver, ServerMetrics metrics, StartupReport report) {
        this.config = config;
        this.resolver = resolver;
        this.metrics = metrics;
        this.report = report;
    }

    /**
     * Resolves and loads every model, in configuration order, but for those that must first be built
     * and are not the first: they are left to {@link #deferred()} and {@link #loadDeferred}.
     *
     * @return served name -> host, in configuration order
     * @throws PeregrineException when a model cannot be found or loaded (every host loaded so far is closed)
     */
    Map<String, ModelHost> loadAll() {
        Map<String, ModelHost> hosts = new LinkedHashMap<>();
        try {
            Map<String, ModelFolder> folders = folders();
            Map<String, String> ownNames = new LinkedHashMap<>();
            folders.forEach((name, folder) -> ownNames.put(name, folder.name()));
            // A named model's folder is named after it.
            deferred.forEach(d -> ownNames.put(d.name(), d.spec().reference()));
            Map<String, List<String>> aliases = aliases(ownNames, config.servedModelName());
            deferred.replaceAll(d -> new Deferred(d.name(), aliases.getOrDefault(d.name(), List.of()), d.spec(),
                    d.position()));
            if (config.servedModelName() != null) {
                if (ownNames.size() != 1) {
                    // With no --model the defaults may be two (embedder and classifier): never guess which.
                    throw new IllegalArgumentException("--served-model-name names the one served model, but "
                            + ownNames.size() + " are served (" + String.join(", ", ownNames.keySet())
                            + "); name each with --model NAME=REF instead");
                }
                resolveNanos.put(config.servedModelName(), resolveNanos.values().iterator().next());
                folders = Map.of(config.servedModelName(), folders.values().iterator().next());
            }
            for (Map.Entry<String, ModelFolder> e : folders.entrySet()) {
                hosts.put(e.getKey(), load(e.getKey(), aliases.getOrDefault(e.getKey(), List.of()), e.getValue(),
                        resolveNanos.getOrDefault(e.getKey(), 0L)));
            }
        } catch (RuntimeException e) {
            hosts.values().forEach(h -> h.close(Duration.ZERO));
            throw e;
        }
        return hosts;
    }

    /** The models {@link #loadAll()} left to load in the background, in configuration order. */
    List<Deferred> deferred() {
        return List.copyOf(deferred);
    }

    /** Builds (resolves) and loads one deferred model; slow (training a head takes about a minute). */
    ModelHost loadDeferred(Deferred d) {
        long t0 = System.nanoTime();
        ModelFolder folder = resolver.resolve(d.spec().reference(), config.variant());
        return load(d.name(), d.aliases(), folder, System.nanoTime() - t0);
    }

    private ModelHost load(String name, List<String> aliases, ModelFolder resolved, long resolveNanos) {
        long start = System.nanoTime();
        long rssBefore = ProcessMemory.residentKb();
        ServingHints hints = ServingHints.read(resolved.root()).orElse(null);
        ModelFolder folder = ModelSettings.chooseVariant(resolved, config, hints);
        boolean optimizedGraph = config.variant() == null && hints != null && hints.optimizedModel() != null;
        ModelSettings settings = ModelSettings.resolve(config, hints, optimizedGraph);
        long t0 = System.nanoTime();
        ModelHost host = ModelHost.open(name, aliases, folder, settings, config.maxLength(), config.graphCache(),
                config.maxQueueDelay(), config.maxQueuedTexts(), metrics.batchListener(name));
        ModelInfo info = host.served.info();
        metrics.model(name, Map.of("task", info.task().id(), "variant", info.variant(),
                        "dimension", Integer.toString(info.dimension()),
                        "instances", Integer.toString(settings.instances()),
                        "threads", Integer.toString(settings.threads())),
                host.batcher::queuedTexts, host.batcher::admittedTexts);
        metrics.queuedWork(name, host.batcher::estimatedWorkNanos);
        ModelHost.Loaded l = host.loaded;
        report.modelLoaded(new StartupReport.ModelLoad(name, resolveNanos / 1_000_000,
                (resolveNanos + System.nanoTime() - start) / 1_000_000, l.runtimeNanos() / 1_000_000,
                l.tokenizerNanos() / 1_000_000, l.sessionNanos() / 1_000_000,
                l.graphCache().name().toLowerCase(java.util.Locale.ROOT), l.firstPassNanos() / 1_000_000,
                l.warmUpNanos() / 1_000_000, settings.instances(), settings.sessions(), info.fileSizeBytes(), rssBefore,
                l.rssOneInstanceKb(), l.rssAfterKb(), report.sinceJvmStartMs()));
        int overhead = host.batcher.options().passOverheadTokens();
        LOG.info("model '{}' ({}, {}, variant {}) loaded in {} ms: {} instance(s) x {} thread(s) on {} session(s), "
                        + "batches of at most {} texts / {} tokens, a pass costing {}{}", name, info.task().id(),
                folder.root(), info.variant(), (System.nanoTime() - t0) / 1_000_000, settings.instances(),
                settings.threads(), settings.sessions(), host.batcher.options().maxBatchSize(), settings.maxBatchTokens(),
                overhead == Integer.MAX_VALUE ? "the same for any batch (fixed shape)" : overhead + " tokens of overhead",
                settings.fromHints().isEmpty() ? "" : " (from peregrine.json: "
                        + String.join(", ", settings.fromHints()) + ")");
        return host;
    }

    /**
     * Served name -> its aliases: the folder's own name (and, under {@code --served-model-name}, the name
     * it had before), unless that is another model's name or claimed by two models.
     */
    static Map<String, List<String>> aliases(Map<String, String> ownNames, String servedModelName) {
        Map<String, List<String>> candidates = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : ownNames.entrySet()) {
            String served = servedModelName != null ? servedModelName : e.getKey();
            List<String> names = new ArrayList<>();
            for (String n : List.of(e.getKey(), e.getValue())) {
                if (!n.equals(served) && !names.contains(n)) {
                    names.add(n);
                }
            }
            candidates.put(served, names);
        }
        Map<String, Integer> claims = new HashMap<>();
        candidates.values().forEach(names -> names.forEach(n -> claims.merge(n, 1, Integer::sum)));
        Map<String, List<String>> out = new LinkedHashMap<>();
        candidates.forEach((served, names) -> out.put(served, names.stream()
                .filter(n -> claims.get(n) == 1 && !candidates.containsKey(n)).toList()));
        return out;
    }

    /** Name -> folder, in configuration order. */
    private Map<String, ModelFolder> folders() {
        Map<String, ModelFolder> folders = new LinkedHashMap<>();
        if (config.modelRepository() != null) {
            Path repo = config.modelRepository();
            if (!Files.isDirectory(repo)) {
                throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "no model repository folder " + repo);
            }
            try (Stream<Path> children = Files.list(repo)) {
                for (Path child : (Iterable<Path>) children.filter(Files::isDirectory).sorted()::iterator) {
                    if (Files.isRegularFile(child.resolve("tokenizer.json"))) {
                        String name = child.getFileName().toString();
                        long t0 = System.nanoTime();
                        folders.put(name, resolver.resolve(child.toString(), config.variant()).withName(name));
                        resolveNanos.put(name, System.nanoTime() - t0);
                    }
                }
            } catch (IOException e) {
                throw new PeregrineException(ErrorKind.IO, "cannot list model repository " + repo + ": " + e.getMessage(), e);
            }
            if (folders.isEmpty()) {
                throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "model repository " + repo
                        + " has no model folders (sub-folders with tokenizer.json and an ONNX graph)");
            }
            return folders;
        }
        List<ModelSpec> specs = config.models().isEmpty() ? defaultModels() : config.models();
        for (int i = 0; i < specs.size(); i++) {
            ModelSpec spec = specs.get(i);
            if (i > 0 && config.servedModelName() == null && resolver.needsBuilding(spec.reference())) {
                String name = spec.name() != null ? spec.name() : spec.reference();
                if (folders.containsKey(name) || deferred.stream().anyMatch(d -> d.name().equals(name))) {
                    throw new IllegalStateException("two models are named '" + name + "'; name them with --model NAME=DIR");
                }
                deferred.add(new Deferred(name, List.of(), spec, i));
                continue;
            }
            long t0 = System.nanoTime();
            ModelFolder folder = resolver.resolve(spec.reference(), config.variant());
            String name = spec.name() != null ? spec.name() : folder.name();
            if (folders.containsKey(name) || deferred.stream().anyMatch(d -> d.name().equals(name))) {
                throw new IllegalStateException("two models are named '" + name + "'; name them with --model NAME=DIR");
            }
            folders.put(name, folder);
            resolveNanos.put(name, System.nanoTime() - t0);
        }
        return folders;
    }

    /**
     * With no model named: the default embedder, and the default classifier when a provider on the
     * class path offers it (the CLI's does), so /embed and /classify both answer out of the box.
     */
    private List<ModelSpec> defaultModels() {
        List<ModelSpec> specs = new ArrayList<>();
        specs.add(new ModelSpec(null, EmbeddedModels.DEFAULT_MODEL));
        if (resolver.namedModels().containsKey(EmbeddedModels.DEFAULT_CLASSIFIER)) {
            specs.add(new ModelSpec(null, EmbeddedModels.DEFAULT_CLASSIFIER));
        }
        return specs;
    }
}
