package dev.peregrine.cli;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import io.opentelemetry.instrumentation.logback.mdc.v1_0.OpenTelemetryAppender;
import java.io.OutputStream;
import org.slf4j.LoggerFactory;
import org.slf4j.bridge.SLF4JBridgeHandler;

/**
 * {@code serve --json-logs}: every log line becomes one JSON object, written by logback's own
 * {@link JsonEncoder}: {@code timestamp} (epoch ms), {@code level}, {@code threadName},
 * {@code loggerName}, {@code mdc} (with {@code trace_id}, {@code span_id} and {@code trace_flags}
 * while a request's span is current, put there by OpenTelemetry's logback MDC appender),
 * {@code kvpList} (the key-value fields a line carries, such as the access log's route and status),
 * {@code formattedMessage} and {@code throwable}.
 */
final class JsonLogs {

    private JsonLogs() {
    }

    /**
     * Sends {@code java.util.logging} records through logback too (the OpenTelemetry SDK reports a
     * collector it cannot reach that way), so that every line has the one format. Idempotent.
     */
    static synchronized void routeJavaUtilLogging() {
        if (!SLF4JBridgeHandler.isInstalled()) {
            SLF4JBridgeHandler.removeHandlersForRootLogger();
            SLF4JBridgeHandler.install();
        }
    }

    /** JSON lines on stderr, in place of the plain ones. */
    static void install() {
        install(System.err);
    }

    /** JSON lines on {@code out} (tests read them back). */
    static void install(OutputStream out) {
        routeJavaUtilLogging();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext(context);
        // The message once, formatted; not the logger context's birth date and properties on every line.
        encoder.setWithFormattedMessage(true);
        encoder.setWithMessage(false);
        encoder.setWithArguments(false);
        encoder.setWithContext(false);
        encoder.setWithSequenceNumber(false);
        encoder.setWithNanoseconds(false);
        encoder.start();

        OutputStreamAppender<ILoggingEvent> json = new OutputStreamAppender<>();
        json.setContext(context);
        json.setName("json");
        json.setEncoder(encoder);
        json.setOutputStream(out);
        json.setImmediateFlush(true);
        json.start();

        OpenTelemetryAppender traced = new OpenTelemetryAppender();
        traced.setContext(context);
        traced.setName("json-traced");
        traced.addAppender(json);
        traced.start();

        Logger root = context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.detachAndStopAllAppenders();
        root.addAppender(traced);
    }
}
