package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Over picocli's model of every subcommand: the same concept has the same names and the same
 * default everywhere, and every command and option says what it does.
 */
class OptionConsistencyTest {

    /**
     * Concepts more than one command has, with the one set of names each must be declared with.
     * A command that spells one of them differently (say {@code --text-column} alone, or
     * {@code --quiet} for "no progress") fails.
     */
    static final Map<String, Set<String>> CONCEPTS = Map.ofEntries(
            Map.entry("model", Set.of("-m", "--model")),
            Map.entry("ONNX variant", Set.of("--variant")),
            Map.entry("text column", Set.of("-c", "--column", "--text-column")),
            Map.entry("label column", Set.of("--label-column")),
            Map.entry("texts file", Set.of("-d", "--data")),
            Map.entry("format of --data", Set.of("--data-format")),
            Map.entry("format of --input", Set.of("--input-format")),
            Map.entry("no progress on stderr", Set.of("--no-progress")),
            Map.entry("report format on stdout", Set.of("--format")),
            Map.entry("HTML report", Set.of("--report")),
            Map.entry("intra-op threads", Set.of("--threads")),
            Map.entry("texts per pass", Set.of("--max-batch-size")),
            Map.entry("padded tokens per pass", Set.of("--max-batch-tokens")),
            Map.entry("passes", Set.of("--passes")),
            Map.entry("serving sweep", Set.of("--sweep", "--no-sweep")));

    /**
     * Where a command's default differs on purpose, and why. Anything else that differs fails.
     */
    static final Map<String, String> DIFFERENT_ON_PURPOSE = Map.of(
            "loadtest --model", "the model field sent in requests; none lets each route use the server's default",
            "loadtest --input", "load needs texts, so a dozen built-in sentences; predict without --input takes arguments",
            "serve --threads", "serve divides the cores among --instances",
            "serve --model", "serve without --model serves the default embedder and the ticket classifier",
            "distill --data", "distillation needs many unlabelled texts: the shipped 24,000-text corpus, not the "
                    + "validation texts the student is judged on",
            "distill --learning-rate", "Adam on a transformer's weights, not gradient descent on a head",
            "distill --mode", "how the student is made (layers or head), not a quantization mode",
            "distill --test", "a ticket-label teacher is scored on the shipped held-out tickets",
            "distill --time-budget", "the default distillation must end within 20 minutes on 2 cores");

    /** Names once used for a concept above, by the command that may still use them for something else. */
    static final Map<String, Set<String>> OTHER_MEANING = Map.of(
            "--quiet", Set.of("pull"));   // pull: no progress and no summary, only the folder printed

    private static final Pattern DEFAULT = Pattern.compile("Default: (.*?)(?:\\.(?:\\s|$)|;|$)");

    private static final CommandLine CLI = Main.commandLine();

    @Test
    void everyConceptHasOneSetOfNames_inEveryCommandThatHasIt() {
        List<String> problems = new ArrayList<>();
        CLI.getSubcommands().forEach((command, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                Set<String> names = new TreeSet<>(Arrays.asList(o.names()));
                if (o.negatable()) {
                    names.add(o.longestName().replaceFirst("^--", "--no-"));
                }
                CONCEPTS.forEach((concept, expected) -> {
                    // matched by long names: short ones are per command (-c is --concurrency in loadtest)
                    boolean same = names.stream().filter(n -> n.startsWith("--")).anyMatch(expected::contains);
                    if (same && !names.equals(new TreeSet<>(expected))) {
                        problems.add(command + ": " + concept + " is " + names + ", expected " + new TreeSet<>(expected));
                    }
                });
                OTHER_MEANING.forEach((name, allowed) -> {
                    if (names.contains(name) && !allowed.contains(command)) {
                        problems.add(command + ": " + name + " (use the name of the concept it stands for)");
                    }
                });
            }
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void anOptionNameHasOneDefault_acrossCommands() {
        Map<String, Map<String, String>> defaults = new TreeMap<>();
        CLI.getSubcommands().forEach((command, sub) -> {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.usageHelp() || o.versionHelp() || o.required()
                        || DIFFERENT_ON_PURPOSE.containsKey(command + " " + o.longestName())) {
                    continue;   // a required option has no default
                }
                defaults.computeIfAbsent(o.longestName(), k -> new TreeMap<>()).put(command, describedDefault(o));
            }
        });
        List<String> problems = new ArrayList<>();
        defaults.forEach((name, byCommand) -> {
            if (new TreeSet<>(byCommand.values()).size() > 1) {
                problems.add(name + " defaults differ: " + byCommand);
            }
        });
        assertThat(problems).isEmpty();
    }

    @Test
    void helpDescribesEveryCommandAndOption() {
        List<String> problems = new ArrayList<>();
        CLI.getSubcommands().forEach((command, sub) -> {
            String[] description = sub.getCommandSpec().usageMessage().description();
            if (description.length == 0 || description[0].isBlank()) {
                problems.add(command + " has no description");
            } else if (!description[0].strip().endsWith(".")) {
                // the command list shows the first line alone: it must be a whole sentence
                problems.add(command + ": the summary in 'peregrine --help' stops mid-sentence: " + description[0]);
            }
            for (OptionSpec o : sub.getCommandSpec().options()) {
                if (o.description().length == 0 || o.description()[0].isBlank()) {
                    problems.add(command + " " + o.longestName() + " has no description");
                }
            }
        });
        assertThat(problems).isEmpty();
        CliRun help = CliRun.of("--help");
        for (String command : CLI.getSubcommands().keySet()) {
            assertThat(help.out()).containsPattern("(?m)^\\s+" + Pattern.quote(command) + "\\s+\\S");
        }
    }

    /**
     * picocli formats help text with {@code String.format}: a bare {@code %} ("5% warm-up") makes it
     * print a warning and the raw text, with its {@code %n} unreplaced, every time the help is shown.
     */
    @Test
    void everyHelpTextIsAValidFormatString() {
        java.io.PrintStream err = System.err;
        java.io.ByteArrayOutputStream warnings = new java.io.ByteArrayOutputStream();
        List<String> helps = new ArrayList<>();
        try {
            System.setErr(new java.io.PrintStream(warnings, true, java.nio.charset.StandardCharsets.UTF_8));
            CLI.getSubcommands().forEach((command, sub) -> helps.add(sub.getUsageMessage()));
        } finally {
            System.setErr(err);
        }
        assertThat(helps).hasSize(CLI.getSubcommands().size()).allSatisfy(h -> assertThat(h).doesNotContain("%n"));
        assertThat(warnings.toString(java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("picocli WARN");
    }

    @Test
    void theCheckSeesADifferentDefault() {
        // the rule above must be able to fail: a described default is what it compares
        OptionSpec a = OptionSpec.builder("--threads").description("Threads. Default: 0. Env: X.").build();
        OptionSpec b = OptionSpec.builder("--threads").description("Threads. Default: peregrine.json, else 4.").build();
        assertThat(describedDefault(a)).isEqualTo("0");
        assertThat(describedDefault(b)).isEqualTo("4");
    }

    /**
     * The default the help text states, else the declared default value. "peregrine.json, else X"
     * (serve reads an optimized model's settings first) counts as X, the default it falls back to.
     */
    static String describedDefault(OptionSpec o) {
        String text = String.join(" ", o.description());
        Matcher m = DEFAULT.matcher(text);
        String value = m.find() ? m.group(1) : String.valueOf(o.defaultValue());
        value = value.replaceFirst("^(the folder's )?peregrine\\.json, else ", "").replaceFirst("^the embedded ", "");
        int paren = value.indexOf(" (");
        return (paren > 0 ? value.substring(0, paren) : value).strip();
    }
}
