package dev.peregrine.train;

import dev.peregrine.core.engine.Engine;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.testing.Fixtures;
import dev.peregrine.datasets.Datasets;
import dev.peregrine.datasets.Ticket;
import dev.peregrine.datasets.TextRecord;
import java.util.List;

/** The ticket features, embedded once per test JVM (the slow part of every training test). */
final class TicketData {

    static final ModelFolder ENCODER = Fixtures.resolver().resolve("all-minilm-l6-v2");
    static final Engine ENGINE = Engine.open(ENCODER);
    static final List<TextRecord> TRAIN = Datasets.ticketsTrain().stream().map(Ticket::toTextRecord).toList();
    static final List<TextRecord> TEST = Datasets.ticketsTest().stream().map(Ticket::toTextRecord).toList();
    static final List<String> LABELS = Trainer.checkLabels(TRAIN);
    static final Trainer.Features TRAIN_FEATURES = Trainer.features(ENGINE, TRAIN, LABELS, null);
    static final Trainer.Features TEST_FEATURES = Trainer.features(ENGINE, TEST, LABELS, null);

    private TicketData() {
    }
}
