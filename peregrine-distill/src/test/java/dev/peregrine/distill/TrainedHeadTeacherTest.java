package dev.peregrine.distill;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.TextRecord;
import dev.peregrine.datasets.Ticket;
import dev.peregrine.train.HeadKind;
import dev.peregrine.train.HeadOptions;
import dev.peregrine.train.Trainer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A classifier made as {@code peregrine train} makes the ticket-classifier (encoder, mean pooling,
 * L2 normalization, logistic or MLP head in one graph), on a tiny fixture encoder: its PyTorch forward
 * equals ONNX Runtime's, and it distills into a student whose written graph matches its PyTorch form.
 */
class TrainedHeadTeacherTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @EnumSource(value = HeadKind.class)
    void trainedHeadClassifier_runsOnPyTorch_andDistills(HeadKind kind) throws Exception {
        ModelFolder encoder = LayerDistillerTest.fixture("bert-base-opset14");
        List<TextRecord> labelled = Datasets.ticketsTrain().stream().limit(80).map(Ticket::toTextRecord).toList();
        Path teacherDir = dir.resolve("teacher-" + kind.id());
        try (Engine e = Engine.open(encoder)) {
            List<String> labels = Trainer.checkLabels(labelled);
            Trainer.Result fit = Trainer.fit(encoder, e.info(), Trainer.features(e, labelled, labels, null),
                    HeadOptions.defaults(kind), 0);
            Trainer.export(fit, teacherDir, Map.of());
        }
        ModelFolder teacher = ModelFolder.open(teacherDir);
        TorchParityTest.assertSameRows(teacher, Datasets.ticketsTest().stream().limit(6).map(Ticket::text).toList(),
                1e-5);

        LayerDistiller.Result r = LayerDistiller.distill(teacher,
                Datasets.ticketsTrain().stream().skip(80).limit(48).map(Ticket::text).toList(),
                LayerDistillerTest.tiny(9), dir.resolve("student-" + kind.id()), new LayerDistiller.Listener() { },
                System::nanoTime);
        assertThat(r.studentParity()).isLessThan(1e-5);
        assertThat(r.fidelity().classification()).isNotNull();
        assertThat(r.lastLoss()).isLessThan(r.firstLoss());
    }
}
