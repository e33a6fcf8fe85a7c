package dev.peregrine.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.ModelResolver;
import dev.peregrine.core.model.PeregrineHome;
import dev.peregrine.core.testing.FakeHub;
import dev.peregrine.core.testing.Fixtures;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls over real HTTP from a fake hub on loopback (two servers: the hub and its "CDN"). */
class HubPullTest {

    private static final String TOKEN = "hf_test_token_123";
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private FakeHub hub;
    private PeregrineHome home;

    @BeforeEach
    void startHub() {
        hub = FakeHub.start();
        home = PeregrineHome.at(tmp.resolve("home"));
    }

    @AfterEach
    void stopHub() {
        hub.close();
    }

    private HubOptions.Builder options() {
        return HubOptions.builder()
                .endpoint(hub.endpoint())
                .connectTimeout(Duration.ofSeconds(2))
                .idleTimeout(Duration.ofSeconds(5))
                .initialBackoff(Duration.ofMillis(5));
    }

    private ModelPuller puller() {
        return new ModelPuller(home, options().build());
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A small repository as optimum exports one, with files a pull must leave alone. */
    private FakeHub.Repo smallRepo(String id) {
        return hub.repo(id)
                .file("config.json", text("{\"model_type\":\"bert\",\"max_position_embeddings\":128}"))
                .file("tokenizer.json", text("{\"version\":\"1.0\"}"))
                .file("tokenizer_config.json", text("{\"model_max_length\":128}"))
                .file("special_tokens_map.json", text("{}"))
                .file("README.md", text("# a model card"))
                .file("pytorch_model.bin", random(50_000, 1))
                .file("onnx/model.onnx", random(2_000_000, 2))
                .file("onnx/model_quantized.onnx", random(500_000, 3))
                .file("onnx/model_fp16.onnx", random(1_000_000, 4));
    }

    private static List<String> filesUnder(Path folder) throws IOException {
        try (Stream<Path> walk = Files.walk(folder)) {
            return walk.filter(Files::isRegularFile)
                    .map(p -> folder.relativize(p).toString().replace('\\', '/'))
                    .filter(p -> !p.startsWith(".peregrine-pull"))
                    .sorted().toList();
        }
    }

    @Test
    void pull_fetchesOnlyWhatTheModelNeeds_andTheFolderEmbedsLikeTheOriginal() throws IOException {
        ModelFolder original = Fixtures.resolver().resolve("all-minilm-l6-v2");
        hub.repo("sentence-transformers/all-MiniLM-L6-v2")
                .file("config.json", original.root().resolve("config.json"))
                .file("tokenizer.json", original.root().resolve("tokenizer.json"))
                .file("modules.json", original.root().resolve("modules.json"))
                .file("sentence_bert_config.json", original.root().resolve("sentence_bert_config.json"))
                .file("1_Pooling/config.json", original.root().resolve("1_Pooling/config.json"))
                .file("onnx/model.onnx", original.onnxFile())
                .file("pytorch_model.bin", random(300_000, 7))
                .file("model.safetensors", random(300_000, 8))
                .file("README.md", text("# all-MiniLM-L6-v2"));
        HubModelId id = HubModelId.parse("sentence-transformers/all-MiniLM-L6-v2");

        PullResult result = puller().pull(id, null, false, PullListener.NONE);

        Path folder = home.hubModel("sentence-transformers/all-MiniLM-L6-v2", "main");
        assertThat(result.folder()).isEqualTo(folder);
        assertThat(result.variant()).isEqualTo("onnx/model.onnx");
        assertThat(result.commit()).isEqualTo(hub.repo("sentence-transformers/all-MiniLM-L6-v2").commit());
        assertThat(filesUnder(folder)).containsExactly("1_Pooling/config.json", "config.json", "modules.json",
                "onnx/model.onnx", "sentence_bert_config.json", "tokenizer.json");
        assertThat(result.downloaded()).isEqualTo(6);
        assertThat(Files.mismatch(folder.resolve("onnx/model.onnx"), original.onnxFile())).isEqualTo(-1);
        assertThat(result.bytesDownloaded()).isGreaterThanOrEqualTo(Files.size(original.onnxFile()));

        JsonNode manifest = JSON.readTree(folder.resolve(".peregrine-pull.json").toFile());
        assertThat(manifest.path("repo").asText()).isEqualTo("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(manifest.path("revision").asText()).isEqualTo("main");
        assertThat(manifest.path("commit").asText()).isEqualTo(result.commit());
        assertThat(manifest.path("files")).hasSize(6);
        assertThat(manifest.toString()).doesNotContain(TOKEN);

        // Every download was pinned to the listed commit, not the branch name.
        assertThat(hub.requests(FakeHub.HUB)).filteredOn(r -> r.path().contains("/resolve/"))
                .isNotEmpty()
                .allSatisfy(r -> assertThat(r.path()).contains("/resolve/" + result.commit() + "/"));

        List<String> texts = Fixtures.variedTexts().subList(0, 8);
        ModelFolder pulled = new ModelResolver(home).resolve("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(pulled.root()).isEqualTo(folder);
        // Light session options keep the test quick; both engines use the same ones.
        EngineOptions light = EngineOptions.builder().graphOptimization(GraphOptimization.BASIC).intraOpThreads(1).build();
        try (Engine theirs = Engine.open(original, light); Engine ours = Engine.open(pulled, light)) {
            assertThat(ours.info().maxLength()).isEqualTo(theirs.info().maxLength());
            assertThat(ours.info().normalize()).isTrue();
            List<float[]> expected = theirs.embed(texts);
            List<float[]> actual = ours.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(actual.get(i)).as("text %d", i).containsExactly(expected.get(i));
            }
        }
    }

    @Test
    void secondPull_downloadsNothing() {
        smallRepo("org/small");
        HubModelId id = HubModelId.parse("org/small");
        PullResult first = puller().pull(id, null, false, PullListener.NONE);
        assertThat(first.downloaded()).isEqualTo(5);
        hub.clearRequests();

        PullResult second = puller().pull(id, null, false, PullListener.NONE);

        assertThat(second.downloaded()).isZero();
        assertThat(second.bytesDownloaded()).isZero();
        assertThat(second.skipped()).isEqualTo(5);
        assertThat(hub.requests()).singleElement()
                .satisfies(r -> assertThat(r.path()).startsWith("/api/models/org/small/revision/main"));
    }

    @Test
    void aFileChangedOnDisk_isDownloadedAgain() throws IOException {
        smallRepo("org/small");
        HubModelId id = HubModelId.parse("org/small");
        puller().pull(id, null, false, PullListener.NONE);
        Path onnx = home.hubModel("org/small", "main").resolve("onnx/model.onnx");
        byte[] damaged = Files.readAllBytes(onnx);
        damaged[1000] ^= 1;
        Files.write(onnx, damaged); // same size, other content, newer time
        Files.setLastModifiedTime(onnx, FileTime.fromMillis(System.currentTimeMillis() + 5000));

        PullResult again = puller().pull(id, null, false, PullListener.NONE);

        assertThat(again.downloaded()).isEqualTo(1);
        assertThat(sha256(onnx)).isEqualTo(hub.repo("org/small").sha256("onnx/model.onnx"));
    }

    @Test
    void interruptedDownload_resumesWithRange_andTheHashIsRight() throws IOException {
        smallRepo("org/small").dropAfter("onnx/model.onnx", 700_000);
        List<String> retries = new ArrayList<>();
        PullListener listener = new PullListener() {
            @Override
            public void retrying(String what, int attempt, int maxAttempts, Duration wait, String reason) {
                retries.add(what + " | " + reason);
            }
        };

        PullResult result = puller().pull(HubModelId.parse("org/small"), null, false, listener);

        List<FakeHub.Request> cdn = hub.requests(FakeHub.CDN);
        assertThat(cdn).hasSize(2);
        assertThat(cdn.get(0).header("Range")).isEmpty();
        assertThat(cdn.get(1).header("Range")).contains("bytes=700000-");
        assertThat(retries).singleElement().asString().startsWith("downloading onnx/model.onnx");
        Path onnx = result.folder().resolve("onnx/model.onnx");
        assertThat(sha256(onnx)).isEqualTo(hub.repo("org/small").sha256("onnx/model.onnx"));
        assertThat(Files.exists(result.folder().resolve("onnx/model.onnx.partial"))).isFalse();
        // The first 700,000 bytes crossed the wire once.
        long small = result.files().stream().filter(f -> !f.path().equals("onnx/model.onnx")).mapToLong(RepoFile::size).sum();
        assertThat(result.bytesDownloaded()).isEqualTo(2_000_000 + small);
    }

    @Test
    void partialLeftByAnEarlierRun_isResumed() throws IOException {
        FakeHub.Repo repo = smallRepo("org/small");
        byte[] content = random(2_000_000, 2); // the repository's onnx/model.onnx
        Path partial = home.hubModel("org/small", "main").resolve("onnx/model.onnx.partial");
        Files.createDirectories(partial.getParent());
        Files.write(partial, Arrays.copyOf(content, 1_234_567));

        puller().pull(HubModelId.parse("org/small"), null, false, PullListener.NONE);

        assertThat(hub.requests(FakeHub.CDN)).singleElement()
                .satisfies(r -> assertThat(r.header("Range")).contains("bytes=1234567-"));
        assertThat(sha256(partial.resolveSibling("model.onnx"))).isEqualTo(repo.sha256("onnx/model.onnx"));
        assertThat(Files.exists(partial)).isFalse();
    }

    @Test
    void serverThatIgnoresRange_makesTheFileStartOver() throws IOException {
        FakeHub.Repo repo = smallRepo("org/small").ignoreRange("onnx/model.onnx");
        Path partial = home.hubModel("org/small", "main").resolve("onnx/model.onnx.partial");
        Files.createDirectories(partial.getParent());
        Files.write(partial, random(1000, 99)); // wrong bytes: must not survive

        PullResult result = puller().pull(HubModelId.parse("org/small"), null, false, PullListener.NONE);

        assertThat(hub.requests(FakeHub.CDN)).singleElement()
                .satisfies(r -> assertThat(r.header("Range")).contains("bytes=1000-"));
        assertThat(sha256(result.folder().resolve("onnx/model.onnx"))).isEqualTo(repo.sha256("onnx/model.onnx"));
    }

    @Test
    void stalledDownload_timesOut_andResumes() throws IOException {
        FakeHub.Repo repo = smallRepo("org/small").stallAfter("onnx/model.onnx", 300_000, 20_000);
        ModelPuller puller = new ModelPuller(home, options().idleTimeout(Duration.ofSeconds(1)).build());
        List<String> reasons = new ArrayList<>();

        long start = System.nanoTime();
        PullResult result = puller.pull(HubModelId.parse("org/small"), null, false, new PullListener() {
            @Override
            public void retrying(String what, int attempt, int maxAttempts, Duration wait, String reason) {
                reasons.add(reason);
            }
        });

        // Far less than the 20 s the server stays silent: the idle timeout cut it off.
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
        assertThat(reasons).contains("no data from " + hub.cdnEndpoint() + " for 1 s");
        List<FakeHub.Request> cdn = hub.requests(FakeHub.CDN);
        assertThat(cdn.get(cdn.size() - 1).header("Range")).contains("bytes=300000-");
        assertThat(sha256(result.folder().resolve("onnx/model.onnx"))).isEqualTo(repo.sha256("onnx/model.onnx"));
    }

    @Test
    void corruptedByte_failsWithSha256Mismatch_andLeavesNoFile() {
        FakeHub.Repo repo = smallRepo("org/small").corrupt("onnx/model.onnx");

        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/small"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessageContaining("sha256 mismatch for onnx/model.onnx")
                .hasMessageContaining("expected " + repo.sha256("onnx/model.onnx"))
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.DOWNLOAD_FAILED));
        Path folder = home.hubModel("org/small", "main");
        assertThat(folder.resolve("onnx/model.onnx")).doesNotExist();
        assertThat(folder.resolve("onnx/model.onnx.partial")).doesNotExist();
        assertThat(folder.resolve(".peregrine-pull.json")).doesNotExist();
        // What is left does not pass for a model; loading it says how to finish the pull.
        assertThatThrownBy(() -> new ModelResolver(home, List.of()).resolve("org/small"))
                .isInstanceOf(PeregrineException.class)
                .hasMessageStartingWith("no ONNX file in " + folder)
                .hasMessageEndingWith("if a pull of org/small was interrupted, 'peregrine pull org/small' finishes it");
    }

    @Test
    void unknownRepo_fails_andLeavesNoFolder() {
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/missing"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("no model repository org/missing on " + hub.endpoint()
                        + " (if it is private, set HF_TOKEN to an access token that can read it)")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.DOWNLOAD_FAILED));
        assertThat(home.hubModel("org/missing", "main")).doesNotExist();
    }

    @Test
    void unknownRevision_fails() {
        smallRepo("org/small");
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/small@v9"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("org/small has no revision 'v9' (a branch, tag or commit sha) on " + hub.endpoint());
        assertThat(home.hubModel("org/small", "v9")).doesNotExist();
    }

    @Test
    void namedRevision_landsInItsOwnFolder_andResolves() {
        smallRepo("org/small").revision("v1.0");
        PullResult result = puller().pull(HubModelId.parse("org/small@v1.0"), null, false, PullListener.NONE);

        assertThat(result.folder()).isEqualTo(home.hubModel("org/small", "v1.0"));
        assertThat(result.folder().getFileName().toString()).isEqualTo("small@v1.0");
        assertThat(new ModelResolver(home, List.of()).resolve("org/small@v1.0").root()).isEqualTo(result.folder());
        assertThat(hub.requests(FakeHub.HUB).get(0).path()).isEqualTo("/api/models/org/small/revision/v1.0?blobs=true");
    }

    @Test
    void gatedRepo_withoutToken_saysToAcceptTheTermsAndSetHfToken() {
        smallRepo("org/gated").gated(TOKEN);
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/gated"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("org/gated is gated (HTTP 401): accept the model's terms at " + hub.endpoint()
                        + "/org/gated and set HF_TOKEN to an access token of that account");
    }

    @Test
    void gatedRepo_withAnotherToken_saysTheTokenWasRefused() {
        smallRepo("org/gated").gated(TOKEN);
        ModelPuller puller = new ModelPuller(home, options().token("hf_someone_else").build());
        assertThatThrownBy(() -> puller.pull(HubModelId.parse("org/gated"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessageStartingWith("org/gated is gated and the token was refused (HTTP 403)")
                .hasMessageNotContaining("hf_someone_else");
    }

    @Test
    void gatedRepo_withTheToken_pulls_andTheTokenNeverReachesTheCdn() {
        smallRepo("org/gated").gated(TOKEN);
        ModelPuller puller = new ModelPuller(home, options().token(TOKEN).build());

        PullResult result = puller.pull(HubModelId.parse("org/gated"), null, false, PullListener.NONE);

        assertThat(result.downloaded()).isEqualTo(5);
        assertThat(hub.requests(FakeHub.HUB)).isNotEmpty()
                .allSatisfy(r -> assertThat(r.header("Authorization")).contains("Bearer " + TOKEN));
        assertThat(hub.requests(FakeHub.CDN)).hasSize(1)
                .allSatisfy(r -> assertThat(r.header("Authorization")).isEmpty());
    }

    @Test
    void variantQuantized_picksOnnxModelQuantized() {
        smallRepo("org/small").file("onnx/model_quantized.onnx_data", random(10_000, 5));

        PullResult result = puller().pull(HubModelId.parse("org/small"), "quantized", false, PullListener.NONE);

        assertThat(result.variant()).isEqualTo("onnx/model_quantized.onnx");
        assertThat(result.files()).extracting(RepoFile::path)
                .contains("onnx/model_quantized.onnx", "onnx/model_quantized.onnx_data")
                .doesNotContain("onnx/model.onnx", "onnx/model_fp16.onnx", "pytorch_model.bin", "README.md");
        assertThat(result.folder().resolve("onnx/model.onnx")).doesNotExist();
        ModelFolder folder = new ModelResolver(home, List.of()).resolve("org/small", "quantized");
        assertThat(folder.onnxFile()).isEqualTo(result.folder().resolve("onnx/model_quantized.onnx"));
    }

    @Test
    void allVariants_fetchesEveryGraph() {
        smallRepo("org/small");
        PullResult result = puller().pull(HubModelId.parse("org/small"), null, true, PullListener.NONE);

        assertThat(result.files()).extracting(RepoFile::path)
                .contains("onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/model_fp16.onnx")
                .doesNotContain("pytorch_model.bin");
        assertThat(result.variant()).isEqualTo("onnx/model.onnx");
    }

    @Test
    void repoWithoutOnnx_failsWithTheExportHint_andLeavesNoFolder() {
        hub.repo("org/pytorch-only")
                .file("config.json", text("{}"))
                .file("tokenizer.json", text("{}"))
                .file("model.safetensors", random(1000, 1));
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/pytorch-only"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessageStartingWith("org/pytorch-only has no ONNX graph (.onnx file) at commit ")
                .hasMessageEndingWith("Export them with 'optimum-cli export onnx --model org/pytorch-only DIR' "
                        + "and use '--model DIR'")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_INVALID));
        assertThat(home.hubModel("org/pytorch-only", "main")).doesNotExist();
    }

    @Test
    void missingVariant_namesTheVariantsThereAre() {
        smallRepo("org/small");
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/small"), "int4", false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("org/small has no ONNX variant 'int4' (variants: model, model_fp16, model_quantized)");
    }

    @Test
    void serverErrors_areRetried() {
        smallRepo("org/small");
        hub.failListing(2);
        List<Integer> attempts = new ArrayList<>();

        PullResult result = puller().pull(HubModelId.parse("org/small"), null, false, new PullListener() {
            @Override
            public void retrying(String what, int attempt, int maxAttempts, Duration wait, String reason) {
                assertThat(reason).isEqualTo("HTTP 503 from " + hub.endpoint());
                attempts.add(attempt);
            }
        });

        assertThat(attempts).containsExactly(2, 3);
        assertThat(result.downloaded()).isEqualTo(5);
    }

    @Test
    void unreachableHub_failsAfterItsRetries_inOneLine() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ModelPuller puller = new ModelPuller(home, options().endpoint("http://127.0.0.1:" + port).maxAttempts(2).build());

        assertThatThrownBy(() -> puller.pull(HubModelId.parse("org/small"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessageStartingWith("listing the files of org/small failed after 2 attempts: cannot connect to "
                        + "http://127.0.0.1:" + port)
                .hasMessageNotContaining("\n")
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.DOWNLOAD_FAILED));
    }

    @Test
    void modulesJson_bringsTheConfigOfEveryModuleFolder_butNothingOutsideTheModel() {
        smallRepo("org/st")
                .file("modules.json", text("[{\"idx\":0,\"name\":\"0\",\"path\":\"\",\"type\":\"sentence_transformers.models.Transformer\"},"
                        + "{\"idx\":1,\"name\":\"1\",\"path\":\"1_Pooling\",\"type\":\"sentence_transformers.models.Pooling\"},"
                        + "{\"idx\":2,\"name\":\"2\",\"path\":\"2_Dense\",\"type\":\"sentence_transformers.models.Dense\"}]"))
                .file("1_Pooling/config.json", text("{\"pooling_mode_cls_token\":true}"))
                .file("2_Dense/config.json", text("{\"in_features\":384}"))
                .file("2_Dense/model.safetensors", random(1000, 9))
                .file("3_Other/config.json", text("{}"));

        PullResult result = puller().pull(HubModelId.parse("org/st"), null, false, PullListener.NONE);

        assertThat(result.files()).extracting(RepoFile::path)
                .contains("modules.json", "1_Pooling/config.json", "2_Dense/config.json")
                .doesNotContain("2_Dense/model.safetensors", "3_Other/config.json");
        assertThat(result.folder().resolve("2_Dense/config.json")).exists();
    }

    @Test
    void moduleFolderEscapingTheModel_isRefused() {
        smallRepo("org/evil")
                .file("modules.json", text("[{\"path\":\"../../escape\",\"type\":\"x.Pooling\"}]"))
                .file("../../escape/config.json", text("{}"));

        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/evil"), null, false, PullListener.NONE))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("the hub listed a file with an unsafe path, refused: ../../escape/config.json");
        assertThat(tmp.resolve("home/escape")).doesNotExist();
    }

    @Test
    void anotherPullOfTheSameFolder_failsAtOnce() throws IOException {
        smallRepo("org/small");
        Path folder = Files.createDirectories(home.hubModel("org/small", "main"));
        try (FileChannel channel = FileChannel.open(folder.resolve(".peregrine-pull.lock"),
                StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock held = channel.lock()) {
            assertThat(held.isValid()).isTrue();
            assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/small"), null, false, PullListener.NONE))
                    .isInstanceOf(PeregrineException.class)
                    .hasMessage("another pull is writing " + folder + "; wait for it to finish and try again");
        }
        assertThat(hub.requests(FakeHub.CDN)).isEmpty();
    }

    @Test
    void variantAndAllVariants_together_areRejected() {
        assertThatThrownBy(() -> puller().pull(HubModelId.parse("org/small"), "quantized", true, PullListener.NONE))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(hub.requests()).isEmpty();
    }

    private static String sha256(Path file) throws IOException {
        try {
            java.security.MessageDigest d = java.security.MessageDigest.getInstance("SHA-256");
            return java.util.HexFormat.of().formatHex(d.digest(Files.readAllBytes(file)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
