package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.peregrine.core.testing.EmbedOnce;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * ONNX Runtime 1.29.0 crashed the JVM at start-up when java.class.path reached 4,096 characters,
 * which IDE and build-tool class paths easily do. This runs the engine in a child JVM whose class
 * path is padded past that, so an upgrade that brings the crash back fails here, not at a user's.
 */
class LongClassPathTest {

    @Test
    void engineStarts_whenTheClassPathIsLong() throws Exception {
        StringBuilder padding = new StringBuilder();
        for (int i = 0; padding.length() < 8_000; i++) {
            padding.append("/nonexistent/peregrine/padding-entry-").append(i).append(".jar").append(File.pathSeparator);
        }
        String classPath = padding + System.getProperty("java.class.path");
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-cp", classPath,
                "-Dperegrine.home=" + System.getProperty("peregrine.home", "target/test-home"),
                EmbedOnce.class.getName())
                .redirectErrorStream(true).start();
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(finished).as("child JVM finished").isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        assertThat(output).contains("dimension 384");
        assertThat(classPath.length()).isGreaterThan(8_000);
        assertThat(List.of(output.split("\n"))).noneMatch(l -> l.contains("SIGSEGV"));
    }
}
