package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.peregrine.core.engine.EngineOptions;
import dev.peregrine.core.engine.GraphOptimization;
import dev.peregrine.core.engine.LongTextMode;
import dev.peregrine.server.ServeConfig;
import dev.peregrine.server.TracingConfig;
import java.lang.reflect.AnnotatedElement;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Option;

/**
 * Environment variables in option defaults, through the provider {@link Main} installs: with the
 * environment given as a map (the JVM's own cannot be changed from inside it), and once in a child
 * JVM with a real environment.
 */
class EnvDefaultsTest {

    private static final Pattern VARIABLE = Pattern.compile("\\$\\{env:([A-Za-z0-9_]+)");

    /** The command {@code args[0]} as parsed from {@code args} under {@code environment} alone. */
    @SuppressWarnings("unchecked")
    private static <T> T parsed(Map<String, String> environment, String... args) {
        CommandLine cli = Main.commandLine(args[0]);
        cli.setDefaultValueProvider(new EnvDefaults(environment::get));
        return (T) cli.parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void emptyVariables_countAsUnset_soIntEnumAndStringOptionsTakeTheirOwnDefaults() {
        Map<String, String> empty = Map.of("PEREGRINE_THREADS", "", "PEREGRINE_GRAPH_OPTIMIZATION", "",
                "PEREGRINE_MODEL", "", "PEREGRINE_MAX_BATCH_TOKENS", "");

        ModelOptions options = this.<PredictCommand>parsed(empty, "predict", "a text").modelOptions;

        assertThat(options.threads).isZero();
        assertThat(options.graphOptimization).isEqualTo(GraphOptimization.ALL);
        assertThat(options.model).isNull();   // not a model named ""
        assertThat(options.maxBatchTokens).isEqualTo(EngineOptions.DEFAULT_MAX_BATCH_TOKENS);
    }

    @Test
    void inAChildProcess_emptyVariablesInItsRealEnvironment_letTheCommandRun(@TempDir Path dir) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path missing = dir.resolve("no-such-model");
        ProcessBuilder child = new ProcessBuilder(java.toString(), "-Xmx64m", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "predict", "--model", missing.toString(), "a text")
                .redirectErrorStream(true);
        for (String name : List.of("PEREGRINE_THREADS", "PEREGRINE_GRAPH_OPTIMIZATION", "PEREGRINE_MAX_BATCH_SIZE",
                "PEREGRINE_VARIANT")) {
            child.environment().put(name, "");
        }
        Process process = child.start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();

        // past option parsing (which failed with "'' is not an int"), to the missing model
        assertThat(output).doesNotContain("Invalid value").contains("no such model folder or file: " + missing);
        assertThat(process.exitValue()).isEqualTo(ExitCode.MODEL.code());
    }

    @Test
    void aSetVariable_stillGivesTheDefault_andAFlagStillWins() {
        Map<String, String> set = Map.of("PEREGRINE_THREADS", "3", "PEREGRINE_GRAPH_OPTIMIZATION", "basic",
                "PEREGRINE_MODEL", "my-model");

        ModelOptions fromEnvironment = this.<PredictCommand>parsed(set, "predict", "a text").modelOptions;
        ModelOptions fromFlags = this.<PredictCommand>parsed(set, "predict", "--threads", "5", "--model", "other",
                "a text").modelOptions;

        assertThat(fromEnvironment.threads).isEqualTo(3);
        assertThat(fromEnvironment.graphOptimization).isEqualTo(GraphOptimization.BASIC);
        assertThat(fromEnvironment.model).isEqualTo("my-model");
        assertThat(fromFlags.threads).isEqualTo(5);
        assertThat(fromFlags.model).isEqualTo("other");
    }

    @Test
    void serve_withEmptyVariables_isConfiguredAsWithNone() {
        Map<String, String> empty = new HashMap<>();
        for (String name : List.of("PEREGRINE_PORT", "PEREGRINE_HOST", "PEREGRINE_THREADS", "PEREGRINE_MODELS",
                "PEREGRINE_CLASSIFY_FORMAT", "PEREGRINE_LONG_TEXT", "PEREGRINE_GRAPH_OPTIMIZATION",
                "PEREGRINE_ALLOW_SPINNING", "PEREGRINE_DRIFT", "PEREGRINE_MATRYOSHKA",
                "PEREGRINE_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT",
                "PEREGRINE_SERVICE_NAME", "OTEL_SERVICE_NAME")) {
            empty.put(name, "");
        }

        ServeConfig config = this.<ServeCommand>parsed(empty, "serve").config();
        ServeConfig unset = this.<ServeCommand>parsed(Map.of(), "serve").config();

        assertThat(config.port()).isEqualTo(ServeConfig.DEFAULT_PORT);
        assertThat(config.host()).isEqualTo(ServeConfig.DEFAULT_HOST);
        assertThat(config.threads()).isNull();
        assertThat(config.models()).isEmpty();
        assertThat(config.tracing()).isEqualTo(unset.tracing());
        assertThat(config.tracing().serviceName()).isEqualTo(TracingConfig.DEFAULT_SERVICE_NAME);
        assertThat(config).isEqualTo(unset);
    }

    @Test
    void aFallbackThatIsItselfAVariable_isUsedWhenTheFirstIsEmpty() {
        ServeCommand serve = parsed(Map.of("PEREGRINE_SERVICE_NAME", "", "OTEL_SERVICE_NAME", "from-otel",
                "PEREGRINE_OTLP_ENDPOINT", "", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), "serve");

        assertThat(serve.serviceName).isEqualTo("from-otel");
        assertThat(serve.otlpEndpoint).isEqualTo("http://collector:4318");
    }

    @Test
    void everyOptionOfEveryCommand_getsTheSameDefaultFromAnEmptyVariableAsFromAnUnsetOne() {
        CommandLine cli = Main.commandLine();
        Map<String, String> none = Map.of();
        Map<String, String> empty = new HashMap<>();
        List<ArgSpec> args = new ArrayList<>();
        cli.getSubcommands().values().forEach(sub -> {
            args.addAll(sub.getCommandSpec().options());
            args.addAll(sub.getCommandSpec().positionalParameters());
        });
        for (ArgSpec arg : args) {
            Matcher m = VARIABLE.matcher(declaredDefault(arg));
            while (m.find()) {
                empty.put(m.group(1), "");
            }
        }
        assertThat(empty).containsKeys("PEREGRINE_THREADS", "PEREGRINE_TARGET_CPU", "PEREGRINE_MODEL");

        EnvDefaults unset = new EnvDefaults(none::get);
        EnvDefaults blank = new EnvDefaults(empty::get);
        List<String> differ = new ArrayList<>();
        TreeSet<String> resolved = new TreeSet<>();
        for (ArgSpec arg : args) {
            // null (picocli's own lookup, an unset variable) and NULL_VALUE both mean no default
            String fromUnset = noDefaultAsNull(unset.defaultValue(arg));
            String fromEmpty = noDefaultAsNull(blank.defaultValue(arg));
            if (!Objects.equals(fromUnset, fromEmpty)) {
                differ.add(arg + ": " + fromUnset + " vs " + fromEmpty);
            }
            if (fromEmpty != null && !fromEmpty.isEmpty()) {
                resolved.add(arg.toString());
            }
        }
        assertThat(differ).isEmpty();
        assertThat(resolved).isNotEmpty();   // the provider answered for them, not picocli's own lookup

        // and the help of every command states no placeholder where an empty variable's default is
        cli.setDefaultValueProvider(blank);
        cli.getSubcommands().forEach((name, sub) -> assertThat(sub.getUsageMessage())
                .as(name).doesNotContain(Option.NULL_VALUE).doesNotContain("${").doesNotContain("Default: ."));
    }

    /** A command whose defaults exercise the syntax: text around a variable, nesting, picocli's escape. */
    @Command(name = "fixture")
    static final class Fixture {
        @Option(names = "--around", defaultValue = "http://${env:PEREGRINE_T_HOST:-localhost}:${env:PEREGRINE_T_PORT:-80}/")
        String around;

        @Option(names = "--nested",
                defaultValue = "${env:PEREGRINE_T_A:-${env:PEREGRINE_T_B:-${env:PEREGRINE_T_C:-deepest}}}")
        String nested;

        @Option(names = "--lone", defaultValue = "${env:PEREGRINE_T_KEY}")
        String lone = "initial";

        @Option(names = "--escaped", defaultValue = "$${env:PEREGRINE_T_HOST}")
        String escaped;
    }

    private static Fixture fixture(Map<String, String> environment) {
        Fixture fixture = new Fixture();
        new CommandLine(fixture).setDefaultValueProvider(new EnvDefaults(environment::get)).parseArgs();
        return fixture;
    }

    @Test
    void syntax_textAroundNestingAndEscapes_withEmptyVariablesAsUnset() {
        Fixture unset = fixture(Map.of());
        assertThat(unset.around).isEqualTo("http://localhost:80/");
        assertThat(unset.nested).isEqualTo("deepest");
        assertThat(unset.lone).isEqualTo("initial");   // no default: the field keeps its own value
        assertThat(unset.escaped).isEqualTo("${env:PEREGRINE_T_HOST}");

        Fixture empty = fixture(Map.of("PEREGRINE_T_HOST", "", "PEREGRINE_T_PORT", "8080", "PEREGRINE_T_A", "",
                "PEREGRINE_T_B", "", "PEREGRINE_T_C", "c", "PEREGRINE_T_KEY", ""));
        assertThat(empty.around).isEqualTo("http://localhost:8080/");
        assertThat(empty.nested).isEqualTo("c");
        assertThat(empty.lone).isEqualTo("initial");
        assertThat(empty.escaped).isEqualTo("${env:PEREGRINE_T_HOST}");
    }

    @Test
    void aValueIsTakenLiterally_evenWhenItLooksLikePicocliSyntax() {
        Fixture f = fixture(Map.of("PEREGRINE_T_KEY", "s3cr$$t-${sys:user.home}", "PEREGRINE_T_B", "b"));
        assertThat(f.lone).isEqualTo("s3cr$$t-${sys:user.home}");
        assertThat(f.nested).isEqualTo("b");
    }

    @Test
    void booleanFlagsWithoutAFallback_haveNoDefaultWhenTheirVariableIsEmpty_andTheFlagStillTurnsThemOn() {
        Map<String, String> empty = Map.of("PEREGRINE_AUTO_TRUNCATE", "", "PEREGRINE_ALLOW_SPINNING", "");

        ServeCommand none = parsed(empty, "serve");
        ServeCommand on = parsed(empty, "serve", "--auto-truncate", "--allow-spinning");
        ServeCommand off = parsed(empty, "serve", "--no-auto-truncate");

        assertThat(none.autoTruncate).isNull();
        assertThat(none.allowSpinning).isNull();   // peregrine.json decides, not an empty variable
        assertThat(none.config().longText().mode()).isEqualTo(LongTextMode.REJECT);
        assertThat(on.autoTruncate).isTrue();
        assertThat(on.allowSpinning).isTrue();
        assertThat(on.config().longText().mode()).isEqualTo(LongTextMode.TRUNCATE);
        assertThat(off.autoTruncate).isFalse();
    }

    @Test
    void booleanConverter_isPicocliRule_withNoDefaultAsFalse() {
        assertThat(EnvDefaults.parseBoolean("TRUE")).isTrue();
        assertThat(EnvDefaults.parseBoolean("false")).isFalse();
        assertThat(EnvDefaults.parseBoolean(Option.NULL_VALUE)).isFalse();
        assertThatThrownBy(() -> EnvDefaults.parseBoolean("")).isInstanceOf(CommandLine.TypeConversionException.class)
                .hasMessage("'' is not a boolean");
        assertThatThrownBy(() -> EnvDefaults.parseBoolean("yes")).isInstanceOf(CommandLine.TypeConversionException.class);
    }

    private static String noDefaultAsNull(String value) {
        return Option.NULL_VALUE.equals(value) ? null : value;
    }

    private static String declaredDefault(ArgSpec arg) {
        if (arg.userObject() instanceof AnnotatedElement e && e.getAnnotation(Option.class) != null) {
            return e.getAnnotation(Option.class).defaultValue();
        }
        if (arg.userObject() instanceof AnnotatedElement e && e.getAnnotation(CommandLine.Parameters.class) != null) {
            return e.getAnnotation(CommandLine.Parameters.class).defaultValue();
        }
        return "";
    }
}
