package dev.peregrine.core.hub;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.peregrine.core.ErrorKind;
import dev.peregrine.core.PeregrineException;
import dev.peregrine.core.model.ModelFolder;
import dev.peregrine.core.model.OnnxVariants;
import dev.peregrine.core.model.PeregrineHome;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Pulls a model from a Hugging Face hub into {@link PeregrineHome#hubModel(String, String)}, where
 * {@code ModelResolver} finds it by its id: {@code --model ORG/NAME[@REVISION]}.
 *
 * <p>A pull lists the repository at the revision, pins the commit the revision points to, and fetches
 * only what a Peregrine model folder needs (tokenizer, configuration, one ONNX graph or all of them
 * with their external data), each file through {@code <file>.partial}, resumed when an earlier run
 * broke off, verified by size and hash, and renamed into place. Files already in place are skipped,
 * so pulling again is cheap, and pulling a moved branch replaces only what changed. A manifest
 * ({@value PullManifest#FILE_NAME}) written last records what the folder holds.
 *
 * <p>Nothing is written before the hub has listed the repository and the listing holds an ONNX
 * graph and a tokenizer, so a mistyped id or a model without ONNX export leaves no folder behind.
 *
 * <p>Thread-safe. Two pulls into the same folder at once (threads or processes) do not interleave:
 * the second fails at once, saying the folder is busy.
 */
public final class ModelPuller {

    private static final String LOCK_FILE = ".peregrine-pull.lock";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final PeregrineHome home;
    private final HubOptions options;
    private final HubDownloader downloader;
    private final Clock clock;

    public ModelPuller(PeregrineHome home, HubOptions options) {
        this(home, options, Clock.systemUTC());
    }

    /** As {@link #ModelPuller(PeregrineHome, HubOptions)}, with the clock that stamps manifests. */
    public ModelPuller(PeregrineHome home, HubOptions options, Clock clock) {
        this.home = Objects.requireNonNull(home, "home");
        this.options = Objects.requireNonNull(options, "options");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.downloader = new HubDownloader(new HubHttp(options));
    }

    public HubOptions options() {
        return options;
    }

    /** The folder {@code model} is (or would be) pulled into. */
    public Path folder(HubModelId model) {
        return home.hubModel(model.repoId(), model.revision());
    }

    /**
     * Pulls a model.
     *
     * @param model       the repository and revision
     * @param variant     the ONNX variant as {@code --variant} takes it ({@code quantized},
     *                    {@code onnx/model_fp16.onnx}); null for the default graph
     * @param allVariants fetch every ONNX graph instead of one
     * @param listener    hears progress; {@link PullListener#NONE} for none
     * @return what is on disk now
     * @throws IllegalArgumentException when both a variant and all variants are asked for
     * @throws PeregrineException {@link ErrorKind#DOWNLOAD_FAILED} when the hub refuses, does not
     *         know the repository, revision or a file, cannot be reached, or sends content that does
     *         not match its hashes; {@link ErrorKind#MODEL_INVALID} when the repository has no ONNX
     *         graph, no tokenizer.json, or not the variant asked for; {@link ErrorKind#IO} when the
     *         folder cannot be written
     */
    public PullResult pull(HubModelId model, String variant, boolean allVariants, PullListener listener) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(listener, "listener");
        if (allVariants && variant != null && !variant.isBlank()) {
            throw new IllegalArgumentException("choose one variant or all variants, not both");
        }
        RepoListing listing = downloader.list(model, listener);
        listener.listed(listing);
        List<RepoFile> graphs = ModelFileSelector.onnxFiles(listing, variant, allVariants);
        List<RepoFile> configs = ModelFileSelector.configFiles(listing);

        Path folder = folder(model);
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw PartialDownload.ioError("cannot create the model folder " + folder, e);
        }
        try (FileChannel lockChannel = openLock(folder)) {
            lock(lockChannel, folder); // released when the channel closes
            return pullLocked(listing, folder, configs, graphs, allVariants, listener);
        } catch (IOException e) {
            throw PartialDownload.ioError("cannot use the lock file in " + folder, e);
        }
    }

    private PullResult pullLocked(RepoListing listing, Path folder, List<RepoFile> configs, List<RepoFile> graphs,
                                  boolean allVariants, PullListener listener) {
        Map<String, PullManifest.Entry> known = PullManifest.read(folder)
                .filter(m -> m.repo().equals(listing.model().repoId()))
                .map(PullManifest::byPath).orElse(Map.of());
        Set<String> downloaded = new LinkedHashSet<>();
        long[] bytes = {0};

        // modules.json names the module folders whose configs are needed: it comes first.
        List<RepoFile> files = new ArrayList<>(configs);
        for (RepoFile f : configs) {
            if (f.path().equals(ModelFileSelector.MODULES)) {
                Path target = target(folder, f.path());
                if (!isInPlace(target, f, known.get(f.path()))) {
                    bytes[0] += downloader.fetch(listing, f, target, listener);
                    downloaded.add(f.path());
                }
                files.addAll(ModelFileSelector.moduleConfigs(listing, readModules(target)));
            }
        }
        files.addAll(graphs);

        List<RepoFile> toFetch = new ArrayList<>();
        List<RepoFile> present = new ArrayList<>();
        long plannedBytes = 0;
        for (RepoFile f : files) {
            if (downloaded.contains(f.path())) {
                continue;
            }
            Path target = target(folder, f.path());
            if (isInPlace(target, f, known.get(f.path()))) {
                present.add(f);
            } else {
                toFetch.add(f);
                plannedBytes += Math.max(0, f.size() - partialBytes(target));
            }
        }
        checkFreeSpace(folder, plannedBytes);
        listener.planned(List.copyOf(toFetch), plannedBytes, List.copyOf(present));
        for (RepoFile f : toFetch) {
            bytes[0] += downloader.fetch(listing, f, target(folder, f.path()), listener);
            downloaded.add(f.path());
        }

        String primary = primaryGraph(graphs, allVariants);
        writeManifest(listing, folder, files, primary);
        // The folder must load as the resolver will load it; this reads configs only, not the graph.
        ModelFolder.open(folder, primary, listing.model().toString());
        return new PullResult(listing.model(), listing.commit(), folder, primary, files, downloaded.size(), bytes[0]);
    }

    /** The graph {@code --model ORG/NAME} loads after this pull. */
    private static String primaryGraph(List<RepoFile> graphs, boolean allVariants) {
        List<String> paths = graphs.stream().map(RepoFile::path).filter(p -> p.endsWith(".onnx")).toList();
        if (allVariants) {
            return OnnxVariants.choose(paths, null).orElse(paths.get(0));
        }
        return paths.get(0);
    }

    private void writeManifest(RepoListing listing, Path folder, List<RepoFile> files, String variant) {
        List<PullManifest.Entry> entries = new ArrayList<>();
        try {
            for (RepoFile f : files) {
                Path target = target(folder, f.path());
                entries.add(new PullManifest.Entry(f.path(), f.size() >= 0 ? f.size() : Files.size(target),
                        f.sha256(), f.gitOid(), Files.getLastModifiedTime(target).toMillis()));
            }
            new PullManifest(listing.model().repoId(), listing.model().revision(), listing.commit(),
                    options.endpoint().toString(), clock.instant(), variant, entries).write(folder);
        } catch (IOException e) {
            throw PartialDownload.ioError("cannot write " + folder.resolve(PullManifest.FILE_NAME), e);
        }
    }

    /**
     * Whether {@code target} already holds the listed content: right size and, when the manifest
     * has not vouched for this very file (same hash, size and modification time), right hash.
     */
    private static boolean isInPlace(Path target, RepoFile file, PullManifest.Entry entry) {
        try {
            if (!Files.isRegularFile(target)) {
                return false;
            }
            long size = Files.size(target);
            if (file.size() >= 0 && size != file.size()) {
                return false;
            }
            if (entry != null && entry.describes(file)
                    && entry.modifiedMillis() == Files.getLastModifiedTime(target).toMillis()) {
                return true;
            }
            if (file.sha256() == null && file.gitOid() == null) {
                return file.size() >= 0; // nothing to check but the size, which matched
            }
            return hashesMatch(target, file, size);
        } catch (IOException e) {
            throw PartialDownload.ioError("cannot read " + target, e);
        }
    }

    private static boolean hashesMatch(Path path, RepoFile file, long size) throws IOException {
        MessageDigest sha256 = file.sha256() != null ? digest("SHA-256") : null;
        MessageDigest git = file.gitOid() != null ? digest("SHA-1") : null;
        if (git != null) {
            git.update(("blob " + size + "\0").getBytes(StandardCharsets.US_ASCII));
        }
        try (InputStream in = Files.newInputStream(path)) {
            byte[] buffer = new byte[1 << 16];
            for (int r; (r = in.read(buffer)) > 0; ) {
                if (sha256 != null) {
                    sha256.update(buffer, 0, r);
                }
                if (git != null) {
                    git.update(buffer, 0, r);
                }
            }
        }
        HexFormat hex = HexFormat.of();
        return (sha256 == null || hex.formatHex(sha256.digest()).equals(file.sha256()))
                && (git == null || hex.formatHex(git.digest()).equals(file.gitOid()));
    }

    private static long partialBytes(Path target) {
        Path partial = PartialDownload.partialOf(target);
        try {
            return Files.isRegularFile(partial) ? Files.size(partial) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    private static void checkFreeSpace(Path folder, long needed) {
        try {
            long free = Files.getFileStore(folder).getUsableSpace();
            if (needed > free) {
                throw new PeregrineException(ErrorKind.IO, "not enough disk space in " + folder + ": the download needs "
                        + mb(needed) + ", " + mb(free) + " are free (set PEREGRINE_HOME to a roomier place)");
            }
        } catch (IOException e) {
            // unknown free space: go ahead, a full disk still fails with a clear message when writing
        }
    }

    private static String mb(long bytes) {
        return String.format(java.util.Locale.ROOT, "%.1f MB", bytes / 1048576.0);
    }

    private static JsonNode readModules(Path modulesJson) {
        try {
            return JSON.readTree(modulesJson.toFile());
        } catch (IOException e) {
            throw new PeregrineException(ErrorKind.MODEL_INVALID, "modules.json of the pulled model is not valid JSON ("
                    + modulesJson + "): " + e.getMessage(), e);
        }
    }

    /**
     * Where a listed file goes. The listing comes from a server: a path that would leave the folder
     * ({@code ..}, absolute, backslashes) is refused rather than trusted.
     */
    static Path target(Path folder, String path) {
        boolean unsafe = path.isEmpty() || path.startsWith("/") || path.contains("\\") || path.contains("\0");
        for (String segment : path.split("/", -1)) {
            unsafe |= segment.isEmpty() || segment.equals(".") || segment.equals("..");
        }
        Path target = folder.resolve(path).normalize();
        if (unsafe || !target.startsWith(folder)) {
            throw HubErrors.download("the hub listed a file with an unsafe path, refused: " + path);
        }
        return target;
    }

    private static FileChannel openLock(Path folder) throws IOException {
        return FileChannel.open(folder.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    }

    private static void lock(FileChannel channel, Path folder) throws IOException {
        FileLock lock;
        try {
            lock = channel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            throw HubErrors.download("another pull is writing " + folder + "; wait for it to finish and try again");
        }
    }

    private static MessageDigest digest(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is required of every JVM", e);
        }
    }
}
