package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's first command, {@code ./peregrine serve}, on a fresh machine with no JDK and no Maven.
 * The launcher runs from a copy with a PATH that holds only what a bare Debian has plus stand-ins for
 * {@code id} (root or not) and {@code apt-get} (which records what it was asked and installs nothing),
 * so the test sees exactly what the launcher would run, without touching this machine.
 */
class LauncherScriptTest {

    @TempDir
    Path dir;

    @Test
    void asRoot_withoutJdkOrMaven_installsBothWithAptGet() throws Exception {
        Path bin = bareBin(0, true);
        Result r = launch(bin);
        assertThat(r.exit()).isNotZero(); // the stand-in apt-get installs nothing, so the build cannot start
        assertThat(r.err()).contains("peregrine: installing openjdk-17-jdk-headless maven (apt-get)...");
        assertThat(Files.readAllLines(dir.resolve("apt.log")))
                .containsExactly("update -qq", "install -y -qq openjdk-17-jdk-headless maven");
    }

    @Test
    void notRoot_saysInOneLineWhatToRun_andInstallsNothing() throws Exception {
        Path bin = bareBin(1000, true);
        Result r = launch(bin);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("peregrine: needs openjdk-17-jdk-headless maven; run: sudo apt-get update "
                + "&& sudo apt-get install -y openjdk-17-jdk-headless maven");
        assertThat(dir.resolve("apt.log")).doesNotExist();
    }

    @Test
    void withoutAptGet_namesWhatIsNeeded() throws Exception {
        Path bin = bareBin(0, false);
        Result r = launch(bin);
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err().strip()).isEqualTo("peregrine: needs openjdk-17-jdk-headless maven (a JDK 17+ and Maven 3.8+); "
                + "install them with your package manager");
    }

    @Test
    void withPeregrineCds_theFirstRunRecordsAClassArchive_andLaterRunsUseIt_untilARebuild() throws Exception {
        Path checkout = Files.createDirectories(dir.resolve("cds-checkout"));
        Path launcher = checkout.resolve("peregrine");
        Files.copy(Path.of("..", "peregrine"), launcher);
        Path jar = Files.createDirectories(checkout.resolve("peregrine-cli/target")).resolve("peregrine.jar");
        Files.writeString(jar, "a built jar");
        Path bin = Files.createDirectories(dir.resolve("cds-bin"));
        script(bin.resolve("dirname"), "exec /usr/bin/dirname \"$@\"");
        script(bin.resolve("find"), "exec /usr/bin/find \"$@\"");
        script(bin.resolve("rm"), "exec /bin/rm \"$@\"");
        // A stand-in JVM that records its arguments, and writes the archive when asked to record one.
        Path args = dir.resolve("java-args.txt");
        script(bin.resolve("java"), "echo \"$*\" > '" + args + "'\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done");
        Path archive = checkout.resolve("peregrine-cli/target/peregrine-serve.jsa");

        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(Files.readString(args)).contains("-XX:ArchiveClassesAtExit=" + archive).contains("-jar " + jar);
        assertThat(archive).exists();
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(Files.readString(args)).contains("-XX:SharedArchiveFile=" + archive);

        // A rebuilt jar is newer than the archive: record again.
        Files.setLastModifiedTime(jar, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(Files.readString(args)).contains("-XX:ArchiveClassesAtExit=" + archive);

        assertThat(runLauncher(launcher, bin, null)).isZero();
        assertThat(Files.readString(args)).as("off by default").doesNotContain("-XX:").startsWith("-jar " + jar);
    }

    private int runLauncher(Path launcher, Path bin, String cds) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", launcher.toString(), "serve")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .directory(dir.toFile());
        pb.environment().put("PATH", bin.toString());
        pb.environment().remove("JAVA_OPTS");
        if (cds != null) {
            pb.environment().put("PEREGRINE_CDS", cds);
        } else {
            pb.environment().remove("PEREGRINE_CDS");
        }
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return p.exitValue();
    }

    private record Result(int exit, String err) {
    }

    /** A copy of the launcher in an empty checkout (no jar built yet), run with {@code bin} as PATH. */
    private Result launch(Path bin) throws IOException, InterruptedException {
        Path checkout = Files.createDirectories(dir.resolve("checkout"));
        Path launcher = checkout.resolve("peregrine");
        Files.copy(Path.of("..", "peregrine"), launcher);
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", launcher.toString(), "serve")
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(dir.resolve("stderr.txt").toFile())
                .directory(dir.toFile());
        pb.environment().put("PATH", bin.toString());
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        return new Result(p.exitValue(), Files.readString(dir.resolve("stderr.txt"), StandardCharsets.UTF_8));
    }

    private Path bareBin(int uid, boolean withAptGet) throws IOException {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        script(bin.resolve("dirname"), "exec /usr/bin/dirname \"$@\"");
        script(bin.resolve("id"), "echo " + uid);
        if (withAptGet) {
            script(bin.resolve("apt-get"), "echo \"$*\" >> '" + dir.resolve("apt.log") + "'\n[ \"$1\" = update ]");
        }
        return bin;
    }

    private static void script(Path file, String body) throws IOException {
        Files.writeString(file, "#!/bin/bash\n" + body + "\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
}
