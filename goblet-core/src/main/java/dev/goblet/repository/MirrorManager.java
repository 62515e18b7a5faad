package dev.goblet.repository;

import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.io.FileTrees;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.StoredConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens, creates and lists the mirrors under the cache root. Each mirror is opened once and kept
 * open until {@link #close()}. Thread-safe.
 *
 * <p>A new mirror is initialised in a temporary directory beside its final place and moved there
 * atomically, so a crash never leaves a half-made repository where a mirror is looked for.
 */
public final class MirrorManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MirrorManager.class);
  private static final String TEMP_PREFIX = ".tmp-";
  private static final int MAX_DEPTH = 20;

  private final Path cacheRoot;
  private final MirrorContext context;
  private final ConcurrentMap<String, Mirror> mirrors = new ConcurrentHashMap<>();

  /**
   * @param cacheRoot absolute, normalized; created when missing
   * @param context what the mirrors share
   * @throws IOException when the cache root cannot be created
   */
  public MirrorManager(Path cacheRoot, MirrorContext context) throws IOException {
    this.cacheRoot = cacheRoot;
    this.context = context;
    Files.createDirectories(cacheRoot);
    removeLeftoverTemporaries();
  }

  /** Deletes half-made mirrors a crash left in temporary directories. */
  private void removeLeftoverTemporaries() throws IOException {
    List<Path> leftovers;
    try (Stream<Path> paths = Files.walk(cacheRoot, MAX_DEPTH)) {
      leftovers =
          paths
              .filter(Files::isDirectory)
              .filter(p -> p.getFileName().toString().startsWith(TEMP_PREFIX))
              .toList();
    }
    for (Path leftover : leftovers) {
      log.warn("removing a half-made mirror left by a crash: {}", leftover);
      FileTrees.deleteTree(leftover);
    }
  }

  /**
   * @param upstream a canonical upstream URL
   * @return its mirror, created (empty) when there is none yet
   * @throws IOException when the mirror cannot be created or opened
   * @throws IllegalArgumentException when the URL could lead outside the cache root
   */
  public Mirror open(URI upstream) throws IOException {
    String key = RepositoryPaths.key(upstream);
    try {
      return mirrors.computeIfAbsent(key, k -> openOrCreate(upstream, k));
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
  }

  /**
   * Like {@link #open}, for request paths: a failure to create or open the mirror is a server-side
   * {@link GobletException} whose message names the cause without the server's paths.
   *
   * @param upstream a canonical upstream URL
   * @return its mirror
   * @throws GobletException when the mirror cannot be created or opened (a full or read-only disk)
   */
  public Mirror openForRequest(URI upstream) throws GobletException {
    try {
      return open(upstream);
    } catch (IOException e) {
      String reason = ioReason(e);
      log.error("cannot open or create the mirror of {}", upstream, e);
      throw new GobletException(
          Status.INTERNAL, "the proxy cannot create or open its mirror: " + reason, e);
    }
  }

  /** @return the cause of an I/O failure in words a user may see: no server paths */
  private String ioReason(IOException e) {
    if (e instanceof FileSystemException fse && fse.getReason() != null) {
      return fse.getReason();
    }
    String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    return message.replace(cacheRoot.toString(), "<cache root>");
  }

  /**
   * @param upstream a canonical upstream URL
   * @return its mirror when one exists on disk; never creates one
   * @throws IOException when an existing mirror cannot be opened
   */
  public Optional<Mirror> find(URI upstream) throws IOException {
    String key = RepositoryPaths.key(upstream);
    Mirror open = mirrors.get(key);
    if (open != null) {
      return Optional.of(open);
    }
    if (!Files.isDirectory(RepositoryPaths.directory(cacheRoot, upstream))) {
      return Optional.empty();
    }
    return Optional.of(open(upstream));
  }

  /**
   * @param key a cache key, such as {@code github.com/owner/repo}
   * @return the mirror with that key when one exists on disk; never creates one
   * @throws IOException when an existing mirror cannot be opened
   * @throws IllegalArgumentException when {@code key} is not a well-formed key
   */
  public Optional<Mirror> findByKey(String key) throws IOException {
    if (!RepositoryPaths.isValidKey(key)) {
      throw new IllegalArgumentException("not a repository key: " + key);
    }
    Mirror open = mirrors.get(key);
    if (open != null) {
      return Optional.of(open);
    }
    Path dir = cacheRoot.resolve(key + ".git").normalize();
    if (!dir.startsWith(cacheRoot) || !Files.isRegularFile(dir.resolve("HEAD"))) {
      return Optional.empty();
    }
    Optional<URI> upstream = upstreamOf(dir);
    if (upstream.isEmpty() || !key.equals(keyOrNull(upstream.get()))) {
      return Optional.empty();
    }
    return Optional.of(open(upstream.get()));
  }

  private static String keyOrNull(URI upstream) {
    try {
      return RepositoryPaths.key(upstream);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  /**
   * @return every mirror under the cache root, opened, sorted by key
   * @throws IOException when the cache root cannot be walked
   */
  public List<Mirror> list() throws IOException {
    List<Mirror> result = new ArrayList<>();
    try (Stream<Path> paths = Files.walk(cacheRoot, MAX_DEPTH)) {
      List<Path> dirs =
          paths
              .filter(p -> p.getFileName().toString().endsWith(".git"))
              .filter(p -> Files.isRegularFile(p.resolve("HEAD")))
              .filter(p -> !hasHiddenPart(p))
              .toList();
      for (Path dir : dirs) {
        Optional<URI> upstream = upstreamOf(dir);
        if (upstream.isEmpty()) {
          continue;
        }
        try {
          result.add(open(upstream.get()));
        } catch (IOException | IllegalArgumentException e) {
          log.warn("skipping unreadable mirror at {}", dir, e);
        }
      }
    }
    result.sort(Comparator.comparing(Mirror::key));
    return result;
  }

  private Mirror openOrCreate(URI upstream, String key) {
    Path dir = RepositoryPaths.directory(cacheRoot, upstream);
    try {
      if (!Files.isRegularFile(dir.resolve("HEAD"))) {
        create(dir, upstream);
      }
      FileRepository repo = new FileRepository(dir.toFile());
      return new Mirror(upstream, key, dir, repo, context);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Fills a newly initialised mirror directory before it is moved into place. */
  @FunctionalInterface
  public interface Populator {
    /** Leaves the new mirror empty. */
    Populator NONE = temp -> {};

    /**
     * @param temp the new bare repository, initialised, in a temporary directory beside its
     *     final place
     * @throws IOException when it cannot be filled; the temporary directory is then deleted
     */
    void populate(Path temp) throws IOException;
  }

  /**
   * Makes the mirror of {@code upstream} from content the populator writes into a new, initialised
   * repository, moved into place atomically; a failed populator leaves nothing behind. Used to
   * restore a mirror from a snapshot. Does nothing when the mirror exists.
   *
   * @param upstream a canonical upstream URL
   * @param populator fills the new repository (packs, refs, HEAD)
   * @return whether the populated mirror was moved into place (false: a mirror existed, or another
   *     process made one first)
   * @throws IOException when the populator or the file system fails
   * @throws IllegalArgumentException when the URL could lead outside the cache root
   */
  public boolean createPopulated(URI upstream, Populator populator) throws IOException {
    Path dir = RepositoryPaths.directory(cacheRoot, upstream);
    if (mirrors.containsKey(RepositoryPaths.key(upstream))
        || Files.isRegularFile(dir.resolve("HEAD"))) {
      return false;
    }
    return create(dir, upstream, populator);
  }

  private static void create(Path dir, URI upstream) throws IOException {
    create(dir, upstream, Populator.NONE);
  }

  private static boolean create(Path dir, URI upstream, Populator populator) throws IOException {
    Files.createDirectories(dir.getParent());
    Path temp = Files.createTempDirectory(dir.getParent(), TEMP_PREFIX);
    try {
      try (FileRepository repo = new FileRepository(temp.toFile())) {
        repo.create(true);
        StoredConfig config = repo.getConfig();
        config.setInt(ConfigConstants.CONFIG_CORE_SECTION, null, "repositoryformatversion", 0);
        config.setInt("protocol", null, "version", 2);
        config.setBoolean("uploadpack", null, "allowFilter", true);
        config.setBoolean("uploadpack", null, "allowAnySHA1InWant", true);
        config.setBoolean("repack", null, "writeBitmaps", true);
        config.setBoolean("pack", null, "buildBitmaps", true);
        config.setInt("gc", null, "auto", 0);
        config.setString("remote", "origin", "url", upstream.toString());
        config.setString("remote", "origin", "fetch", Mirror.MIRROR_REFSPEC.toString());
        config.setBoolean("remote", "origin", "mirror", true);
        config.save();
      }
      populator.populate(temp);
      try {
        Files.move(temp, dir, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temp, dir);
      }
      return true;
    } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
      // Another process made the mirror first; use theirs.
      return false;
    } finally {
      FileTrees.deleteTree(temp);
    }
  }

  /**
   * @param dir a mirror directory
   * @return the upstream URL recorded in its config
   */
  static Optional<URI> upstreamOf(Path dir) {
    try (FileRepository repo = new FileRepository(dir.toFile())) {
      String url = repo.getConfig().getString("remote", "origin", "url");
      return url == null ? Optional.empty() : Optional.of(URI.create(url));
    } catch (IOException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private boolean hasHiddenPart(Path dir) {
    for (Path part : cacheRoot.relativize(dir)) {
      if (part.toString().startsWith(".")) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void close() {
    mirrors.values().forEach(Mirror::close);
    mirrors.clear();
  }
}
