package dev.peregrine.core.engine;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The per-thread scratch buffer grows to the largest pass but gives one rare huge pass's memory back. */
class InputArenaTest {

    @Test
    void oneHugePass_isNotKeptForever_whenTheNextPassesAreSmall() {
        InputArena arena = new InputArena();
        arena.reserve(64L << 20);
        assertThat(arena.capacity()).isGreaterThanOrEqualTo(64 << 20);
        for (int i = 0; i < 2 * InputArena.WINDOW; i++) {
            arena.reserve(1 << 20);
            arena.longs((1 << 20) / Long.BYTES);
        }
        assertThat(arena.capacity()).isLessThanOrEqualTo(InputArena.KEEP_BYTES * 2);
    }

    @Test
    void aSteadyMixOfPasses_keepsItsBuffer() {
        InputArena arena = new InputArena();
        for (int i = 0; i < 4 * InputArena.WINDOW; i++) {
            arena.reserve(i % 8 == 0 ? 32L << 20 : 1 << 20);
        }
        int capacity = arena.capacity();
        for (int i = 0; i < 4 * InputArena.WINDOW; i++) {
            arena.reserve(i % 8 == 0 ? 32L << 20 : 1 << 20);
            assertThat(arena.capacity()).as("no reallocation while big passes keep coming").isEqualTo(capacity);
        }
    }
}
