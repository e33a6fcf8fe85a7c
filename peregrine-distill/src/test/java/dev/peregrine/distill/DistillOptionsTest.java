package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class DistillOptionsTest {

    @Test
    void autoEpochs_areThreeForACorpus_andMoreForFewTexts() {
        DistillOptions auto = DistillOptions.defaults();
        assertThat(auto.epochs()).isEqualTo(DistillOptions.AUTO_EPOCHS);
        // 23,500 corpus texts in steps of 32: 735 steps an epoch, three epochs.
        assertThat(auto.epochsFor(23_500)).isEqualTo(3);
        // 667 tickets: 21 steps an epoch, 20 epochs for 420 steps.
        assertThat(auto.epochsFor(667)).isEqualTo(20);
        assertThat(auto.epochsFor(667) * 21).isGreaterThanOrEqualTo(DistillOptions.AUTO_MIN_STEPS);
        assertThat(auto.epochsFor(1)).isEqualTo(DistillOptions.AUTO_MIN_STEPS);
    }

    @Test
    void askedEpochs_areKept_andNegativeOnesRefused() {
        DistillOptions two = DistillOptions.defaults().withTraining(2, 32, 128, 3e-4);
        assertThat(two.epochsFor(667)).isEqualTo(2);
        assertThatThrownBy(() -> DistillOptions.defaults().withTraining(-1, 32, 128, 3e-4))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--epochs");
    }

    @Test
    void defaults_chooseLayersByImportance() {
        assertThat(DistillOptions.defaults().selection()).isEqualTo(LayerSelection.IMPORTANCE);
        assertThat(DistillOptions.defaults().relationWeight()).isZero();
    }
}
