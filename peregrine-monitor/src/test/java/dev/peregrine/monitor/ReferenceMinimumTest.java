package dev.peregrine.monitor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A drift reference from too few texts is refused out loud, wherever it would come from. */
class ReferenceMinimumTest {

    private static final List<String> LABELS = List.of("a", "b");

    @TempDir
    Path dir;

    private static ReferenceBuilder builderWith(int predictions) {
        ReferenceBuilder builder = new ReferenceBuilder("m", Task.CLASSIFICATION, LABELS);
        for (int i = 0; i < predictions; i++) {
            builder.add(Observation.classified(5 + i % 7, false, 0, new float[] {0.3f, 0.7f}));
        }
        return builder;
    }

    @Test
    void buildingFromFewerThanTheMinimum_isRefused_namingTheMinimum() {
        assertThatThrownBy(() -> builderWith(3).build()).isInstanceOfSatisfying(PeregrineException.class,
                        e -> assertThat(e.kind()).isEqualTo(ErrorKind.INVALID_INPUT))
                .hasMessageContaining("at least " + DriftReference.MIN_SAMPLES).hasMessageContaining("got 3");
        assertThat(builderWith(DriftReference.MIN_SAMPLES).build().samples()).isEqualTo(DriftReference.MIN_SAMPLES);
    }

    @Test
    void aReferenceFileOfTooFewSamples_isRefusedWhenRead() throws Exception {
        Path file = dir.resolve("ref.json");
        builderWith(DriftReference.MIN_SAMPLES).build().write(file);
        assertThat(DriftReference.read(file).samples()).isEqualTo(DriftReference.MIN_SAMPLES);

        Files.writeString(file, Files.readString(file).replaceFirst("\"samples\" : \\d+", "\"samples\" : 3"));
        assertThatThrownBy(() -> DriftReference.read(file)).isInstanceOf(PeregrineException.class)
                .hasMessageContaining("is not a drift reference").hasMessageContaining("at least 100 texts");
    }

    @Test
    void aWarmupShorterThanTheMinimum_isRefused() {
        assertThatThrownBy(() -> DriftMonitor.builder("m", Task.CLASSIFICATION, LABELS).warmup(3))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 100");
    }
}
