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
    void withCdsOn_aRunListsItsClasses_theNextWritesAStaticArchiveAndUsesIt_untilARebuildOrAnotherJdk() throws Exception {
        Checkout c = checkout("cds");
        Path launcher = c.launcher();
        Path target = c.target();
        Path jar = c.jar();
        Path bin = c.bin();
        // A stand-in JVM: records its arguments; writes a class list when asked to; dumps an archive
        // only from a whole list; with -Xshare:on fails unless the archive it maps is a whole one.
        Path args = dir.resolve("java-args.txt");
        Path javaBin = bin.resolve("java");
        script(javaBin, "echo \"$*\" >> '" + args + "'\n"
                + "list=; out=\n"
                + "for a in \"$@\"; do case \"$a\" in -XX:DumpLoadedClassList=*) echo classes > \"${a#*=}\";; "
                + "-XX:SharedClassListFile=*) list=\"${a#*=}\";; -XX:SharedArchiveFile=*) out=\"${a#*=}\";; esac; done\n"
                + "case \" $* \" in *' -Xshare:dump '*) [ \"$(cat \"$list\")\" = classes ] || exit 1; echo archive > \"$out\";; "
                + "*' -Xshare:on '*) [ \"$(cat \"$out\")\" = archive ] || exit 1;; esac");

        // 1. Nothing yet: the run lists the classes it loads, under a temporary name, warnings off stdout.
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        String first = lastLine(args);
        assertThat(first).contains("-XX:DumpLoadedClassList=").contains(".classlist.").contains(".tmp")
                .contains("-Xlog:disable").contains(":stderr").contains("-jar " + jar)
                .doesNotContain("ArchiveClassesAtExit");
        assertThat(archives(target)).isEmpty();

        // 2. The next run writes a static archive from that list, checks that it maps, and uses it.
        int before = Files.readAllLines(args).size();
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        List<String> run = Files.readAllLines(args).subList(before, Files.readAllLines(args).size());
        assertThat(run).hasSize(3);
        assertThat(run.get(0)).contains("-Xshare:dump").contains("-XX:SharedClassListFile=").contains(".classlist");
        assertThat(run.get(1)).contains("-Xshare:on").contains("-version");
        List<Path> archives = archives(target);
        assertThat(archives).hasSize(1);
        Path archive = archives.get(0);
        assertThat(archive.getFileName().toString()).startsWith("peregrine-serve-").endsWith(".jsa");
        assertThat(run.get(2)).contains("-XX:SharedArchiveFile=" + archive).contains("-jar " + jar)
                .doesNotContain("DumpLoadedClassList");
        assertThat(tmpFiles(target)).isEmpty();

        // 3. Later runs map it at once.
        before = Files.readAllLines(args).size();
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(Files.readAllLines(args)).hasSize(before + 1);
        assertThat(lastLine(args)).contains("-XX:SharedArchiveFile=" + archive);

        // 4. A rebuilt jar is newer than list and archive: list again.
        Files.setLastModifiedTime(jar, FileTime.fromMillis(System.currentTimeMillis() + 60_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).contains("-XX:DumpLoadedClassList=").doesNotContain("SharedArchiveFile");
        assertThat(archive).doesNotExist();

        // 5. A list that makes no archive (its JVM killed mid-write, say): deleted, this run goes on
        //    without class-data flags, and the next lists again.
        List<Path> lists = tmpFiles(target);
        assertThat(lists).hasSize(1);
        Files.writeString(lists.get(0), "clas");
        Files.setLastModifiedTime(lists.get(0), FileTime.fromMillis(System.currentTimeMillis() + 120_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).startsWith("-jar " + jar);
        assertThat(archives(target)).isEmpty();
        assertThat(tmpFiles(target)).isEmpty();
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).contains("-XX:DumpLoadedClassList=");

        // 6. Another JDK (the java binary changed): the archive of the old one is not used, and goes.
        Files.setLastModifiedTime(tmpFiles(target).get(0), FileTime.fromMillis(System.currentTimeMillis() + 120_000));
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        Path old = archives(target).get(0);
        Files.writeString(javaBin, Files.readString(javaBin) + "\n# another build\n");
        assertThat(runLauncher(launcher, bin, "1")).isZero();
        assertThat(lastLine(args)).contains("-XX:DumpLoadedClassList=").doesNotContain("SharedArchiveFile");
        assertThat(old).doesNotExist();

        // 7. By default serve uses it and other commands do not; opted out, nothing does.
        assertThat(runLauncher(launcher, bin, null)).isZero();
        assertThat(lastLine(args)).as("serve by default").contains("-XX:DumpLoadedClassList=");
        assertThat(runLauncher(launcher, bin, null, null, "predict")).isZero();
        assertThat(lastLine(args)).as("predict by default").doesNotContain("-X").startsWith("-jar " + jar);
        assertThat(runLauncher(launcher, bin, "1", null, "predict")).isZero();
        assertThat(lastLine(args)).as("predict with PEREGRINE_CDS=1").contains("-XX:DumpLoadedClassList=")
                .contains("peregrine-predict-");
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
