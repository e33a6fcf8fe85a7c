package dev.peregrine.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.OnnxVariants;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Which files of a repository make a Peregrine model folder: the tokenizer and configuration files
 * {@code ModelFolder} and {@code ModelConfig} read, and one ONNX graph (or all) with its external
 * data. Repositories also hold PyTorch, safetensors, TensorFlow and other exports, often many times
 * larger than the ONNX graph; none of them is fetched.
 */
final class ModelFileSelector {

    /** Read by ModelFolder/ModelConfig, or by the tokenizer, when present. */
    static final List<String> CONFIG_FILES = List.of(
            "config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "sentence_bert_config.json",
            "modules.json",
            "1_Pooling/config.json");

    static final String MODULES = "modules.json";

    private ModelFileSelector() {
    }

    /** The configuration files the repository has, in {@link #CONFIG_FILES} order. */
    static List<RepoFile> configFiles(RepoListing listing) {
        List<RepoFile> out = new ArrayList<>();
        for (String name : CONFIG_FILES) {
            listing.file(name).ifPresent(out::add);
        }
        return out;
    }

    /**
     * The {@code config.json} of every sentence-transformers module folder that {@code modules.json}
     * lists (Pooling, Dense, Normalize...) and the repository has, other than those already in
     * {@link #CONFIG_FILES}.
     */
    static List<RepoFile> moduleConfigs(RepoListing listing, JsonNode modules) {
        Set<String> paths = new LinkedHashSet<>();
        if (modules != null && modules.isArray()) {
            for (JsonNode module : modules) {
                String folder = module.path("path").asText("").trim();
                while (folder.endsWith("/")) {
                    folder = folder.substring(0, folder.length() - 1);
                }
                if (!folder.isEmpty()) {
                    paths.add(folder + "/config.json");
                }
            }
        }
        List<RepoFile> out = new ArrayList<>();
        for (String path : paths) {
            if (!CONFIG_FILES.contains(path)) {
                listing.file(path).ifPresent(out::add);
            }
        }
        return out;
    }

    /**
     * The ONNX graphs to fetch, each followed by its external-data files.
     *
     * @param variant     as {@code --variant} takes it; null for the default graph
     * @param allVariants every {@code .onnx} file instead of one
     * @throws PeregrineException {@link ErrorKind#MODEL_INVALID} when the repository has no tokenizer.json
     *         or no ONNX graph (with the command that exports one), or not the variant asked for
     */
    static List<RepoFile> onnxFiles(RepoListing listing, String variant, boolean allVariants) {
        List<String> onnx = listing.paths().stream().filter(p -> p.endsWith(".onnx")).toList();
        boolean hasTokenizer = listing.file("tokenizer.json").isPresent();
        if (onnx.isEmpty() || !hasTokenizer) {
            String missing = onnx.isEmpty() && !hasTokenizer ? "no ONNX graph and no tokenizer.json"
                    : onnx.isEmpty() ? "no ONNX graph (.onnx file)" : "no tokenizer.json";
            throw new PeregrineException(ErrorKind.MODEL_INVALID, listing.model() + " has " + missing
                    + " at commit " + shortSha(listing.commit()) + "; Peregrine needs both. Export them with "
                    + "'optimum-cli export onnx --model " + listing.model().repoId() + " DIR' and use '--model DIR'");
        }
        List<String> chosen;
        if (allVariants) {
            chosen = onnx;
        } else {
            Optional<String> one = OnnxVariants.choose(onnx, variant);
            if (one.isEmpty()) {
                String known = String.join(", ", onnx.stream()
                        .filter(OnnxVariants::isVariantPath).map(OnnxVariants::variantName).sorted().toList());
                if (variant == null || variant.isBlank()) {
                    throw new PeregrineException(ErrorKind.MODEL_INVALID, listing.model()
                            + " has no model.onnx or onnx/model.onnx but several variants; choose one with --variant: "
                            + known);
                }
                throw new PeregrineException(ErrorKind.MODEL_INVALID, listing.model() + " has no ONNX variant '"
                        + variant.trim() + "' (variants: " + (known.isEmpty() ? String.join(", ", onnx.stream().sorted().toList()) : known) + ")");
            }
            chosen = List.of(one.get());
        }
        List<RepoFile> out = new ArrayList<>();
        for (String graph : chosen) {
            out.add(listing.file(graph).orElseThrow());
            for (RepoFile f : listing.files()) {
                String p = f.path();
                if (p.startsWith(graph + "_data") || p.startsWith(graph + ".data")) {
                    out.add(f);
                }
            }
        }
        return out;
    }

    static String shortSha(String commit) {
        return commit.length() > 12 ? commit.substring(0, 12) : commit;
    }
}
