package dev.peregrine.benchmarks;

import dev.peregrine.core.cpu.CpuFeatures;

/** Facts about the machine a benchmark ran on, for its report; read once by {@link CpuFeatures}. */
final class Machine {

    private Machine() {
    }

    /** The CPU model and its INT8 instruction sets, for example {@code AMD EPYC (AVX2, AVX-512F/BW, AVX-512 VNNI)}. */
    static String cpuModel() {
        return CpuFeatures.detect().modelName() + " (" + instructionSets() + ")";
    }

    /**
     * The instruction sets that decide which ONNX Runtime kernels run (AVX2, AVX-512, VNNI, AMX on x86;
     * dot product and i8mm on ARM), as {@link CpuFeatures} names them; "unknown" when they cannot be read.
     * Benchmarks print it beside every result: a VNNI number says nothing about an AVX2-only machine.
     */
    static String instructionSets() {
        CpuFeatures cpu = CpuFeatures.detect();
        if (!cpu.known()) {
            return "instruction sets unknown";
        }
        return cpu.int8InstructionSets().isEmpty() ? "none of AVX2/AVX-512/VNNI/AMX/dot"
                : String.join(", ", cpu.int8InstructionSets());
    }
}
