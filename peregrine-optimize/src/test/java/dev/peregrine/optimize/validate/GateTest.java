package dev.peregrine.optimize.validate;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The fidelity gate's conditions and the sentences it fails with. */
class GateTest {

    private static ValidationReport.EmbeddingAgreement cosines(double mean, double p1) {
        return new ValidationReport.EmbeddingAgreement(p1 - 0.01, mean, p1, 10, 0.9);
    }

    @Test
    void embedderDefaults_needMeanAndTail() {
        ValidationOptions o = ValidationOptions.defaults();

        assertThat(Validator.failures(cosines(0.995, 0.975), o)).isEmpty();
        assertThat(Validator.failures(cosines(0.995, 0.95), o)).containsExactly("p1 cosine 0.9500 is below 0.97");
        assertThat(Validator.failures(cosines(0.98, 0.975), o)).containsExactly("mean cosine 0.9800 is below 0.99");
        assertThat(Validator.failures(cosines(0.99, 0.97), o)).isEmpty();
    }

    @Test
    void valueJustUnderTheBar_isPrintedWithTheDigitsThatShowIt() {
        assertThat(Validator.failures(cosines(0.98999999, 0.975), ValidationOptions.defaults()))
                .containsExactly("mean cosine 0.98999999 is below 0.99");
        assertThat(Validator.failures(cosines(0.99 - 4e-5, 0.975), ValidationOptions.defaults()))
                .containsExactly("mean cosine 0.98996 is below 0.99");
        assertThat(Thresholds.above("accuracy dropped by", 0.0050001, 0.005))
                .isEqualTo("accuracy dropped by 0.0050001, more than 0.005");
    }

    @Test
    void classifierDefaults_needAgreement_andAtMostHalfAPointOfAccuracy() {
        ValidationOptions o = ValidationOptions.defaults();
        ValidationReport.ClassifierAgreement ok = new ValidationReport.ClassifierAgreement(0.995, 0.1, 0.01,
                0.9, 0.895, 1.0 / 200, 200);
        ValidationReport.ClassifierAgreement lost = new ValidationReport.ClassifierAgreement(0.995, 0.1, 0.01,
                0.9, 0.89, 2.0 / 200, 200);
        ValidationReport.ClassifierAgreement unlabelled = new ValidationReport.ClassifierAgreement(0.985, 0.1, 0.01,
                null, null, null, 0);

        assertThat(Validator.failures(ok, o)).isEmpty();
        assertThat(Validator.failures(lost, o)).containsExactly("accuracy dropped by 0.0100, more than 0.005");
        assertThat(Validator.failures(unlabelled, o)).containsExactly("label agreement 0.9850 is below 0.99");
    }

    @Test
    void oldFourArgumentBar_neverHasATailStricterThanItsMean() {
        assertThat(new ValidationOptions(0.99, 0.95, Double.NaN, 10).minP1Cosine()).isEqualTo(0.95);
        assertThat(new ValidationOptions(0.99, 0.995, Double.NaN, 10).minP1Cosine()).isEqualTo(0.97);
    }
}
