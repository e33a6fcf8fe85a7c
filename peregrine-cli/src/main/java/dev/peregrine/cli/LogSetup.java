package dev.peregrine.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.jul.LevelChangePropagator;
import ch.qos.logback.classic.spi.Configurator;
import ch.qos.logback.classic.spi.ConfiguratorRank;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.ConsoleAppender;
import ch.qos.logback.core.spi.ContextAwareBase;
import ch.qos.logback.core.status.NopStatusListener;
import java.util.Map;

/**
 * Logging for the {@code peregrine} command: our own messages at info, libraries only when something
 * is wrong, on stderr; {@code serve --json-logs} replaces the appender with JSON lines
 * ({@link JsonLogs}). Found by logback through {@code META-INF/services}, in code rather than a
 * {@code logback.xml}: reading the XML configuration took a few hundred milliseconds of every
 * command's start-up (measured 0.57-0.78 s against 0.34-0.37 s for the first log line, on a loaded
 * 2-core machine).
 */
@ConfiguratorRank(ConfiguratorRank.CUSTOM_HIGH_PRIORITY)
public final class LogSetup extends ContextAwareBase implements Configurator {

    /** Libraries heard from only when something is wrong. */
    static final Map<String, Level> LIBRARIES = Map.of(
            "ai.djl", Level.ERROR,
            "io.netty", Level.WARN,
            "io.vertx", Level.WARN,
            "io.lettuce", Level.WARN,
            "io.opentelemetry", Level.WARN);

    @Override
    public ExecutionStatus configure(LoggerContext context) {
        context.getStatusManager().add(new NopStatusListener());
        // Levels set here also apply to java.util.logging, so that disabled records cost nothing there.
        LevelChangePropagator propagator = new LevelChangePropagator();
        propagator.setContext(context);
        propagator.setResetJUL(true);
        context.addListener(propagator);
        propagator.start();

        PatternLayoutEncoder encoder = new PatternLayoutEncoder();
        encoder.setContext(context);
        encoder.setPattern("%d{HH:mm:ss.SSS} %level %logger{0} - %msg%n");
        encoder.start();
        ConsoleAppender<ILoggingEvent> stderr = new ConsoleAppender<>();
        stderr.setContext(context);
        stderr.setName("STDERR");
        stderr.setTarget("System.err");
        stderr.setEncoder(encoder);
        stderr.start();

        LIBRARIES.forEach((name, level) -> context.getLogger(name).setLevel(level));
        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(Level.INFO);
        root.addAppender(stderr);
        return ExecutionStatus.DO_NOT_INVOKE_NEXT_IF_ANY;
    }
}
