package dev.peregrine.train;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.EmbeddedModels;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.NamedModelProvider;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.Ticket;
import dev.peregrine.datasets.TextRecord;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default classifier, {@code ticket-classifier}: a logistic-regression head over
 * all-MiniLM-L6-v2 embeddings, trained on the training split of the support tickets Peregrine ships
 * (billing, technical, account, general) with a fixed seed. It is built on first use (about a
 * minute on two cores: embedding 833 tickets, training, writing a 90 MB graph) into
 * {@link PeregrineHome#built()}, under a key that changes when the data, the encoder or the trainer
 * changes, and reused afterwards. Its held-out accuracy on the test split is recorded in
 * {@code training.json}, and the test split itself is written beside it as
 * {@link ModelFolder#HELD_OUT_FILE}, the texts quantize and validate judge it on by default.
 */
public final class TicketClassifier implements NamedModelProvider {

    public static final String NAME = EmbeddedModels.DEFAULT_CLASSIFIER;
    static final String ENCODER = "all-minilm-l6-v2";
    static final long SEED = 42;

    private static final Logger LOG = LoggerFactory.getLogger(TicketClassifier.class);
    private static final Object LOCK = new Object();

    @Override
    public Map<String, String> models() {
        return Map.of(NAME, "support-ticket classifier (billing, technical, account, general) on all-MiniLM-L6-v2; "
                + "built on first use");
    }

    @Override
    public Optional<Path> folder(String name, PeregrineHome home) {
        if (!NAME.equals(name)) {
            return Optional.empty();
        }
        Path target = home.built().resolve(NAME).resolve(buildKey());
        if (Files.isRegularFile(target.resolve("model.onnx"))) {
            if (!Files.isRegularFile(target.resolve(ModelFolder.HELD_OUT_FILE))) {
                writeHeldOut(target); // a build from before held-out texts were written beside the model
            }
            return Optional.of(target);
        }
        synchronized (LOCK) {
            if (!Files.isRegularFile(target.resolve("model.onnx"))) {
                build(home, target);
            }
        }
        return Optional.of(target);
    }

    @Override
    public boolean materialized(String name, PeregrineHome home) {
        return !NAME.equals(name) || Files.isRegularFile(home.built().resolve(NAME).resolve(buildKey()).resolve("model.onnx"));
    }

    /** The options the default classifier is trained with. */
    static HeadOptions options() {
        return HeadOptions.defaults().withSeed(SEED);
    }

    private static void build(PeregrineHome home, Path target) {
        LOG.info("building {} (first use): training on {} support tickets with {}", NAME,
                Datasets.ticketsTrain().size(), ENCODER);
        ModelFolder encoder = new ModelResolver(home).resolve(ENCODER);
        List<TextRecord> train = Datasets.ticketsTrain().stream().map(Ticket::toTextRecord).toList();
        List<TextRecord> test = Datasets.ticketsTest().stream().map(Ticket::toTextRecord).toList();
        Path staging = null;
        try (Engine engine = Trainer.openEncoder(encoder)) {
            List<String> labels = Trainer.checkLabels(train);
            Trainer.Features trainData = Trainer.features(engine, train, labels, null);
            Trainer.Result result = Trainer.fit(encoder, engine.info(), trainData, options(), 0);
            ClassificationMetrics heldOut = Trainer.evaluate(result.head(), Trainer.features(engine, test, labels, null));
            Files.createDirectories(target.getParent());
            staging = Files.createTempDirectory(target.getParent(), ".build-");
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("dataset", "peregrine-datasets tickets.jsonl, split train (" + train.size() + " tickets)");
            extra.put("held_out", Trainer.metricsJson(heldOut));
            extra.put("held_out_tickets", test.size());
            Trainer.export(result, staging, extra);
            Trainer.writeHeldOut(test, staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException raced) {
                if (!Files.isRegularFile(target.resolve("model.onnx"))) {
                    throw raced;
                }
            }
            LOG.info("built {}: held-out accuracy {} on {} tickets", NAME,
                    String.format(java.util.Locale.ROOT, "%.3f", heldOut.accuracy()), test.size());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot build " + NAME + " into " + target + ": " + e.getMessage(), e);
        } finally {
            deleteQuietly(staging);
        }
    }

    private static void writeHeldOut(Path target) {
        synchronized (LOCK) {
            try {
                Trainer.writeHeldOut(Datasets.ticketsTest().stream().map(Ticket::toTextRecord).toList(), target);
            } catch (IOException e) {
                LOG.warn("cannot write the held-out tickets beside {}: {}", target, e.getMessage());
            }
        }
    }

    /** Changes when the tickets, the encoder, the options or the trainer change. */
    static String buildKey() {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            for (Ticket t : Datasets.ticketsTrain()) {
                d.update(t.text().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 0);
                d.update(t.label().getBytes(StandardCharsets.UTF_8));
                d.update((byte) 1);
            }
            d.update((ENCODER + "|" + options() + "|" + Trainer.VERSION).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d.digest()).substring(0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a leftover hidden staging folder is harmless
        }
    }
}
