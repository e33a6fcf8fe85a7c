package dev.peregrine.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
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
    void withCdsOn_theFirstRunRecordsAClassArchive_aLaterRunChecksAndUsesIt_untilARebuildOrAnotherJdk() throws Exception {
        Checkout c = checkout("cds");
        Path launcher = c.launcher();
        Path target = c.target();
        Path jar = c.jar();
        Path bin = c.bin();
        // A stand-in JVM: records its arguments, writes an archive when asked to record one, and with
        // -Xshare:on fails unless the archive it maps is a whole one.
        Path args = dir.resolve("java-args.txt");
        Path javaBin = bin.resolve("java");
        script(javaBin, "echo \"$*\" >> '" + args + "'\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:ArchiveClassesAtExit=*) echo archive > \"${a#*=}\";; esac; done\n"
                + "case \" $* \" in *' -Xshare:on '*) for a in \"$@\"; do case \"$a\" in -XX:SharedArchiveFile=*) "
                + "[ \"$(cat \"${a#*=}\")\" = archive ] || exit 1;; esac; done;; esac");

        // 1. No archive: the run records one, under a temporary name, with the JVM's warnings off stdout.
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        String first = lastLine(args);
        assertThat(first).contains("-XX:ArchiveClassesAtExit=").contains(".tmp").contains("-Xlog:disable")
                .contains(":stderr").contains("-jar " + jar);
        assertThat(archives(target)).isEmpty();

        // 2. The next run maps the recording with -Xshare:on, makes it the archive, and uses it.
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        List<String> lines = Files.readAllLines(args);
        assertThat(lines.get(lines.size() - 2)).contains("-Xshare:on").contains("-version");
        List<Path> archives = archives(target);
        assertThat(archives).hasSize(1);
        Path archive = archives.get(0);
        assertThat(archive.getFileName().toString()).startsWith("peregrine-serve-").endsWith(".jsa");
        assertThat(lastLine(args)).contains("-XX:SharedArchiveFile=" + archive).doesNotContain("ArchiveClassesAtExit");
        assertThat(tmpFiles(target)).isEmpty();

        // 3. A rebuilt jar is newer than the archive: record again.
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).contains("-XX:ArchiveClassesAtExit=");
        assertThat(archive).doesNotExist();

        // 4. A recording cut short (its JVM killed while writing) would crash a JVM that maps it: it
        //    fails the check, is deleted, and the run records again.
        List<Path> recordings = tmpFiles(target);
        assertThat(recordings).hasSize(1);
        Files.writeString(recordings.get(0), "arch");
        Files.setLastModifiedTime(recordings.get(0),
                FileTime.fromMillis(System.currentTimeMillis() + 120_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(recordings.get(0)).doesNotExist();
        assertThat(archives(target)).isEmpty();
        assertThat(lastLine(args)).contains("-XX:ArchiveClassesAtExit=").doesNotContain("SharedArchiveFile");

        // 5. Another JDK (the java binary changed): the archive of the old one is not used, and goes.
        Files.setLastModifiedTime(tmpFiles(target).get(0),
                FileTime.fromMillis(System.currentTimeMillis() + 120_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        Path before = archives(target).get(0);
        Files.writeString(javaBin, Files.readString(javaBin) + "\n# another build\n");
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).contains("-XX:ArchiveClassesAtExit=").doesNotContain("SharedArchiveFile");
        assertThat(before).doesNotExist();

        // 6. By default (OpenJDK 17's dump at exit can crash) and opted out: no archive flags at all.
        assertThat(runLauncher(launcher, bin, null)).isZero();
        assertThat(lastLine(args)).as("default").doesNotContain("-X").startsWith("-jar " + jar);
        assertThat(runLauncher(launcher, bin, "0")).isZero();
        assertThat(lastLine(args)).as("PEREGRINE_CDS=0").doesNotContain("-X").startsWith("-jar " + jar);
    }

    @Test
    void loadtest_compilesWithC1Only_unlessJavaOptsSaySomethingAboutTheJit() throws Exception {
        Checkout c = checkout("jit");
        Path launcher = c.launcher();
        Path bin = c.bin();
        Path args = dir.resolve("jit-args.txt");
        script(bin.resolve("java"), "echo \"$*\" >> '" + args + "'");

        assertThat(runLauncher(launcher, bin, null, null, "loadtest")).isZero();
        assertThat(lastLine(args)).contains("-XX:TieredStopAtLevel=1").contains("-jar");
        assertThat(runLauncher(launcher, bin, null, null, "serve")).isZero();
        assertThat(lastLine(args)).as("the server keeps C2").doesNotContain("TieredStopAtLevel");
        assertThat(runLauncher(launcher, bin, null, "-XX:TieredStopAtLevel=4", "loadtest")).isZero();
        assertThat(lastLine(args)).as("JAVA_OPTS wins").doesNotContain("TieredStopAtLevel=1")
                .contains("-XX:TieredStopAtLevel=4");
    }

    /** A copy of the launcher beside a stand-in built jar, and a PATH of the tools it uses (no java yet). */
    private record Checkout(Path launcher, Path target, Path jar, Path bin) {
    }

    private Checkout checkout(String name) throws IOException {
        Path root = Files.createDirectories(dir.resolve(name + "-checkout"));
        Path launcher = root.resolve("peregrine");
        Files.copy(Path.of("..", "peregrine"), launcher);
        Path target = Files.createDirectories(root.resolve("peregrine-cli/target"));
        Path jar = target.resolve("peregrine.jar");
        Files.writeString(jar, "a built jar");
        Path bin = Files.createDirectories(dir.resolve(name + "-bin"));
        for (String tool : new String[] {"dirname", "find", "rm", "mv", "cat", "ls", "cksum", "cut", "readlink"}) {
            String path = Files.isExecutable(Path.of("/usr/bin", tool)) ? "/usr/bin/" + tool : "/bin/" + tool;
            script(bin.resolve(tool), "exec " + path + " \"$@\"");
        }
        return new Checkout(launcher, target, jar, bin);
    }

    private static String lastLine(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        return lines.get(lines.size() - 1);
    }

    private static List<Path> archives(Path target) throws IOException {
        try (var files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".jsa")).toList();
        }
    }

    private static List<Path> tmpFiles(Path target) throws IOException {
        try (var files = Files.list(target)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".tmp")).toList();
        }
    }

    private int runLauncher(Path launcher, Path bin, String cds) throws IOException, InterruptedException {
        return runLauncher(launcher, bin, cds, null, "serve");
    }

    private int runLauncher(Path launcher, Path bin, String cds, String javaOpts, String command)
            throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/bash", launcher.toString(), command)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .redirectError(ProcessBuilder.Redirect.DISCARD)
                .directory(dir.toFile());
        pb.environment().put("PATH", bin.toString());
        if (javaOpts == null) {
            pb.environment().remove("JAVA_OPTS");
        } else {
            pb.environment().put("JAVA_OPTS", javaOpts);
        }
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
