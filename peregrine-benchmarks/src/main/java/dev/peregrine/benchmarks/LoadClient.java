package dev.peregrine.benchmarks;

import dev.peregrine.loadtest.LoadGenerator;
import dev.peregrine.loadtest.LoadTestConfig;
import dev.peregrine.loadtest.LoadTestReport;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * The load generator of {@link ServerBenchmark}, in a process of its own, so that its CPU and
 * allocation are not counted as the server's, and it reports its own CPU time.
 *
 * <pre>
 * java -cp peregrine-benchmarks.jar dev.peregrine.benchmarks.LoadClient URL CLIENTS RATE SECONDS WARMUP_SECONDS [TEXTS]
 * </pre>
 * One of {@code CLIENTS} (closed loop) or {@code RATE} (open loop) is 0. It warms up, prints
 * {@code READY}, waits for a line on stdin (the parent takes its snapshot of the server then), runs
 * the measured test, and prints the report's JSON followed by a line {@code CPU_NANOS n}: this
 * process's CPU time during the measured test.
 */
public final class LoadClient {

    private LoadClient() {
    }

    public static void main(String[] args) throws Exception {
        URI url = URI.create(args[0]);
        int clients = Integer.parseInt(args[1]);
        double rate = Double.parseDouble(args[2]);
        int seconds = Integer.parseInt(args[3]);
        int warmup = Integer.parseInt(args[4]);
        List<String> texts = ServerBenchmark.texts(args.length > 5 ? args[5] : "tickets");
        if (warmup > 0) {
            run(url, clients, rate, warmup, texts);
        }
        System.out.println("READY");
        System.out.flush();
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        long cpu0 = os.getProcessCpuTime();
        LoadTestReport report = run(url, clients, rate, seconds, texts);
        long cpu = os.getProcessCpuTime() - cpu0;
        System.out.println(report.toJson());
        System.out.println(String.format(Locale.ROOT, "CPU_NANOS %d", cpu));
        System.out.flush();
        System.exit(0);
    }

    private static LoadTestReport run(URI url, int clients, double rate, int seconds, List<String> texts)
            throws InterruptedException {
        return new LoadGenerator(new LoadTestConfig(url, clients, rate, Duration.ofSeconds(seconds), Duration.ZERO,
                texts, 1, null, null, 10_000, Duration.ofSeconds(60))).run();
    }
}
