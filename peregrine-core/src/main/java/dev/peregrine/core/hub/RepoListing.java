package dev.peregrine.core.hub;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The files of a repository at one commit, as the hub's API lists them.
 *
 * @param model  the repository and the revision that was asked for
 * @param commit the commit sha the revision pointed to when listed; downloads are pinned to it
 * @param files  every file, in the hub's order
 */
public record RepoListing(HubModelId model, String commit, List<RepoFile> files) {

    public RepoListing {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(commit, "commit");
        files = List.copyOf(files);
    }

    /** The file at {@code path}, if listed. */
    public Optional<RepoFile> file(String path) {
        return files.stream().filter(f -> f.path().equals(path)).findFirst();
    }

    /** Every listed path. */
    public List<String> paths() {
        return files.stream().map(RepoFile::path).toList();
    }
}
