package dev.peregrine.cli;

import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** File chores the commands share. */
final class Files2 {

    private Files2() {
    }

    /** Deletes a scratch folder and everything in it; null is nothing to do. */
    static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.IO, "cannot remove " + dir, e);
        }
    }
}
