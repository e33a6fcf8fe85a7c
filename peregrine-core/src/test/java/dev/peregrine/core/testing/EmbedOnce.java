package dev.peregrine.core.testing;

import dev.peregrine.core.engine.Engine;
import java.util.List;

/** A tiny program the tests start in a separate JVM: embeds one text with the default model. */
public final class EmbedOnce {

    private EmbedOnce() {
    }

    public static void main(String[] args) {
        try (Engine engine = Engine.open(Fixtures.resolver().resolve(null))) {
            System.out.println("dimension " + engine.embed(List.of("hello from a child JVM")).get(0).length);
        }
    }
}
