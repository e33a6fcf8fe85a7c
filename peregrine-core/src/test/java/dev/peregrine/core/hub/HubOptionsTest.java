package dev.peregrine.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HubOptionsTest {

    @Test
    void defaults_areHuggingFace_withTheDocumentedTimeouts() {
        HubOptions o = HubOptions.fromEnvironment(Map.of());
        assertThat(o.endpoint()).isEqualTo(URI.create("https://huggingface.co"));
        assertThat(o.token()).isNull();
        assertThat(o.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(o.idleTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(o.maxAttempts()).isEqualTo(4);
    }

    @Test
    void environment_namesEndpointAndToken() {
        HubOptions o = HubOptions.fromEnvironment(Map.of("HF_ENDPOINT", "http://127.0.0.1:8080/mirror/", "HF_TOKEN", "hf_abc"));
        assertThat(o.endpoint()).isEqualTo(URI.create("http://127.0.0.1:8080/mirror"));
        assertThat(o.token()).isEqualTo("hf_abc");
        assertThat(o.hasToken()).isTrue();
    }

    @Test
    void toString_neverShowsTheToken() {
        HubOptions o = HubOptions.builder().token("hf_secret_value").build();
        assertThat(o.toString()).doesNotContain("hf_secret_value").contains("token=***");
    }

    @Test
    void badValues_areRejectedWithTheirReason() {
        assertThatThrownBy(() -> HubOptions.builder().endpoint("ftp://example.org").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http(s) URL");
        assertThatThrownBy(() -> HubOptions.builder().endpoint("https://user:pw@example.org").build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("pw");
        assertThatThrownBy(() -> HubOptions.builder().maxAttempts(0).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxAttempts");
        assertThatThrownBy(() -> HubOptions.builder().idleTimeout(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("idleTimeout");
    }

    @Test
    void tokenGoesOnlyToTheEndpointsOrigin() {
        URI hub = URI.create("https://huggingface.co");
        assertThat(HubHttp.sameOrigin(URI.create("https://huggingface.co/api/models/a/b"), hub)).isTrue();
        assertThat(HubHttp.sameOrigin(URI.create("https://HuggingFace.co:443/a/b/resolve/x/y"), hub)).isTrue();
        assertThat(HubHttp.sameOrigin(URI.create("https://cdn-lfs.huggingface.co/repos/x"), hub)).isFalse();
        assertThat(HubHttp.sameOrigin(URI.create("http://huggingface.co/a"), hub)).isFalse();
        assertThat(HubHttp.sameOrigin(URI.create("https://huggingface.co:8443/a"), hub)).isFalse();
    }
}
