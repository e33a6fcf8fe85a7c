package dev.peregrine.core.cpu;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The class of CPU an INT8 model is built for ({@code --target-cpu}). What matters is whether int8
 * products accumulate in 32 bits (VNNI, AMX, ARM) or saturate in 16 (x86 without them), and which
 * instruction sets the target is assumed to have.
 */
public enum CpuTarget {
    /** x86-64 with AVX2 and no VNNI: AMD Zen 1-3, Intel Haswell to Skylake client. */
    AVX2("avx2", "x86-64 AVX2 without VNNI", true),
    /** AVX-512F/BW without VNNI: Intel Skylake-SP. */
    AVX512("avx512", "x86-64 AVX-512 without VNNI", true),
    /** AVX-512 VNNI: Intel Cascade Lake and later Xeons, AMD Zen 4 and later. */
    AVX512_VNNI("avx512-vnni", "x86-64 AVX-512 VNNI", false),
    /** AVX-VNNI without AVX-512: Intel Alder Lake and later clients. */
    AVX_VNNI("avx-vnni", "x86-64 AVX-VNNI", false),
    /** AMX-INT8 tiles: Intel Sapphire Rapids and later. */
    AMX("amx", "x86-64 AMX-INT8", false),
    /** ARM64 with NEON only. */
    ARM64("arm64", "ARM64 NEON", false),
    /** ARM64 with the dot-product instructions (Graviton 2 and later, Ampere Altra). */
    ARM64_DOT("arm64-dot", "ARM64 dot product", false);

    /** The graph metadata key that records the target a model was quantized for. */
    public static final String METADATA_KEY = "peregrine.target_cpu";
    /** The option value meaning "the CPU this runs on". */
    public static final String AUTO = "auto";

    private final String id;
    private final String description;
    private final boolean saturating;

    CpuTarget(String id, String description, boolean saturating) {
        this.id = id;
        this.description = description;
        this.saturating = saturating;
    }

    public String id() {
        return id;
    }

    public String description() {
        return description;
    }

    /** True when u8 x s8 products add in 16 bits and saturate here (x86 without VNNI/AMX). */
    public boolean saturatingInt8() {
        return saturating;
    }

    /** The target that fits a CPU best. Pure. An unknown x86 CPU gets the safe choice, {@link #AVX2}. */
    public static CpuTarget of(CpuFeatures cpu) {
        Objects.requireNonNull(cpu, "cpu");
        if (cpu.arm64()) {
            return cpu.armDotProduct() ? ARM64_DOT : ARM64;
        }
        if (cpu.amxInt8()) {
            return AMX;
        }
        if (cpu.avx512Vnni()) {
            return AVX512_VNNI;
        }
        if (cpu.avxVnni()) {
            return AVX_VNNI;
        }
        if (cpu.avx512()) {
            return AVX512;
        }
        return AVX2;
    }

    /** The target of this machine's CPU. */
    public static CpuTarget detect() {
        return of(CpuFeatures.detect());
    }

    /**
     * Parses an option value: a target id, or {@code auto} for {@code here}'s target.
     *
     * @throws IllegalArgumentException for an unknown name, listing the accepted ones
     */
    public static CpuTarget parse(String value, CpuFeatures here) {
        String v = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
        if (v.equals(AUTO)) {
            return of(here);
        }
        for (CpuTarget t : values()) {
            if (t.id.equals(v)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown target CPU '" + value + "': expected " + AUTO + ", "
                + Arrays.stream(values()).map(CpuTarget::id).collect(Collectors.joining(", ")));
    }

    /** Parses a recorded target id; null when it is not one. */
    public static CpuTarget fromId(String id) {
        for (CpuTarget t : values()) {
            if (t.id.equals(id)) {
                return t;
            }
        }
        return null;
    }

    /**
     * What this target assumes that {@code cpu} lacks, as instruction-set names; empty when the
     * target fits (or the CPU is unknown, when nothing can be said).
     */
    public List<String> missingOn(CpuFeatures cpu) {
        List<String> missing = new ArrayList<>();
        if (!cpu.known()) {
            return missing;
        }
        boolean armTarget = this == ARM64 || this == ARM64_DOT;
        if (armTarget != cpu.arm64()) {
            missing.add(armTarget ? "ARM64" : "x86-64");
            return missing;
        }
        switch (this) {
            case AVX2 -> require(missing, cpu.avx2(), "AVX2");
            case AVX512 -> require(missing, cpu.avx512(), "AVX-512F/BW");
            case AVX512_VNNI -> {
                require(missing, cpu.avx512(), "AVX-512F/BW");
                require(missing, cpu.avx512Vnni(), "AVX-512 VNNI");
            }
            case AVX_VNNI -> require(missing, cpu.avxVnni() || cpu.avx512Vnni(), "AVX-VNNI");
            case AMX -> require(missing, cpu.amxInt8(), "AMX-INT8");
            case ARM64_DOT -> require(missing, cpu.armDotProduct(), "dot product (asimddp)");
            default -> {
            }
        }
        return missing;
    }

    private static void require(List<String> missing, boolean present, String name) {
        if (!present) {
            missing.add(name);
        }
    }

    @Override
    public String toString() {
        return id;
    }
}
