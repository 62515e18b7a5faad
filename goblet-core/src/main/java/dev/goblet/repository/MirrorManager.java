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
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ConfigConstants;
import org.eclipse.jgit.lib.StoredConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens, creates, lists, maintains and evicts the mirrors under the cache root. Thread-safe.
 *
 * <p>The manager is the registry of mirrors: the ones on disk are found once when it starts (a walk
 * that stops at each mirror's directory), the ones created later are added as they are made, so
 * listing never walks the disk. Each mirror is opened once and kept open until it is evicted or
 * the manager is closed.
 *
 * <p>A new mirror is initialised in a temporary directory beside its final place and moved there
 * atomically, so a crash never leaves a half-made repository where a mirror is looked for.
 *
 * <p>After each upstream fetch a mirror's maintenance is queued on its own executor (see {@link
 * MirrorMaintenance}); then, with a {@linkplain MirrorLifecycle#cacheMaxBytes() budget}, the least
 * recently served mirrors that nobody uses are evicted until the mirrors fit in it. A mirror in use
 * holds a {@link Lease} (requests serving it, its upstream fetch, its maintenance, a snapshot of
 * it being published), and a leased mirror is never evicted. Sizes are measured when a mirror is found or made and
 * after each of its maintenance runs, never all at once.
 */
public final class MirrorManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MirrorManager.class);
  private static final String TEMP_PREFIX = ".tmp-";
  private static final int MAX_DEPTH = 20;

  private final Path cacheRoot;
  private final MirrorContext context;
  private final MirrorLifecycle lifecycle;
  private final MirrorMaintenance maintenance;
  private final ConcurrentMap<String, Mirror> mirrors = new ConcurrentHashMap<>();
  private final AtomicBoolean budgetQueued = new AtomicBoolean();

  /**
   * A mirror held in use: it is not evicted until the lease is closed. Closing a request's lease
   * counts as the mirror's last use. Not thread-safe; close it once.
   */
  public final class Lease implements AutoCloseable {
    private final Mirror mirror;
    private final boolean serving;
    private boolean closed;

    private Lease(Mirror mirror, boolean serving) {
      this.mirror = mirror;
      this.serving = serving;
    }

    /** @return the leased mirror */
    public Mirror mirror() {
      return mirror;
    }

    @Override
    public void close() {
      if (!closed) {
        closed = true;
        if (serving) {
          mirror.usage().served(context.clock().instant());
        }
        if (mirror.usage().release() == 0 && maintenance.hasReplacedPacks(mirror.key())) {
          maintain(mirror, false); // its replaced packs can go now that nobody reads them
        }
      }
    }
  }

  /**
   * A manager without a disk budget.
   *
   * @param cacheRoot absolute, normalized; created when missing
   * @param context what the mirrors share
   * @throws IOException when the cache root cannot be created
   */
  public MirrorManager(Path cacheRoot, MirrorContext context) throws IOException {
    this(cacheRoot, context, MirrorLifecycle.UNBOUNDED);
  }

  /**
   * @param cacheRoot absolute, normalized; created when missing
   * @param context what the mirrors share
   * @param lifecycle the disk budget and who hears of repacks and evictions
   * @throws IOException when the cache root cannot be created or walked
   */
  public MirrorManager(Path cacheRoot, MirrorContext context, MirrorLifecycle lifecycle)
      throws IOException {
    this.cacheRoot = cacheRoot;
    this.context = context;
    this.lifecycle = lifecycle;
    Files.createDirectories(cacheRoot);
    removeLeftoverTemporaries();
    this.maintenance = new MirrorMaintenance(context.clock(), lifecycle.operations(), context.stopping());
    registerMirrorsOnDisk();
    queueBudgetCheck();
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
   * @return every mirror under the cache root, opened, sorted by key; from the registry, without
   *     walking the disk
   */
  public List<Mirror> list() {
    List<Mirror> result = new ArrayList<>(mirrors.values());
    result.sort(Comparator.comparing(Mirror::key));
    return result;
  }

  /**
   * Finds the mirrors already on disk: a walk that stops at each mirror's directory, skips hidden
   * ones (temporaries, the ls-refs cache) and goes on past files that vanish.
   */
  private void registerMirrorsOnDisk() throws IOException {
    List<Path> dirs = new ArrayList<>();
    Files.walkFileTree(
        cacheRoot,
        EnumSet.noneOf(FileVisitOption.class),
        MAX_DEPTH,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
            if (dir.equals(cacheRoot)) {
              return FileVisitResult.CONTINUE;
            }
            String name = dir.getFileName().toString();
            if (name.startsWith(".")) {
              return FileVisitResult.SKIP_SUBTREE;
            }
            if (name.endsWith(".git")) {
              if (Files.isRegularFile(dir.resolve("HEAD"))) {
                dirs.add(dir);
              }
              return FileVisitResult.SKIP_SUBTREE;
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
    for (Path dir : dirs) {
      Optional<URI> upstream = upstreamOf(dir);
      if (upstream.isEmpty()) {
        continue;
      }
      try {
        if (!RepositoryPaths.directory(cacheRoot, upstream.get()).equals(dir)) {
          log.warn("skipping {}: its upstream URL belongs elsewhere in the cache root", dir);
          continue;
        }
        open(upstream.get());
      } catch (IOException | IllegalArgumentException | UncheckedIOException e) {
        log.warn("skipping unreadable mirror at {}", dir, e);
      }
    }
  }

  /**
   * Leases the mirror of a repository for a request, creating it when there is none: while the
   * lease is open the mirror is not evicted. Closing the lease counts as a use of the mirror (its
   * last-served time), so a mirror being served may be the least recently served one: its lease,
   * not its time, keeps it.
   *
   * @param upstream a canonical upstream URL
   * @return the lease; close it when the request is done with the mirror
   * @throws GobletException when the mirror cannot be created or opened (a full or read-only disk)
   */
  public Lease leaseForRequest(URI upstream) throws GobletException {
    while (true) {
      Mirror mirror = openForRequest(upstream);
      if (mirror.usage().tryLease()) {
        return new Lease(mirror, true);
      }
      // evicted a moment ago, and gone from the registry: the next open makes it anew
    }
  }

  /**
   * Leases a mirror for background work (maintenance, publishing a snapshot), which does not count
   * as a use.
   *
   * @param mirror a mirror
   * @return a lease on it; empty when it was evicted (then it must not be used)
   */
  public Optional<Lease> tryLease(Mirror mirror) {
    return mirror.usage().tryLease() ? Optional.of(new Lease(mirror, false)) : Optional.empty();
  }

  /**
   * @param mirror a mirror
   * @return its size on disk when last measured (when found or made, and after each maintenance)
   */
  public long sizeBytes(Mirror mirror) {
    return mirror.usage().size();
  }

  /**
   * @param mirror a mirror
   * @return when a request last finished using it (for a mirror found on disk and not used since:
   *     its last update; for a new one: when it was made)
   */
  public Instant lastServed(Mirror mirror) {
    return mirror.usage().lastServed();
  }

  /** @return the sizes of every mirror, as last measured, added up */
  public long totalBytes() {
    long total = 0;
    for (Mirror mirror : mirrors.values()) {
      total += mirror.usage().size();
    }
    return total;
  }

  /**
   * Queues a maintenance run of a mirror on the maintenance executor: a repack (when it has too many
   * packs or no bitmap, or when {@code repack} asks for one), a new measure of its size, then the
   * disk budget.
   *
   * @param mirror the mirror
   * @param repack repack whatever the pack count
   * @return completes when this run, and every run queued before it, has ended
   */
  public CompletableFuture<Void> maintain(Mirror mirror, boolean repack) {
    return maintenance.submit(mirror.key(), repack, force -> runMaintenance(mirror, force));
  }

  /**
   * @param mirror a mirror
   * @return whether its maintenance (which may repack it, adding a bitmap) is queued or running
   */
  public boolean maintenanceBusy(Mirror mirror) {
    return maintenance.busy(mirror.key());
  }

  /** After a successful upstream fetch (on the fetch's thread): queues maintenance, returns. */
  private void fetched(Mirror mirror) {
    maintain(mirror, false);
  }

  private void runMaintenance(Mirror mirror, boolean force) {
    Optional<Lease> lease = tryLease(mirror);
    if (lease.isEmpty()) {
      return; // evicted since it was queued
    }
    try (Lease held = lease.get()) {
      long start = System.nanoTime();
      if (maintenance.repackIfNeeded(mirror, force)) {
        lifecycle.listener().repacked(mirror.key(), Duration.ofNanos(System.nanoTime() - start));
      }
      mirror.usage().setSize(FileTrees.sizeOf(mirror.localPath()));
    }
    enforceBudget();
  }

  private void queueBudgetCheck() {
    if (lifecycle.evicts() && budgetQueued.compareAndSet(false, true)) {
      maintenance.submit(
          ".budget",
          false,
          force -> {
            budgetQueued.set(false);
            enforceBudget();
          });
    }
  }

  /**
   * Evicts the least recently served mirrors nobody uses until the mirrors fit in the budget and the
   * cache root's file store has the floor's usable space, or none is left to evict. Runs on the
   * maintenance thread.
   */
  private void enforceBudget() {
    long max = lifecycle.cacheMaxBytes();
    if (max > 0) {
      long total = totalBytes();
      if (total > max) {
        for (Mirror candidate : leastRecentlyServedFirst()) {
          if (total <= max) {
            break;
          }
          long size = candidate.usage().size();
          if (evict(candidate, "to keep the cache within " + max + " bytes")) {
            total -= size;
          }
        }
        if (total > max) {
          log.warn(
              "the mirrors take {} bytes, over the budget of {}, and every other mirror is in use",
              total,
              max);
        }
      }
    }
    enforceFreeSpaceFloor();
  }

  /**
   * Evicts the least recently served idle mirrors while the cache root's file store has less
   * usable space than the floor, reading the space again after each eviction.
   */
  private void enforceFreeSpaceFloor() {
    long floor = lifecycle.cacheMinFreeBytes();
    if (floor <= 0 || usableSpace() >= floor) {
      return;
    }
    for (Mirror candidate : leastRecentlyServedFirst()) {
      long size = candidate.usage().size();
      if (evict(candidate, "to keep " + floor + " bytes free on the cache's disk")) {
        lifecycle.listener().evictedForFreeSpace(candidate.key(), size);
        if (usableSpace() >= floor) {
          return;
        }
      }
    }
    log.warn(
        "the cache's disk has {} usable bytes, under the floor of {}, and no idle mirror is left",
        usableSpace(),
        floor);
  }

  /**
   * @return the usable bytes of the cache root's file store, counting as usable the replaced packs
   *     that wait for their mirror's last lease to end (a repack's old copy is not a reason to
   *     evict another mirror); MAX_VALUE when the file store cannot be read
   */
  private long usableSpace() {
    long usable;
    try {
      usable = Files.getFileStore(cacheRoot).getUsableSpace();
    } catch (IOException e) {
      log.warn("cannot read the usable space of the cache root's disk", e);
      return Long.MAX_VALUE; // evict nothing on a guess
    }
    for (Mirror mirror : mirrors.values()) {
      usable += maintenance.replacedBytes(mirror);
    }
    return usable;
  }

  private List<Mirror> leastRecentlyServedFirst() {
    List<Mirror> byLastUse = new ArrayList<>(mirrors.values());
    byLastUse.sort(
        Comparator.comparing((Mirror m) -> m.usage().lastServed()).thenComparing(Mirror::key));
    return byLastUse;
  }

  /** @return whether the mirror was idle and is now gone */
  private boolean evict(Mirror mirror, String why) {
    if (mirror.pendingFetch().isPresent()) {
      return false;
    }
    long size = mirror.usage().size();
    Path dir = mirror.localPath();
    boolean[] evicted = new boolean[1];
    Path[] aside = new Path[1];
    // Marked and moved aside inside the map's lock on the key: a request either leased it before
    // (then it is not evicted) or finds no mirror and makes a new, empty one, never the old
    // directory.
    mirrors.compute(
        mirror.key(),
        (k, current) -> {
          if (current != mirror || !mirror.usage().evictIfIdle()) {
            return current;
          }
          evicted[0] = true;
          aside[0] = moveAside(dir);
          return null;
        });
    if (!evicted[0]) {
      return false;
    }
    mirror.close();
    lifecycle.listener().evicted(mirror.key(), size);
    log.info(
        "evicted mirror {} ({} bytes, last served {}) {}",
        mirror.key(),
        size,
        mirror.usage().lastServed(),
        why);
    if (aside[0] != null) {
      try {
        FileTrees.deleteTree(aside[0]);
      } catch (IOException | UncheckedIOException e) {
        log.warn("could not delete the evicted mirror at {}; removed at the next start", aside[0], e);
      }
    }
    return true;
  }

  /** @return where the directory went, or null when it could not be moved (it stays, reused) */
  private static Path moveAside(Path dir) {
    Path aside =
        dir.resolveSibling(TEMP_PREFIX + "evicted-" + UUID.randomUUID() + "-" + dir.getFileName());
    try {
      Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
      return aside;
    } catch (IOException e) {
      log.warn("could not move the evicted mirror {} aside", dir, e);
      return null;
    }
  }

  private Mirror openOrCreate(URI upstream, String key) {
    Path dir = RepositoryPaths.directory(cacheRoot, upstream);
    try {
      if (!Files.isRegularFile(dir.resolve("HEAD"))) {
        create(dir, upstream);
      }
      FileRepository repo = new FileRepository(dir.toFile());
      StoredConfig config = repo.getConfig();
      if (disableJGitAutoGc(config)) {
        try {
          config.save();
        } catch (IOException e) {
          // A read-only root: the setting holds in memory, which is all this process needs.
          log.warn("cannot save the gc settings of mirror {}: {}", key, e.getMessage());
        }
      }
      MirrorUsage usage = new MirrorUsage(Instant.EPOCH);
      usage.setSize(FileTrees.sizeOf(dir));
      Mirror mirror = new Mirror(upstream, key, dir, repo, context, usage, this::fetched);
      // A mirror found on disk was last used, as far as anyone knows, when it last fetched.
      usage.served(mirror.lastUpdate().orElse(context.clock().instant()));
      return mirror;
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
        disableJGitAutoGc(config);
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
   * Switches off JGit's own gc for a mirror (new or made by an older version): after every fetch
   * JGit runs one unless {@code fetch.autogc} is false ({@code Transport.fetch} calls {@code
   * Repository.autoGC}), detached on a thread of its own that the proxy can neither wait for nor
   * stop, so it could still write under the cache root after the proxy closed. {@code gc.auto} and
   * {@code gc.autopacklimit} are that gc's thresholds; zero disables each. The proxy repacks its
   * mirrors itself.
   *
   * @param config a mirror's config, changed in memory only
   * @return whether anything changed
   */
  static boolean disableJGitAutoGc(StoredConfig config) {
    boolean changed = false;
    if (config.getBoolean("fetch", "autogc", true)) {
      config.setBoolean("fetch", null, "autogc", false);
      changed = true;
    }
    for (String threshold : new String[] {"auto", "autopacklimit"}) {
      if (config.getInt("gc", threshold, -1) != 0) {
        config.setInt("gc", null, threshold, 0);
        changed = true;
      }
    }
    return changed;
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

  /** Waits for running maintenance to end, then closes every mirror. */
  @Override
  public void close() {
    maintenance.close();
    mirrors.values().forEach(Mirror::close);
    mirrors.clear();
  }
}
