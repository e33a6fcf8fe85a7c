package dev.peregrine.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which files of a listing make a model folder (no HTTP). */
class HubFileSelectionTest {

    private static RepoListing listing(String... paths) {
        return new RepoListing(HubModelId.parse("org/name"), "0123456789abcdef0123456789abcdef01234567",
                Arrays.stream(paths).map(p -> new RepoFile(p, 10, null, null)).toList());
    }

    private static List<String> onnx(RepoListing listing, String variant, boolean all) {
        return ModelFileSelector.onnxFiles(listing, variant, all).stream().map(RepoFile::path).toList();
    }

    @Test
    void default_prefersRootModelOnnx_thenOnnxFolder() {
        assertThat(onnx(listing("tokenizer.json", "onnx/model.onnx", "model.onnx"), null, false)).containsExactly("model.onnx");
        assertThat(onnx(listing("tokenizer.json", "onnx/model_O4.onnx", "onnx/model.onnx"), null, false))
                .containsExactly("onnx/model.onnx");
        assertThat(onnx(listing("tokenizer.json", "onnx/model_quantized.onnx"), null, false))
                .containsExactly("onnx/model_quantized.onnx");
    }

    @Test
    void default_withSeveralVariantsAndNoModelOnnx_asksForOne() {
        assertThatThrownBy(() -> onnx(listing("tokenizer.json", "onnx/model_a.onnx", "onnx/model_b.onnx"), null, false))
                .isInstanceOf(PeregrineException.class)
                .hasMessage("org/name has no model.onnx or onnx/model.onnx but several variants; choose one with "
                        + "--variant: model_a, model_b");
    }

    @Test
    void variantNames_resolveAsModelFolderResolvesThem() {
        RepoListing l = listing("tokenizer.json", "onnx/model.onnx", "onnx/model_quantized.onnx", "onnx/model_fp16.onnx",
                "sub/custom.onnx");
        assertThat(onnx(l, "quantized", false)).containsExactly("onnx/model_quantized.onnx");
        assertThat(onnx(l, "model_fp16", false)).containsExactly("onnx/model_fp16.onnx");
        assertThat(onnx(l, "sub/custom.onnx", false)).containsExactly("sub/custom.onnx");
        assertThat(onnx(l, null, true)).containsExactly("onnx/model.onnx", "onnx/model_quantized.onnx",
                "onnx/model_fp16.onnx", "sub/custom.onnx");
    }

    @Test
    void externalData_followsItsGraph() {
        RepoListing l = listing("tokenizer.json", "model.onnx", "model.onnx_data", "onnx/model.onnx",
                "onnx/model.onnx.data", "model_fp16.onnx_data");
        assertThat(onnx(l, null, false)).containsExactly("model.onnx", "model.onnx_data");
        assertThat(onnx(l, "onnx/model.onnx", false)).containsExactly("onnx/model.onnx", "onnx/model.onnx.data");
    }

    @Test
    void noTokenizer_orNoOnnx_failsWithTheExportCommand() {
        assertThatThrownBy(() -> onnx(listing("model.onnx", "config.json"), null, false))
                .isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_INVALID))
                .hasMessageStartingWith("org/name has no tokenizer.json at commit 0123456789ab;")
                .hasMessageContaining("optimum-cli export onnx --model org/name DIR");
        assertThatThrownBy(() -> onnx(listing("config.json", "pytorch_model.bin"), null, false))
                .hasMessageStartingWith("org/name has no ONNX graph and no tokenizer.json");
    }

    @Test
    void configFiles_areThoseTheFolderReads() {
        RepoListing l = listing("config.json", "tokenizer.json", "vocab.txt", "README.md", "special_tokens_map.json",
                "1_Pooling/config.json", "2_Dense/config.json", "model.onnx");
        assertThat(ModelFileSelector.configFiles(l)).extracting(RepoFile::path)
                .containsExactly("config.json", "tokenizer.json", "special_tokens_map.json", "1_Pooling/config.json");
    }

    @Test
    void moduleConfigs_comeFromModulesJson() throws IOException {
        RepoListing l = listing("modules.json", "1_Pooling/config.json", "2_Dense/config.json", "3_X/config.json");
        var modules = new ObjectMapper().readTree("[{\"path\":\"\"},{\"path\":\"1_Pooling\"},{\"path\":\"2_Dense/\"},"
                + "{\"path\":\"4_Missing\"}]");
        assertThat(ModelFileSelector.moduleConfigs(l, modules)).extracting(RepoFile::path)
                .containsExactly("2_Dense/config.json");
    }

    @Test
    void listing_isParsedFromTheHubsJson() {
        String json = "{\"id\":\"org/name\",\"sha\":\"abc123abc123abc123abc123abc123abc123abcd\",\"siblings\":["
                + "{\"rfilename\":\"config.json\",\"size\":612,\"blobId\":\"72b987fd805cfa2b58c4c8c952b274a11bfd5a00\"},"
                + "{\"rfilename\":\"onnx/model.onnx\",\"size\":90405214,\"blobId\":\"aaaa\",\"lfs\":{\"sha256\":"
                + "\"6FD5D72FE4589F189F8EBC006442DBB529BB7CE38F8082112682524616046452\",\"size\":90405214,\"pointerSize\":134}},"
                + "{\"rfilename\":\"README.md\"}]}";
        RepoListing l = HubDownloader.parseListing(HubModelId.parse("org/name"), json, "https://hub");
        assertThat(l.commit()).isEqualTo("abc123abc123abc123abc123abc123abc123abcd");
        assertThat(l.files()).containsExactly(
                new RepoFile("config.json", 612, null, "72b987fd805cfa2b58c4c8c952b274a11bfd5a00"),
                new RepoFile("onnx/model.onnx", 90405214, "6fd5d72fe4589f189f8ebc006442dbb529bb7ce38f8082112682524616046452", null),
                new RepoFile("README.md", -1, null, null));
    }

    @Test
    void listingThatIsNotJson_saysTheEndpointMayBeWrong() {
        assertThatThrownBy(() -> HubDownloader.parseListing(HubModelId.parse("org/name"), "<html>", "https://proxy"))
                .hasMessage("unexpected answer from https://proxy listing org/name: not JSON (is the endpoint a "
                        + "Hugging Face hub?)");
    }

    @Test
    void urls_encodeRevisionAndPath() {
        HubDownloader d = new HubDownloader(new HubHttp(HubOptions.builder().endpoint("https://hf.example/mirror").build()));
        assertThat(d.listingUri(HubModelId.parse("org/name@refs/pr/1")).toString())
                .isEqualTo("https://hf.example/mirror/api/models/org/name/revision/refs%2Fpr%2F1?blobs=true");
        assertThat(d.fileUri(HubModelId.parse("org/name"), "abc", "onnx/my model.onnx").toString())
                .isEqualTo("https://hf.example/mirror/org/name/resolve/abc/onnx/my%20model.onnx");
    }
}
