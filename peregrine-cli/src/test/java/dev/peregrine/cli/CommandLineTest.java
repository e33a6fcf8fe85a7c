package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The command line is built for the command being run, and whole when none is named. */
class CommandLineTest {

    @Test
    void aNamedCommand_isTheOnlyOneBuilt_andKeepsTheInheritedOptions() {
        CommandLine cli = Main.commandLine("serve");
        assertThat(cli.getSubcommands()).containsOnlyKeys("serve");
        CommandLine serve = cli.getSubcommands().get("serve");
        assertThat(serve.getCommandSpec().findOption("--verbose")).as("inherited from peregrine").isNotNull();
        assertThat(serve.getCommandSpec().findOption("--port")).isNotNull();
        CommandLine.ParseResult parsed = cli.parseArgs("serve", "--verbose", "--port", "9000");
        assertThat(parsed.subcommand().matchedOptionValue("--port", 0)).isEqualTo(9000);
        assertThat(parsed.subcommand().commandSpec().userObject()).isInstanceOf(ServeCommand.class);
        // Settings reach the command built alone too: enum values in any case.
        cli.parseArgs("serve", "--graph-optimization", "BASIC");
    }

    @Test
    void withoutACommand_orWithAnUnknownOne_everyCommandIsThere() {
        int all = PeregrineCommand.COMMANDS.size();
        assertThat(Main.commandLine().getSubcommands()).hasSize(all).containsKeys("predict", "serve", "bench");
        assertThat(Main.commandLine("--help").getSubcommands()).hasSize(all);
        assertThat(Main.commandLine("serv").getSubcommands()).hasSize(all);
    }

    @Test
    void aMistypedCommand_stillGetsItsSuggestion_andHelpListsEveryCommand() {
        StringWriter err = new StringWriter();
        int code = Main.run(new PrintWriter(new StringWriter()), new PrintWriter(err), "serv");
        assertThat(code).isEqualTo(ExitCode.USAGE.code());
        assertThat(err.toString()).contains("serve");

        StringWriter out = new StringWriter();
        assertThat(Main.run(new PrintWriter(out), new PrintWriter(new StringWriter()), "--help")).isZero();
        for (Class<?> c : PeregrineCommand.COMMANDS) {
            assertThat(out.toString()).contains(c.getAnnotation(CommandLine.Command.class).name());
        }
    }
}
