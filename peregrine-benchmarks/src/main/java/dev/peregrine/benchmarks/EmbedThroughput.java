package dev.peregrine.benchmarks;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2q.AllMiniLmL6V2QuantizedEmbeddingModel;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.Vectors;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextDataFile;
import dev.peregrine.datasets.TextRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * Peregrine's engine against langchain4j's in-process embedders on the same texts, the same ONNX
 * files and the same machine, in one process: items/s for the default model in fp32 and int8 at
 * client batch sizes 1, 8 and 32. Each measurement round runs both libraries back to back (in
 * alternating order) so that noise from a shared machine hits both alike; the table reports the
 * median round and the ratio.
 *
 * <p>The two libraries cut long texts at different lengths: langchain4j's tokenizer applies the
 * truncation written in {@code tokenizer.json} (128 tokens for all-MiniLM-L6-v2), Peregrine the
 * sentence-transformers limit of {@code sentence_bert_config.json} (256). So Peregrine is measured
 * twice: with langchain4j's limit (the same work and the same vectors, checked by cosine: this is
 * the ratio that compares the libraries) and with its own (more tokens for long texts).
 *
 * <pre>
 * peregrine-benchmarks/run EmbedThroughput [--rounds 5] [--data FILE] [--json FILE]
 * </pre>
 */
public final class EmbedThroughput {

    private static final int[] BATCHES = {1, 8, 32};

    /**
     * @param peregrine     items/s with langchain4j's token limit (the same work)
     * @param peregrineOwn  items/s with the model's own limit
     * @param minCosine     lowest cosine between the two libraries' vectors at the same limit
     */
    private record Row(String variant, int batch, int limit, int ownLimit, double peregrine, double peregrineOwn,
                       double langchain4j, double minCosine) {
        double ratio() {
            return peregrine / langchain4j;
        }
    }

    public static void main(String[] args) throws IOException {
        int rounds = 5;
        Path data = null;
        Path json = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--rounds" -> rounds = Integer.parseInt(args[++i]);
                case "--data" -> data = Path.of(args[++i]);
                case "--json" -> json = Path.of(args[++i]);
                default -> throw new IllegalArgumentException("unknown argument " + args[i]
                        + " (use --rounds N, --data FILE, --json FILE)");
            }
        }
        List<String> texts = data == null
                ? Datasets.validation().stream().map(TextRecord::text).toList()
                : TextDataFile.at(data).build().readAll().stream().map(TextRecord::text).toList();
        System.err.printf(Locale.ROOT, "%d texts, %d rounds, %s, %d cores%n", texts.size(), rounds,
                Machine.cpuModel(), Runtime.getRuntime().availableProcessors());

        ModelResolver resolver = ModelResolver.standard();
        List<Row> rows = new ArrayList<>();
        rows.addAll(measure("fp32", resolver, "all-minilm-l6-v2", new AllMiniLmL6V2EmbeddingModel(), texts, rounds));
        rows.addAll(measure("int8", resolver, "all-minilm-l6-v2-int8", new AllMiniLmL6V2QuantizedEmbeddingModel(), texts, rounds));

        System.out.println();
        System.out.printf("| variant | client batch | Peregrine items/s | langchain4j items/s | Peregrine / langchain4j "
                + "| min cosine | Peregrine at the model's own limit |%n");
        System.out.printf("|---|---:|---:|---:|---:|---:|---:|%n");
        for (Row r : rows) {
            System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %.1f | **%.2fx** | %.6f | %.1f (%d tokens) |%n",
                    r.variant(), r.batch(), r.peregrine(), r.langchain4j(), r.ratio(), r.minCosine(),
                    r.peregrineOwn(), r.ownLimit());
        }
        System.out.printf(Locale.ROOT, "%nSame work: both libraries cut texts at %d tokens (langchain4j's tokenizer.json "
                + "truncation); the last column is Peregrine at the model's own limit.%n", rows.get(0).limit());
        if (json != null) {
            writeJson(json, rows, texts.size(), rounds);
        }
    }

    private static List<Row> measure(String variant, ModelResolver resolver, String name, EmbeddingModel theirs,
                                     List<String> texts, int rounds) throws IOException {
        List<TextSegment> segments = texts.stream().map(TextSegment::from).toList();
        List<Row> rows = new ArrayList<>();
        ModelFolder folder = resolver.resolve(name);
        int theirLimit = tokenizerTruncation(folder);
        try (Engine ours = Engine.open(folder, EngineOptions.builder().maxLength(theirLimit).build());
             Engine oursOwn = Engine.open(folder, EngineOptions.defaults())) {
            double minCosine = agreement(ours, theirs, texts, segments);
            int ownLimit = oursOwn.info().maxLength();
            System.err.printf(Locale.ROOT, "%s: langchain4j cuts at %d tokens, the model's own limit is %d; "
                    + "min cosine at the same limit %.6f, at the model's own limit %.6f%n", variant, theirLimit, ownLimit,
                    minCosine, agreement(oursOwn, theirs, texts, segments));
            for (int batch : BATCHES) {
                Consumer<List<String>> oursRun = chunk -> ours.embed(chunk);
                Consumer<List<String>> oursOwnRun = chunk -> oursOwn.embed(chunk);
                Consumer<List<TextSegment>> theirsRun = chunk -> theirs.embedAll(chunk);
                // Warm-up: one untimed pass each.
                passSeconds(texts, batch, oursRun);
                passSeconds(texts, batch, oursOwnRun);
                passSeconds(segments, batch, theirsRun);
                double[] oursRate = new double[rounds];
                double[] oursOwnRate = new double[rounds];
                double[] theirsRate = new double[rounds];
                for (int r = 0; r < rounds; r++) {
                    if (r % 2 == 0) {
                        oursRate[r] = texts.size() / passSeconds(texts, batch, oursRun);
                        theirsRate[r] = texts.size() / passSeconds(segments, batch, theirsRun);
                        oursOwnRate[r] = texts.size() / passSeconds(texts, batch, oursOwnRun);
                    } else {
                        oursOwnRate[r] = texts.size() / passSeconds(texts, batch, oursOwnRun);
                        theirsRate[r] = texts.size() / passSeconds(segments, batch, theirsRun);
                        oursRate[r] = texts.size() / passSeconds(texts, batch, oursRun);
                    }
                }
                Row row = new Row(variant, batch, theirLimit, ownLimit, Rounds.median(oursRate), Rounds.median(oursOwnRate),
                        Rounds.median(theirsRate), minCosine);
                System.err.printf(Locale.ROOT, "%s batch %d: peregrine %.1f/s (own limit %.1f/s), langchain4j %.1f/s (%.2fx)%n",
                        variant, batch, row.peregrine(), row.peregrineOwn(), row.langchain4j(), row.ratio());
                rows.add(row);
            }
        }
        return rows;
    }

    /**
     * The truncation length written in the folder's tokenizer.json, which langchain4j's tokenizer
     * applies (it loads the same file); the engine's default when the file sets none.
     */
    private static int tokenizerTruncation(ModelFolder folder) throws IOException {
        var node = new ObjectMapper().readTree(folder.tokenizerFile().toFile()).path("truncation");
        return node.path("max_length").asInt(0);
    }

    /** Both libraries must compute the same thing for the comparison to mean anything. */
    private static double agreement(Engine ours, EmbeddingModel theirs, List<String> texts, List<TextSegment> segments) {
        List<float[]> a = ours.embed(texts);
        var b = theirs.embedAll(segments).content();
        double min = 1;
        for (int i = 0; i < texts.size(); i++) {
            min = Math.min(min, Vectors.cosine(a.get(i), b.get(i).vector()));
        }
        return min;
    }

    private static <T> double passSeconds(List<T> items, int batch, Consumer<List<T>> run) {
        long start = System.nanoTime();
        for (int i = 0; i < items.size(); i += batch) {
            run.accept(items.subList(i, Math.min(items.size(), i + batch)));
        }
        return (System.nanoTime() - start) / 1e9;
    }


    private static void writeJson(Path file, List<Row> rows, int texts, int rounds) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("benchmark", "EmbedThroughput");
        root.put("date", LocalDate.now().toString());
        root.put("cpu", Machine.cpuModel());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("texts", texts);
        root.put("rounds", rounds);
        ArrayNode array = root.putArray("rows");
        for (Row r : rows) {
            array.addObject().put("variant", r.variant()).put("client_batch", r.batch())
                    .put("token_limit", r.limit()).put("peregrine_items_per_s", r.peregrine())
                    .put("langchain4j_items_per_s", r.langchain4j()).put("ratio", r.ratio())
                    .put("min_cosine", r.minCosine()).put("model_token_limit", r.ownLimit())
                    .put("peregrine_own_limit_items_per_s", r.peregrineOwn());
        }
        Files.writeString(file, mapper.writeValueAsString(root));
    }
}
