package dev.peregrine.benchmarks;

import dev.peregrine.core.cpu.CpuFeatures;

/** Facts about the machine a benchmark ran on, for its report. */
final class Machine {

    private Machine() {
    }

    /** The CPU model and its INT8 instruction sets, for example {@code AMD EPYC (AVX2, AVX-512F/BW, AVX-512 VNNI)}. */
    static String cpuModel() {
        CpuFeatures cpu = CpuFeatures.detect();
        return cpu.modelName() + " (" + (cpu.known() ? String.join(", ", cpu.int8InstructionSets()) : "instruction sets unknown")
                + ")";
    }

    /**
     * The instruction sets that decide which ONNX Runtime kernels run (AVX2, AVX-512, VNNI, AMX on x86;
     * dot-product and i8mm on ARM), as /proc/cpuinfo lists them, space-separated; "unknown" elsewhere.
     * Benchmarks print it beside every result: a VNNI number says nothing about an AVX2-only machine.
     */
    static String instructionSets() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("flags") || line.startsWith("Features")) {
                    java.util.Set<String> flags = java.util.Set.of(line.substring(line.indexOf(':') + 1).trim().split("\\s+"));
                    StringBuilder out = new StringBuilder();
                    for (String f : new String[] {"avx2", "avx512f", "avx512bw", "avx512_vnni", "avx_vnni", "amx_int8",
                            "asimddp", "i8mm"}) {
                        if (flags.contains(f)) {
                            out.append(out.length() == 0 ? "" : " ").append(f);
                        }
                    }
                    return out.length() == 0 ? "none of avx2/avx512/vnni/amx/dot" : out.toString();
                }
            }
        } catch (IOException e) {
            // not Linux: fall through
        }
        return "unknown";
    }
}
