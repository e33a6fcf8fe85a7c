package dev.peregrine.server.inference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.Task;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.core.engine.LongTextOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.engine.ModelInfo;
import dev.peregrine.core.model.EmbeddingConfig;
import dev.peregrine.server.tracing.RequestTrace;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** Resolution at the edge: the records' validation, and the one place where defaults are decided. */
class ResolvedRequestTest {

    static ServedModel model(String name, Task task, boolean normalizes, String... aliases) {
        ModelInfo info = new ModelInfo(name, task, Path.of(name), Path.of(name, "model.onnx"), "model", 0, List.of(),
                List.of(), "out", task == Task.CLASSIFICATION ? List.of("a", "b") : List.of(), 128,
                task == Task.CLASSIFICATION ? 2 : 4, null, normalizes, false, "test", Map.of(), List.of(), EmbeddingConfig.NONE);
        return new ServedModel(name, List.of(aliases), info, new ModelSettings(1, 1, true, 8, 1024, 8, GraphOptimization.ALL,
                null, false, List.of()));
    }

    private static final ServedModel EMBEDDER = model("embedder", Task.EMBEDDING, true, "embedder-folder");
    private static final ServedModel RAW_EMBEDDER = model("raw", Task.EMBEDDING, false);
    private static final ServedModel CLASSIFIER = model("classifier", Task.CLASSIFICATION, false);

    private static final LongTextMode T = LongTextMode.TRUNCATE;
    private static final LongTextMode R = LongTextMode.REJECT;

    private static RequestResolver resolver(boolean autoTruncate) {
        return new RequestResolver(new ServiceSettings(LongTextMode.ofTruncate(autoTruncate), LongTextOptions.DEFAULTS, 1,
                Set.of()));
    }

    @Test
    void unsaidOptions_takeTheServersTruncation_andTheModelsNormalization() {
        Cancellation c = new Cancellation();
        ResolvedRequest r = resolver(true).resolve(EMBEDDER, List.of("a"), null, null, true, 42, c, RequestTrace.NOOP);
        assertThat(r.options()).isEqualTo(new InferenceOptions(T, true, true));
        assertThat(r.deadlineNanos()).isEqualTo(42);
        assertThat(r.cancellation()).isSameAs(c);
        assertThat(r.task()).isEqualTo(Task.EMBEDDING);
        assertThat(resolver(false).resolve(RAW_EMBEDDER, List.of("a"), null, null, false, 1, c, RequestTrace.NOOP).options())
                .isEqualTo(new InferenceOptions(R, false, false));
    }

    @Test
    void saidOptions_winOverEveryDefault() {
        Cancellation c = new Cancellation();
        assertThat(resolver(true).resolve(EMBEDDER, List.of("a"), R, false, true, 1, c, RequestTrace.NOOP).options())
                .isEqualTo(new InferenceOptions(R, false, true));
        assertThat(resolver(false).resolve(RAW_EMBEDDER, List.of("a"), T, true, true, 1, c, RequestTrace.NOOP).options())
                .isEqualTo(new InferenceOptions(T, true, true));
    }

    @Test
    void aClassifier_isNeverNormalized_whateverTheRequestSays() {
        Cancellation c = new Cancellation();
        ResolvedRequest r = resolver(true).resolve(CLASSIFIER, List.of("a"), null, true, true, 1, c, RequestTrace.NOOP);
        assertThat(r.options().normalize()).isFalse();
        assertThat(r.task()).isEqualTo(Task.CLASSIFICATION);
        assertThatThrownBy(() -> new ResolvedRequest(CLASSIFIER, List.of("a"), new InferenceOptions(T, true, true), 1, c, RequestTrace.NOOP))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("classifier");
    }

    @Test
    void aRequest_needsTexts_noNulls_andKeepsItsOwnCopyOfThem() {
        Cancellation c = new Cancellation();
        InferenceOptions o = new InferenceOptions(T, false, true);
        assertThatThrownBy(() -> new ResolvedRequest(EMBEDDER, List.of(), o, 1, c, RequestTrace.NOOP)).isInstanceOf(IllegalArgumentException.class);
        List<String> withNull = new ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> new ResolvedRequest(EMBEDDER, withNull, o, 1, c, RequestTrace.NOOP)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ResolvedRequest(null, List.of("a"), o, 1, c, RequestTrace.NOOP)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new ResolvedRequest(EMBEDDER, List.of("a"), o, 1, null, RequestTrace.NOOP)).isInstanceOf(NullPointerException.class);
        List<String> texts = new ArrayList<>(List.of("a", "b"));
        ResolvedRequest r = new ResolvedRequest(EMBEDDER, texts, o, 1, c, RequestTrace.NOOP);
        texts.clear();
        assertThat(r.texts()).containsExactly("a", "b");
        ResolvedRequest sub = r.withTexts(List.of("b"));
        assertThat(sub.texts()).containsExactly("b");
        assertThat(sub.cancellation()).isSameAs(c);
        assertThat(sub.options()).isEqualTo(o);
    }

    @Test
    void models_resolveByNameAliasOrTask_withTypedErrors() {
        ServedModels models = new ServedModels(List.of(EMBEDDER, CLASSIFIER));
        assertThat(models.resolve(null, Task.CLASSIFICATION)).isSameAs(CLASSIFIER);
        assertThat(models.resolve("embedder-folder", Task.EMBEDDING)).isSameAs(EMBEDDER);
        assertThat(models.find("nope")).isEmpty();
        assertThatThrownBy(() -> models.resolve("nope", Task.EMBEDDING)).isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.MODEL_NOT_FOUND))
                .hasMessageContaining("embedder, classifier");
        assertThatThrownBy(() -> models.resolve("classifier", Task.EMBEDDING)).isInstanceOf(PeregrineException.class)
                .satisfies(e -> assertThat(((PeregrineException) e).kind()).isEqualTo(ErrorKind.WRONG_TASK));
        assertThatThrownBy(() -> new ServedModels(List.of(CLASSIFIER)).resolve(null, Task.EMBEDDING))
                .hasMessageContaining("no embedding model is served");
    }

    @Test
    void cancellation_runsEachListenerOnce_theFirstReasonWins_andLateListenersRunAtOnce() {
        Cancellation c = new Cancellation();
        List<Throwable> seen = new ArrayList<>();
        c.onCancel(seen::add);
        assertThat(c.isCancelled()).isFalse();
        TimeoutException first = new TimeoutException("deadline");
        assertThat(c.cancel(first)).isTrue();
        assertThat(c.cancel(new CancellationException("gone"))).isFalse();
        assertThat(seen).containsExactly(first);
        c.onCancel(seen::add);
        assertThat(seen).containsExactly(first, first);
        assertThat(c.reason()).isSameAs(first);
    }

    @Test
    void serviceSettings_needARequestThread() {
        assertThatThrownBy(() -> new ServiceSettings(T, LongTextOptions.DEFAULTS, 0, Set.of()))
                .hasMessageContaining("requestThreads");
    }
}
