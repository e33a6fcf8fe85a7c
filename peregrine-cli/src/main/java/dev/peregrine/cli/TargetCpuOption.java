package dev.peregrine.cli;

import dev.peregrine.core.cpu.CpuFeatures;
import dev.peregrine.core.cpu.CpuTarget;
import picocli.CommandLine.Option;

/** The CPU an INT8 model is made for, declared once for quantize and optimize. */
final class TargetCpuOption {

    @Option(names = "--target-cpu", paramLabel = "CPU", defaultValue = "${env:PEREGRINE_TARGET_CPU:-auto}",
            description = "The CPU the model will run on: auto (this machine), avx2 (x86 without VNNI: 7-bit weights, "
                    + "because its u8 x s8 products saturate), avx512 (likewise), avx512-vnni, avx-vnni, amx, arm64, "
                    + "arm64-dot (full 8-bit weights). Recorded in the model; loading it on a CPU that lacks what it "
                    + "was made for warns. Default: ${DEFAULT-VALUE}. Env: PEREGRINE_TARGET_CPU.")
    String targetCpu;

    /** The target, {@code auto} resolved against this machine. */
    CpuTarget target() {
        return CpuTarget.parse(targetCpu, CpuFeatures.detect());
    }
}
