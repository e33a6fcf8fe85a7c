package dev.peregrine.core.hub;

import java.time.Duration;
import java.util.List;

/**
 * Hears how a pull goes, to draw progress or log it. Every method does nothing by default.
 *
 * <p>Calls come from the pulling thread, except {@link #bytesReceived} and {@link #restarted}, which
 * may come from the HTTP client's threads; calls never overlap, but an implementation that keeps
 * state must publish it safely (a progress bar's own synchronization suffices).
 */
public interface PullListener {

    /** A listener that ignores everything. */
    PullListener NONE = new PullListener() {
    };

    /** The hub listed the repository; downloads are pinned to {@link RepoListing#commit()}. */
    default void listed(RepoListing listing) {
    }

    /**
     * The files to download are known.
     *
     * @param toFetch files not yet in place, in download order
     * @param bytes   bytes still to transfer (their sizes, less what interrupted runs left in partial files)
     * @param present files already in place with the right size and hash, which are skipped
     */
    default void planned(List<RepoFile> toFetch, long bytes, List<RepoFile> present) {
    }

    /** A file's transfer starts, resuming after {@code resumeFrom} bytes that are already on disk. */
    default void fileStarted(RepoFile file, long resumeFrom) {
    }

    /** {@code count} more bytes arrived. */
    default void bytesReceived(long count) {
    }

    /** The server ignored a resume request, so {@code discarded} bytes kept from before arrive again. */
    default void restarted(RepoFile file, long discarded) {
    }

    /** A file is in place, verified. */
    default void fileDone(RepoFile file) {
    }

    /**
     * A transient failure; the request is tried again after {@code wait}, resuming a download.
     *
     * @param what    what was being done, e.g. {@code downloading onnx/model.onnx}
     * @param attempt the attempt about to be made (2 for the first retry)
     * @param reason  one line saying what failed
     */
    default void retrying(String what, int attempt, int maxAttempts, Duration wait, String reason) {
    }
}
