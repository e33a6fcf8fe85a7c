package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.Configurator;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/** The command's logging, configured in code: the same levels and stderr format the XML gave. */
class LogSetupTest {

    @Test
    void logbackFindsIt_asAConfiguratorService() {
        assertThat(ServiceLoader.load(Configurator.class).stream().map(ServiceLoader.Provider::type))
                .contains(LogSetup.class);
    }

    @Test
    void ourMessagesAtInfo_librariesOnlyWhenWrong_onStderr_andJavaUtilLoggingFollowsTheLevels() {
        LoggerContext context = new LoggerContext();
        Configurator.ExecutionStatus status = new LogSetup().configure(context);
        assertThat(status).isEqualTo(Configurator.ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY);

        ch.qos.logback.classic.Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        assertThat(root.getLevel()).isEqualTo(Level.INFO);
        assertThat(root.getAppender("STDERR")).isInstanceOf(ch.qos.logback.core.ConsoleAppender.class);
        assertThat(((ch.qos.logback.core.ConsoleAppender<?>) root.getAppender("STDERR")).getTarget()).isEqualTo("System.err");
        assertThat(context.getLogger("dev.peregrine.server.PeregrineServer").isInfoEnabled()).isTrue();
        assertThat(context.getLogger("io.netty.channel.X").isInfoEnabled()).isFalse();
        assertThat(context.getLogger("io.netty.channel.X").isWarnEnabled()).isTrue();
        assertThat(context.getLogger("ai.djl.huggingface.X").isWarnEnabled()).isFalse();
        // The level change reached java.util.logging's logger of the same name.
        assertThat(java.util.logging.Logger.getLogger("io.vertx").getLevel()).isEqualTo(java.util.logging.Level.WARNING);
        context.stop();
    }
}
