package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.server.LongTextConfig;
import dev.peregrine.server.ModelSpec;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TracingConfig;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The serve options: each declared once with its env variable and default, mapped onto ServeConfig. */
class ServeCommandTest {

    private static ServeConfig parse(String... args) {
        CommandLine cli = Main.commandLine();
        CommandLine.ParseResult result = cli.parseArgs(args);
        ServeCommand serve = (ServeCommand) result.subcommand().commandSpec().userObject();
        return serve.config();
    }

    @Test
    void noFlags_giveServeConfigsDefaults_andLeaveHintableSettingsToPeregrineJson() {
        ServeConfig config = parse("serve");
        ServeConfig defaults = ServeConfig.builder().build();
        assertThat(config.port()).isEqualTo(defaults.port());
        assertThat(config.host()).isEqualTo(defaults.host());
        assertThat(config.maxInputs()).isEqualTo(256);
        assertThat(config.maxBodyBytes()).isEqualTo(10L * 1024 * 1024);
        assertThat(config.maxQueueDelay()).isEqualTo(Duration.ZERO);
        assertThat(config.requestTimeout()).isEqualTo(defaults.requestTimeout());
        assertThat(config.headerTimeout()).isEqualTo(defaults.headerTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.bodyTimeout()).isEqualTo(defaults.bodyTimeout()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.idleTimeout()).isEqualTo(defaults.idleTimeout()).isEqualTo(Duration.ofSeconds(75));
        assertThat(config.drainIdleGrace()).isEqualTo(defaults.drainIdleGrace()).isEqualTo(Duration.ofSeconds(3));
        assertThat(config.instances()).isNull();
        assertThat(config.threads()).isNull();
        assertThat(config.maxBatchSize()).isNull();
        assertThat(config.passOverheadTokens()).isEqualTo(defaults.passOverheadTokens()).isEqualTo(8);
        assertThat(config.models()).isEmpty();
        assertThat(config.apiKey()).isNull();
    }

    @Test
    void instancesShareWeights_andTheGraphCacheLivesInTheHome_byDefault_eachWithAWayOut() {
        ServeConfig config = parse("serve");
        assertThat(config.shareWeights()).isTrue();
        assertThat(config.graphCache()).isEqualTo(dev.peregrine.core.model.PeregrineHome.fromEnvironment().root()
                .resolve("optimized"));
        assertThat(parse("serve", "--no-share-weights").shareWeights()).isFalse();
        assertThat(parse("serve", "--graph-cache", "off").graphCache()).isNull();
        assertThat(parse("serve", "--graph-cache", "/tmp/graphs").graphCache()).isEqualTo(Path.of("/tmp/graphs"));
    }

    @Test
    void flags_setEveryField_andRepeatedModelsKeepTheirNames() {
        ServeConfig config = parse("serve", "--model", "support=/models/support", "-m", "all-minilm-l6-v2",
                "--port", "0", "--host", "127.0.0.1", "--instances", "2", "--threads", "1", "--max-batch-size", "16",
                "--max-queue-delay", "2", "--max-inputs", "8", "--max-queued-texts", "64", "--api-key", "s3cret",
                "--request-timeout", "1500", "--auto-truncate", "--header-timeout", "2000", "--body-timeout", "3000",
                "--idle-timeout", "4000", "--pass-overhead-tokens", "20", "--drain-idle-grace", "500");
        assertThat(config.models()).containsExactly(new ModelSpec("support", "/models/support"),
                new ModelSpec(null, "all-minilm-l6-v2"));
        assertThat(config.port()).isZero();
        assertThat(config.instances()).isEqualTo(2);
        assertThat(config.threads()).isEqualTo(1);
        assertThat(config.maxBatchSize()).isEqualTo(16);
        assertThat(config.passOverheadTokens()).isEqualTo(20);
        assertThat(config.maxQueueDelay()).isEqualTo(Duration.ofMillis(2));
        assertThat(config.maxInputs()).isEqualTo(8);
        assertThat(config.requestTimeout()).isEqualTo(Duration.ofMillis(1500));
        assertThat(config.longText().mode()).isEqualTo(LongTextMode.TRUNCATE);
        assertThat(config.headerTimeout()).isEqualTo(Duration.ofMillis(2000));
        assertThat(config.bodyTimeout()).isEqualTo(Duration.ofMillis(3000));
        assertThat(config.idleTimeout()).isEqualTo(Duration.ofMillis(4000));
        assertThat(config.drainIdleGrace()).isEqualTo(Duration.ofMillis(500));
        assertThat(config.describe().get("api-key")).doesNotContain("s3cret");
        assertThat(config.toString()).doesNotContain("s3cret");
    }

    @Test
    void tracingIsOff_withoutAnEndpoint_andTheTracingFlagsFillTracingConfig() {
        TracingConfig off = parse("serve").tracing();
        assertThat(off.enabled()).isFalse();
        assertThat(off.serviceName()).isEqualTo("peregrine");
        assertThat(off.sampleRatio()).isEqualTo(1.0);
        assertThat(off.accessLog()).isFalse();
        TracingConfig on = parse("serve", "--otlp-endpoint", "http://collector:4318", "--service-name", "support-embedder",
                "--trace-sample-ratio", "0.25", "--access-log").tracing();
        assertThat(on.tracesUrl()).hasToString("http://collector:4318/v1/traces");
        assertThat(on.serviceName()).isEqualTo("support-embedder");
        assertThat(on.sampleRatio()).isEqualTo(0.25);
        assertThat(on.accessLog()).isTrue();
        assertThat(parse("serve", "--otlp-endpoint", "https://otel.example:443/custom/traces").tracing().tracesUrl())
                .hasToString("https://otel.example:443/custom/traces");
    }

    @Test
    void aBadOtlpEndpointOrRatio_isABadFlag() {
        CliRun endpoint = CliRun.of("serve", "--otlp-endpoint", "collector:4318");
        assertThat(endpoint.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(endpoint.err()).contains("OTLP endpoint");
        CliRun ratio = CliRun.of("serve", "--trace-sample-ratio", "1.5");
        assertThat(ratio.exitCode()).isEqualTo(ExitCode.USAGE.code());
        assertThat(ratio.err()).contains("sample ratio");
    }

    @Test
    void teiNames_payloadLimitIsTheBodyLimit_andTheEmbeddingOptionsReachTheConfig() {
        assertThat(parse("serve", "--payload-limit", "12345").maxBodyBytes()).isEqualTo(12345);
        ServeConfig config = parse("serve", "--default-prompt-name", "query", "--matryoshka", "a,b",
                "--allow-any-dimensions");
        assertThat(config.embeddings().defaultPromptName()).isEqualTo("query");
        assertThat(config.embeddings().matryoshkaModels()).containsExactlyInAnyOrder("a", "b");
        assertThat(config.embeddings().allowAnyDimensions()).isTrue();
        assertThat(parse("serve").embeddings()).isEqualTo(dev.peregrine.server.EmbeddingsConfig.defaults());
        assertThat(parse("serve", "--default-prompt", "query: ").embeddings().defaultPrompt()).isEqualTo("query: ");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> parse("serve", "--default-prompt", "q: ",
                "--default-prompt-name", "query")).hasMessageContaining("exclusive");
    }

    @Test
    void longText_isRejectByDefault_chunkWithItsOverlapAndCharacterLimit_andTheOldAutoTruncateStillMeansTruncate() {
        ServeConfig defaults = parse("serve");
        assertThat(defaults.longText()).isEqualTo(new LongTextConfig(LongTextMode.REJECT, 32, 100_000));
        assertThat(defaults.longText()).isEqualTo(ServeConfig.builder().build().longText());

        ServeConfig chunk = parse("serve", "--long-text", "chunk", "--long-text-overlap", "16",
                "--long-text-max-chars", "50000");
        assertThat(chunk.longText()).isEqualTo(new LongTextConfig(LongTextMode.CHUNK, 16, 50_000));
        assertThat(chunk.describe().get("long-text")).contains("chunk").contains("50000");

        assertThat(parse("serve", "--auto-truncate").longText().mode()).isEqualTo(LongTextMode.TRUNCATE);
        assertThat(parse("serve", "--no-auto-truncate").longText().mode()).isEqualTo(LongTextMode.REJECT);
        assertThat(parse("serve", "--auto-truncate", "--long-text", "chunk").longText().mode())
                .as("--long-text wins").isEqualTo(LongTextMode.CHUNK);

        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "serve", "--long-text", "split");
        assertThat(code).isEqualTo(ExitCode.USAGE.code());
        assertThat(err.toString()).contains("--long-text must be truncate, chunk or reject");
        err = new StringWriter();
        code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "serve", "--long-text-overlap", "-1");
        assertThat(code).isEqualTo(ExitCode.USAGE.code());
        assertThat(err.toString()).contains("overlap must be >= 0");
    }

    @Test
    void modelRepository_isAccepted() {
        assertThat(parse("serve", "--model-repository", "/srv/models").modelRepository()).isEqualTo(Path.of("/srv/models"));
    }

    @Test
    void help_showsEveryOptionsEnvironmentVariableAndDefault() {
        StringWriter out = new StringWriter();
        int code = Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "serve", "--help");
        assertThat(code).isZero();
        String help = out.toString().replaceAll("\\s+", " ");
        for (String env : new String[] {"PEREGRINE_MODELS", "PEREGRINE_PORT", "PEREGRINE_HOST", "PEREGRINE_API_KEY",
            "PEREGRINE_INSTANCES", "PEREGRINE_THREADS", "PEREGRINE_MAX_BATCH_SIZE", "PEREGRINE_MAX_BATCH_TOKENS",
            "PEREGRINE_MAX_QUEUE_DELAY_MS", "PEREGRINE_MAX_QUEUED_TEXTS", "PEREGRINE_MAX_INPUTS",
            "PEREGRINE_MAX_BODY_BYTES", "PEREGRINE_REQUEST_TIMEOUT_MS", "PEREGRINE_SHUTDOWN_TIMEOUT_MS",
            "PEREGRINE_HEADER_TIMEOUT_MS", "PEREGRINE_BODY_TIMEOUT_MS", "PEREGRINE_IDLE_TIMEOUT_MS",
            "PEREGRINE_LONG_TEXT", "PEREGRINE_LONG_TEXT_OVERLAP", "PEREGRINE_LONG_TEXT_MAX_CHARS"}) {
            assertThat(help).contains(env);
        }
        assertThat(help).contains("Default: 8080").contains("Default: 256").contains("Default: 10485760");
    }

    @Test
    void loadtest_needsExactlyOneOfConcurrencyOrRate() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "loadtest", "--url",
                "http://127.0.0.1:1/embed", "--duration", "1s");
        assertThat(code).isEqualTo(ExitCode.USAGE.code());
        assertThat(err.toString()).contains("exactly one of --concurrency");
    }
}
