package dev.peregrine.core.hub;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.model.PeregrineHome;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HubModelIdTest {

    @Test
    void parse_withoutRevision_meansMain() {
        HubModelId id = HubModelId.parse("sentence-transformers/all-MiniLM-L6-v2");
        assertThat(id.org()).isEqualTo("sentence-transformers");
        assertThat(id.name()).isEqualTo("all-MiniLM-L6-v2");
        assertThat(id.revision()).isEqualTo("main");
        assertThat(id.isMain()).isTrue();
        assertThat(id).hasToString("sentence-transformers/all-MiniLM-L6-v2");
    }

    @Test
    void parse_withRevision_keepsIt_evenWithSlashes() {
        HubModelId id = HubModelId.parse("BAAI/bge-small-en-v1.5@refs/pr/12");
        assertThat(id.repoId()).isEqualTo("BAAI/bge-small-en-v1.5");
        assertThat(id.revision()).isEqualTo("refs/pr/12");
        assertThat(id).hasToString("BAAI/bge-small-en-v1.5@refs/pr/12");
    }

    @ParameterizedTest
    @ValueSource(strings = {"all-MiniLM-L6-v2", "a/b/c", "/name", "org/", "org/name@", "org/na me", "../x/y",
            "org/-name", "org/name.", "org--x/name", "org/a..b", "org/name@../../etc", "org/name@v1 beta", "org@v1/name"})
    void parse_rejectsWhatIsNotAHubId(String text) {
        assertThatThrownBy(() -> HubModelId.parse(text)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'");
    }

    @Test
    void parse_namesTheExpectedForm() {
        assertThatThrownBy(() -> HubModelId.parse("minilm"))
                .hasMessage("'minilm' is not a hub model id: expected ORG/NAME or ORG/NAME@REVISION, "
                        + "e.g. sentence-transformers/all-MiniLM-L6-v2");
    }

    @Test
    void folder_isTheOneTheResolverLooksIn() {
        PeregrineHome home = PeregrineHome.at(Path.of("/tmp/h"));
        ModelPuller puller = new ModelPuller(home, HubOptions.builder().build());
        assertThat(puller.folder(HubModelId.parse("org/name"))).isEqualTo(Path.of("/tmp/h/hub/org/name"));
        assertThat(puller.folder(HubModelId.parse("org/name@refs/pr/1"))).isEqualTo(Path.of("/tmp/h/hub/org/name@refs_pr_1"));
    }
}
