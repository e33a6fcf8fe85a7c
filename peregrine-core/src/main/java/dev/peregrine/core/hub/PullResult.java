package dev.peregrine.core.hub;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * What a pull left on disk.
 *
 * @param model           the repository and revision pulled
 * @param commit          the commit every file came from
 * @param folder          the model folder, {@code PeregrineHome.hubModel(repoId, revision)}
 * @param variant         the ONNX graph that loads by default with this pull's choice, relative to the folder
 * @param files           every file of the model, downloaded or already present
 * @param downloaded      how many files were transferred
 * @param bytesDownloaded bytes transferred, resumed parts not counted twice
 */
public record PullResult(HubModelId model, String commit, Path folder, String variant, List<RepoFile> files,
                         int downloaded, long bytesDownloaded) {

    public PullResult {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(commit, "commit");
        Objects.requireNonNull(folder, "folder");
        Objects.requireNonNull(variant, "variant");
        files = List.copyOf(files);
    }

    /** How many files were already in place and skipped. */
    public int skipped() {
        return files.size() - downloaded;
    }
}
