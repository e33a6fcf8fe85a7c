package dev.peregrine.optimize.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostTableTest {

    @TempDir
    Path dir;

    private static BenchRow row(String step, double ips, double p99) {
        return new BenchRow(step, step, ips, 1000 / ips, p99 / 2, p99, 1, null, 1);
    }

    private static BenchReport report(List<SweepRow> scaling) {
        return new BenchReport("m", 100, 1000, 100, 1000, 14, 1, Map.of(), List.of(row("baseline", 50, 20), row("+ our INT8", 200, 80)),
                List.of(), List.of(new SweepRow(2, 1, true, 512, 250, 30, 120)), List.of(), scaling);
    }

    @Test
    void costPer1000_isPricePerSecondOverThroughputTimesAThousand() {
        // $0.36 an hour is $0.0001 a second; at 100 items/s that is 1e-6 per item, 0.001 per 1,000
        assertThat(CostTable.usdPer1000(0.36, 100)).isCloseTo(0.001, within(1e-12));
        assertThat(CostTable.usdPer1000(1.0, 1000)).isCloseTo(1.0 / 3600, within(1e-12));
        assertThat(CostTable.usdPer1000(1.0, 0)).isInfinite();
    }

    @Test
    void everyRowIsPriced_cheapestFirst_andTheSloPicksTheCheapestThatMeetsIt() {
        CostTable t = CostTable.of(report(List.of()), List.of(new CostTable.Machine("this machine", 0.36, 0)), 100.0, 2);
        assertThat(t.rows()).hasSize(3);
        assertThat(t.rows()).extracting(CostTable.Row::setting)
                .containsExactly("sweep 2x1 spin tokens 512", "+ our INT8", "baseline");
        assertThat(t.rows().get(0).usdPer1000()).isCloseTo(0.36 / 3600 / 250 * 1000, within(1e-12));
        assertThat(t.rows().get(0).meetsSlo()).isFalse();
        assertThat(t.cheapestMeetingSlo().setting()).isEqualTo("+ our INT8");
        assertThat(t.rows()).noneMatch(CostTable.Row::projected);
        assertThat(t.render(false)).contains("cheapest meeting p99 <= 100.0 ms: + our INT8 on this machine");

        CostTable strict = CostTable.of(report(List.of()), List.of(new CostTable.Machine("x", 1, 0)), 5.0, 2);
        assertThat(strict.cheapestMeetingSlo()).isNull();
        assertThat(strict.render(true)).contains("no setting meets p99 <= 5.0 ms");
    }

    @Test
    void otherCoreCounts_areProjectedWithTheMeasuredScalingEfficiency() {
        // one core 100/s, two cores 150/s: 75% efficiency
        List<SweepRow> scaling = List.of(new SweepRow(1, 1, true, 8192, 100, 10, 12),
                new SweepRow(1, 2, true, 8192, 150, 7, 9), new SweepRow(2, 1, true, 8192, 140, 10, 13));
        assertThat(CostTable.scalingEfficiency(scaling, 2)).isCloseTo(0.75, within(1e-12));
        CostTable t = CostTable.of(report(scaling), List.of(new CostTable.Machine("big", 1.0, 8)), null, 2);
        CostTable.Row int8 = t.rows().stream().filter(r -> r.setting().equals("+ our INT8")).findFirst().orElseThrow();
        assertThat(int8.projected()).isTrue();
        assertThat(int8.itemsPerSecond()).isCloseTo(200 * 4 * 0.75, within(1e-9));
        assertThat(int8.meetsSlo()).isNull();
        assertThat(t.render(false)).contains("projection, not a measurement");
    }

    @Test
    void pricesFile_readsCsvAndPlainLines_andRefusesNonsense() throws Exception {
        Path csv = Files.writeString(dir.resolve("prices.csv"), "machine,usd_per_hour,cores\nc7i.large,0.089,2\nc7i.2xlarge,$0.357,8\n");
        assertThat(CostTable.readPrices(csv)).containsExactly(new CostTable.Machine("c7i.large", 0.089, 2),
                new CostTable.Machine("c7i.2xlarge", 0.357, 8));
        Path txt = Files.writeString(dir.resolve("prices.txt"), "# ours\nbox 0.5\n");
        assertThat(CostTable.readPrices(txt)).containsExactly(new CostTable.Machine("box", 0.5, 0));
        Path bad = Files.writeString(dir.resolve("bad.csv"), "name,price\nx,1\n");
        assertThatThrownBy(() -> CostTable.readPrices(bad)).hasMessageContaining("machine and usd_per_hour");
        Path negative = Files.writeString(dir.resolve("neg.txt"), "x -1\n");
        assertThatThrownBy(() -> CostTable.readPrices(negative)).hasMessageContaining("must be positive");
    }
}
