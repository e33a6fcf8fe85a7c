package dev.peregrine.core.cpu;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The instruction sets of a CPU that decide how INT8 models should be built and how fast they run:
 * x86 AVX2, AVX-512F/BW, AVX-512 VNNI, AVX-VNNI and AMX-INT8; ARM dot product ({@code asimddp}) and
 * int8 matrix multiply ({@code i8mm}). The one place Peregrine finds them; read from
 * {@code /proc/cpuinfo} on Linux, "unknown" elsewhere.
 *
 * <p>Why these matter: without VNNI or AMX, ONNX Runtime's x86 u8 x s8 kernels add pairs of int8
 * products in 16 bits ({@code vpmaddubsw}) and saturate, so full-range int8 weights lose accuracy
 * there; VNNI, AMX and ARM's dot-product instructions accumulate in 32 bits.
 *
 * @param arch      {@code x86_64}, {@code aarch64} or what the JVM reports
 * @param modelName the CPU's name ({@code model name}, or the ARM core for known part numbers)
 * @param cores     logical processors
 * @param flags     the kernel's feature flags, lower case
 * @param known     false when the features could not be read (then every feature reads as absent)
 */
public record CpuFeatures(String arch, String modelName, int cores, Set<String> flags, boolean known) {

    /** Environment variable / system property naming a file to read instead of /proc/cpuinfo. */
    public static final String CPUINFO_ENV = "PEREGRINE_CPUINFO";

    /** ARM Ltd. core part numbers seen in clouds (Graviton, Ampere, Axion, Cobalt). */
    private static final Map<String, String> ARM_PARTS = Map.of(
            "0xd0c", "Neoverse-N1", "0xd40", "Neoverse-V1", "0xd49", "Neoverse-N2", "0xd4f", "Neoverse-V2",
            "0xd08", "Cortex-A72", "0xd0b", "Cortex-A76");

    private static volatile CpuFeatures detected;

    public CpuFeatures {
        Objects.requireNonNull(arch, "arch");
        Objects.requireNonNull(modelName, "modelName");
        flags = Set.copyOf(flags);
        if (cores < 1) {
            throw new IllegalArgumentException("cores must be at least 1, was " + cores);
        }
    }

    /** This machine's CPU, read once per process. */
    public static CpuFeatures detect() {
        CpuFeatures d = detected;
        if (d == null) {
            d = read();
            detected = d;
        }
        return d;
    }

    private static CpuFeatures read() {
        String arch = normalizeArch(System.getProperty("os.arch", "unknown"));
        int cores = Runtime.getRuntime().availableProcessors();
        String override = System.getProperty(CPUINFO_ENV, System.getenv(CPUINFO_ENV));
        Path file = override != null && !override.isBlank() ? Path.of(override) : Path.of("/proc/cpuinfo");
        if (override == null && !System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")) {
            return unknown(arch, cores);
        }
        try {
            CpuFeatures parsed = parse(Files.readString(file, StandardCharsets.UTF_8), arch);
            // The JVM's count honours cgroup limits; /proc/cpuinfo lists the host's processors.
            return new CpuFeatures(parsed.arch(), parsed.modelName(), cores, parsed.flags(), parsed.known());
        } catch (IOException | RuntimeException e) {
            return unknown(arch, cores);
        }
    }

    /** Features that could not be read. */
    public static CpuFeatures unknown(String arch, int cores) {
        return new CpuFeatures(normalizeArch(arch), "unknown CPU", Math.max(1, cores), Set.of(), false);
    }

    /**
     * Parses the text of a Linux {@code /proc/cpuinfo}: x86 ({@code model name}, {@code flags}) or
     * ARM ({@code Features}, {@code CPU implementer}/{@code CPU part}). Pure; the architecture is
     * taken from the flags when they tell, else from {@code fallbackArch}.
     */
    public static CpuFeatures parse(String cpuinfo, String fallbackArch) {
        Objects.requireNonNull(cpuinfo, "cpuinfo");
        String model = null;
        String implementer = null;
        String part = null;
        Set<String> flags = new TreeSet<>();
        boolean armFeatures = false;
        int processors = 0;
        for (String line : cpuinfo.split("\n")) {
            int colon = line.indexOf(':');
            if (colon < 0) {
                continue;
            }
            String key = line.substring(0, colon).trim().toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (key) {
                case "processor" -> processors++;
                case "model name" -> model = model == null ? value : model;
                case "flags" -> {
                    if (flags.isEmpty()) {
                        addAll(flags, value);
                    }
                }
                case "features" -> {
                    if (flags.isEmpty()) {
                        addAll(flags, value);
                        armFeatures = true;
                    }
                }
                case "cpu implementer" -> implementer = implementer == null ? value : implementer;
                case "cpu part" -> part = part == null ? value.toLowerCase(Locale.ROOT) : part;
                default -> {
                }
            }
        }
        String arch = armFeatures || flags.contains("asimd") ? "aarch64"
                : flags.contains("sse2") ? "x86_64" : normalizeArch(fallbackArch);
        if (model == null && part != null) {
            String core = "0x41".equals(implementer) ? ARM_PARTS.get(part) : null;
            model = core != null ? "ARM " + core : "ARM implementer " + implementer + " part " + part;
        }
        if (model == null) {
            model = "unknown CPU";
        }
        return new CpuFeatures(arch, model, Math.max(1, processors), flags, !flags.isEmpty());
    }

    private static void addAll(Set<String> flags, String value) {
        for (String f : value.split("\\s+")) {
            if (!f.isEmpty()) {
                flags.add(f.toLowerCase(Locale.ROOT));
            }
        }
    }

    private static String normalizeArch(String arch) {
        String a = arch.toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86-64", "x86_64" -> "x86_64";
            case "arm64", "aarch64" -> "aarch64";
            default -> a;
        };
    }

    public boolean x86() {
        return arch.equals("x86_64");
    }

    public boolean arm64() {
        return arch.equals("aarch64");
    }

    public boolean has(String flag) {
        return flags.contains(flag);
    }

    public boolean avx2() {
        return has("avx2");
    }

    /** AVX-512 Foundation and Byte/Word: what ONNX Runtime's AVX-512 int8 kernels need. */
    public boolean avx512() {
        return has("avx512f") && has("avx512bw");
    }

    public boolean avx512Vnni() {
        return has("avx512_vnni") || has("avx512vnni");
    }

    public boolean avxVnni() {
        return has("avx_vnni");
    }

    public boolean amxInt8() {
        return has("amx_int8") && has("amx_tile");
    }

    public boolean armDotProduct() {
        return has("asimddp");
    }

    public boolean armI8mm() {
        return has("i8mm");
    }

    /**
     * The instruction sets that matter for INT8, as Peregrine prints them (for example
     * {@code [AVX2, AVX-512F/BW, AVX-512 VNNI]}); empty when unknown.
     */
    public List<String> int8InstructionSets() {
        Map<String, Boolean> sets = new LinkedHashMap<>();
        if (x86()) {
            sets.put("AVX2", avx2());
            sets.put("AVX-512F/BW", avx512());
            sets.put("AVX-512 VNNI", avx512Vnni());
            sets.put("AVX-VNNI", avxVnni());
            sets.put("AMX-INT8", amxInt8());
        } else if (arm64()) {
            sets.put("NEON", has("asimd"));
            sets.put("dot product", armDotProduct());
            sets.put("i8mm", armI8mm());
        }
        List<String> out = new ArrayList<>();
        sets.forEach((name, present) -> {
            if (present) {
                out.add(name);
            }
        });
        return out;
    }

    /**
     * One line for logs and reports, for example
     * {@code AMD EPYC 7R13, 2 cores, x86_64: AVX2 (no VNNI: int8 products saturate; 7-bit weights)}.
     */
    public String summary() {
        if (!known) {
            return modelName + ", " + cores + " cores, " + arch + ": instruction sets unknown";
        }
        List<String> isa = int8InstructionSets();
        String note = x86() && !int8Accumulates32() ? " (no VNNI/AMX: u8 x s8 products saturate in 16 bits)" : "";
        return modelName + ", " + cores + " cores, " + arch + ": " + (isa.isEmpty() ? "none of AVX2/VNNI/AMX/dot"
                : String.join(", ", isa)) + note;
    }

    /** The instruction sets as one short string ({@code AVX2 AVX-512F/BW AVX-512 VNNI}), or "unknown". */
    public String isa() {
        return known ? arch + " " + String.join(" + ", int8InstructionSets()) : arch + " (instruction sets unknown)";
    }

    /**
     * True when ONNX Runtime's int8 products accumulate in 32 bits here (VNNI, AMX, any ARM64), false
     * on x86 without them, where full-range u8 x s8 weights saturate.
     */
    public boolean int8Accumulates32() {
        return x86() ? avx512Vnni() || avxVnni() || amxInt8() : arm64();
    }
}
