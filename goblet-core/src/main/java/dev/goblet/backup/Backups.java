package dev.goblet.backup;

import dev.goblet.BackupReport;
import dev.goblet.BackupStore;
import dev.goblet.ErrorReporter;
import dev.goblet.OperationLogger;
import dev.goblet.RestoreReport;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.RepositoryPaths;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Backs the mirrors up to a {@link BackupStore} and restores them, as the Go original's hosting
 * glue does, plus the ls-refs cache so that a fresh replica serves offline. Layout in the store:
 *
 * <ul>
 *   <li>{@code bundles/<key>/<seconds>.bundle}: a Git bundle of every ref of a mirror, named by the
 *       mirror's last update (epoch seconds, 12 digits); only the newest is kept
 *   <li>{@code bundles/<key>/<seconds>.ls-refs.json}: the repository's ls-refs cache entry, named
 *       by its newest listing's time; only the newest is kept
 *   <li>{@code manifests/<seconds>-<random>.txt}: the upstream URLs of every repository with a
 *       bundle, one a line, written by each run; manifests older than a day are deleted
 * </ul>
 *
 * <p>A backup run writes a bundle for each mirror updated since its newest bundle, and the cached
 * ls-refs entry when it is newer than the stored one. A restore reads every manifest and, for each
 * listed repository whose mirror has no refs yet, recovers the mirror from its newest usable bundle,
 * then loads the stored ls-refs entry unless the cache holds a newer one. Broken objects are skipped
 * with a log line; nothing stops the run.
 *
 * <p>Thread-safe: runs are serialized.
 */
public final class Backups {
  private static final Logger log = LoggerFactory.getLogger(Backups.class);

  static final String MANIFESTS = "manifests/";
  static final String BUNDLES = "bundles/";
  static final String BUNDLE_SUFFIX = ".bundle";
  static final String LS_REFS_SUFFIX = ".ls-refs.json";
  static final String MANIFEST_SUFFIX = ".txt";
  static final Duration MANIFEST_LIFETIME = Duration.ofDays(1);
  private static final Pattern STAMP = Pattern.compile("([0-9]{1,18})(?:-[0-9a-f]+)?");
  private static final int MAX_LS_REFS_BYTES = 64 << 20;

  /** Told of backup and restore outcomes; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /** @param bytes the size of a bundle just written */
    default void bundleWritten(long bytes) {}

    /** A repository's backup failed. */
    default void backupFailed() {}

    /** @param took how long a whole backup run took */
    default void backupRun(Duration took) {}

    /** A mirror was recovered from a bundle. */
    default void restored() {}

    /** A cached ls-refs entry was restored. */
    default void lsRefsRestored() {}

    /** A stored bundle or ls-refs entry could not be used. */
    default void restoreFailed() {}
  }

  private final BackupStore store;
  private final MirrorManager mirrors;
  private final LsRefsCache cache;
  private final Path tempDir;
  private final Clock clock;
  private final OperationLogger operations;
  private final ErrorReporter errors;
  private final Listener listener;
  private final ReentrantLock running = new ReentrantLock();
  private volatile boolean stopped;

  /**
   * @param store where backups go
   * @param mirrors the mirrors
   * @param cache the ls-refs cache
   * @param tempDir a directory of this proxy's own for downloaded bundles (created when needed)
   * @param clock time of manifests
   * @param operations receives each repository's backup and restore (guarded)
   * @param errors receives failures (guarded)
   * @param listener told of outcomes
   */
  public Backups(
      BackupStore store,
      MirrorManager mirrors,
      LsRefsCache cache,
      Path tempDir,
      Clock clock,
      OperationLogger operations,
      ErrorReporter errors,
      Listener listener) {
    this.store = store;
    this.mirrors = mirrors;
    this.cache = cache;
    this.tempDir = tempDir;
    this.clock = clock;
    this.operations = operations;
    this.errors = errors;
    this.listener = listener;
  }

  /** Makes running and later runs stop before their next repository. */
  public void stop() {
    stopped = true;
  }

  /**
   * Runs one backup: bundles and ls-refs entries of the mirrors, a manifest, old manifests
   * deleted. A repository's failure is logged, reported and counted, and the run goes on.
   *
   * @return what it did
   * @throws IOException when the mirrors cannot be listed
   */
  public BackupReport backup() throws IOException {
    running.lock();
    long start = System.nanoTime();
    try {
      Instant now = clock.instant();
      List<URI> bundled = new ArrayList<>();
      List<URI> upToDate = new ArrayList<>();
      List<URI> failed = new ArrayList<>();
      List<URI> manifest = new ArrayList<>();
      int lsRefsEntries = 0;
      for (Mirror mirror : mirrors.list()) {
        if (stopped) {
          break;
        }
        RepositoryBackup result = backupRepository(mirror);
        switch (result.outcome()) {
          case BUNDLED -> bundled.add(mirror.upstreamUrl());
          case UP_TO_DATE -> upToDate.add(mirror.upstreamUrl());
          case FAILED -> failed.add(mirror.upstreamUrl());
          case NOTHING -> {}
        }
        if (result.hasBundle()) {
          manifest.add(mirror.upstreamUrl());
        }
        lsRefsEntries += result.lsRefsWritten() ? 1 : 0;
      }
      Optional<String> manifestName = writeManifest(now, manifest);
      int deleted = deleteOldManifests(now);
      log.info(
          "backup to {}: {} bundles written, {} up to date, {} failed, {} ls-refs entries, {} old"
              + " manifests deleted",
          store, bundled.size(), upToDate.size(), failed.size(), lsRefsEntries, deleted);
      return new BackupReport(bundled, upToDate, failed, lsRefsEntries, manifestName, deleted);
    } finally {
      listener.backupRun(Duration.ofNanos(System.nanoTime() - start));
      running.unlock();
    }
  }

  private enum Outcome {
    BUNDLED,
    UP_TO_DATE,
    FAILED,
    NOTHING
  }

  private record RepositoryBackup(Outcome outcome, boolean hasBundle, boolean lsRefsWritten) {}

  private RepositoryBackup backupRepository(Mirror mirror) {
    URI url = mirror.upstreamUrl();
    String dir = BUNDLES + mirror.key() + "/";
    boolean hasBundle = false;
    OperationLogger.Operation operation = OperationLogger.Operation.NONE;
    try {
      List<String> names = store.list(dir);
      List<Stamped> bundles = newestFirst(names, BUNDLE_SUFFIX);
      hasBundle = !bundles.isEmpty();
      Optional<Instant> lastUpdate = mirror.lastUpdate();
      Outcome outcome = hasBundle ? Outcome.UP_TO_DATE : Outcome.NOTHING;
      if (lastUpdate.isPresent()
          && (bundles.isEmpty() || bundles.get(0).seconds() < lastUpdate.get().getEpochSecond())
          && mirror.refCount() > 0) {
        operation = operations.start("backup", url);
        long seconds = lastUpdate.get().getEpochSecond();
        String name = dir + stamp(seconds) + BUNDLE_SUFFIX;
        operation.progress("writing bundle " + name);
        long bytes;
        Optional<MirrorManager.Lease> lease = mirrors.tryLease(mirror);
        if (lease.isEmpty()) {
          operation.done(null); // evicted since the run listed it
          return new RepositoryBackup(Outcome.NOTHING, false, false);
        }
        try (MirrorManager.Lease held = lease.get()) {
          bytes = store.write(name, mirror::writeBundle);
        }
        operation.progress("bundle written: " + bytes + " bytes");
        listener.bundleWritten(bytes);
        bundles.add(0, new Stamped(name, seconds));
        hasBundle = true;
        outcome = Outcome.BUNDLED;
      }
      boolean lsRefsWritten =
          backupLsRefs(mirror.key(), dir, newestFirst(names, LS_REFS_SUFFIX), operation);
      deleteAllButNewest(bundles);
      operation.done(null);
      return new RepositoryBackup(outcome, hasBundle, lsRefsWritten);
    } catch (IOException | RuntimeException e) {
      log.warn("backup of {} to {} failed: {}", url, store, e.toString());
      errors.report(null, e);
      listener.backupFailed();
      operation.done(e);
      return new RepositoryBackup(Outcome.FAILED, hasBundle, false);
    }
  }

  /** Writes the cached entry when it is newer than the newest stored one. */
  private boolean backupLsRefs(
      String key, String dir, List<Stamped> stored, OperationLogger.Operation operation)
      throws IOException {
    Optional<LsRefsCache.Entry> entry = cache.get(key);
    if (entry.isEmpty()) {
      return false;
    }
    long seconds = entry.get().newestTime().getEpochSecond();
    boolean written = false;
    if (stored.isEmpty() || stored.get(0).seconds() < seconds) {
      String name = dir + stamp(seconds) + LS_REFS_SUFFIX;
      byte[] json = entry.get().toJson();
      store.write(name, out -> out.write(json));
      operation.progress("ls-refs cache entry written: " + name);
      stored.add(0, new Stamped(name, seconds));
      written = true;
    }
    deleteAllButNewest(stored);
    return written;
  }

  private void deleteAllButNewest(List<Stamped> newestFirst) throws IOException {
    for (Stamped old : newestFirst.subList(Math.min(1, newestFirst.size()), newestFirst.size())) {
      store.delete(old.name());
    }
  }

  private Optional<String> writeManifest(Instant now, List<URI> urls) {
    String name =
        MANIFESTS
            + stamp(now.getEpochSecond())
            + "-"
            + String.format(Locale.ROOT, "%08x", ThreadLocalRandom.current().nextInt())
            + MANIFEST_SUFFIX;
    StringBuilder content = new StringBuilder();
    urls.forEach(url -> content.append(url).append('\n'));
    byte[] bytes = content.toString().getBytes(StandardCharsets.UTF_8);
    try {
      store.write(name, out -> out.write(bytes));
      return Optional.of(name);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot write the backup manifest {} to {}: {}", name, store, e.toString());
      errors.report(null, e);
      listener.backupFailed();
      return Optional.empty();
    }
  }

  private int deleteOldManifests(Instant now) {
    long threshold = now.minus(MANIFEST_LIFETIME).getEpochSecond();
    int deleted = 0;
    try {
      for (Stamped manifest : newestFirst(store.list(MANIFESTS), MANIFEST_SUFFIX)) {
        if (manifest.seconds() < threshold) {
          store.delete(manifest.name());
          deleted++;
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("cannot delete old backup manifests in {}: {}", store, e.toString());
    }
    return deleted;
  }

  /**
   * Restores every repository the manifests list (see the class comment). Never throws for a bad
   * object in the store: it is skipped with a log line.
   *
   * @return what it did
   */
  public RestoreReport restore() {
    running.lock();
    try {
      Set<URI> urls;
      try {
        urls = manifestUrls();
        prepareTempDir();
      } catch (IOException | RuntimeException e) {
        log.error("cannot read backups from {}; starting without them: {}", store, e.toString());
        errors.report(null, e);
        return RestoreReport.NONE;
      }
      List<URI> restored = new ArrayList<>();
      List<URI> present = new ArrayList<>();
      List<URI> failed = new ArrayList<>();
      int lsRefsEntries = 0;
      for (URI url : urls) {
        if (stopped) {
          break;
        }
        OperationLogger.Operation operation = operations.start("restore", url);
        try {
          String key = RepositoryPaths.key(url);
          List<String> names = store.list(BUNDLES + key + "/");
          Mirror mirror = mirrors.open(url);
          try (MirrorManager.Lease lease = mirrors.tryLease(mirror).orElseThrow(
              () -> new IOException("the mirror was evicted while being restored"))) {
            if (mirror.refCount() > 0) {
              operation.progress("the mirror already has refs; no bundle needed");
              present.add(url);
            } else if (firstUsable(newestFirst(names, BUNDLE_SUFFIX), "bundle", url, operation,
                bundle -> recover(mirror, bundle))) {
              listener.restored();
              restored.add(url);
              mirrors.maintain(mirror, false); // measured for the disk budget, given a bitmap
            } else {
              failed.add(url);
            }
          }
          Optional<Instant> cached = cache.get(key).map(LsRefsCache.Entry::newestTime);
          firstUsable(newestFirst(names, LS_REFS_SUFFIX), "ls-refs entry", url, operation,
              stored -> restoreLsRefs(key, stored));
          if (!cache.get(key).map(LsRefsCache.Entry::newestTime).equals(cached)) {
            listener.lsRefsRestored();
            lsRefsEntries++;
          }
          operation.done(null);
        } catch (IOException | RuntimeException e) {
          log.warn("cannot restore {} from {}: {}", url, store, e.toString());
          errors.report(null, e);
          listener.restoreFailed();
          failed.add(url);
          operation.done(e);
        }
      }
      log.info(
          "restore from {}: {} repositories restored, {} already present, {} failed, {} ls-refs"
              + " entries",
          store, restored.size(), present.size(), failed.size(), lsRefsEntries);
      return new RestoreReport(restored, present, failed, lsRefsEntries);
    } finally {
      running.unlock();
    }
  }

  /** @return the URLs of every manifest, newest manifest first */
  private Set<URI> manifestUrls() throws IOException {
    Set<URI> urls = new LinkedHashSet<>();
    for (Stamped manifest : newestFirst(store.list(MANIFESTS), MANIFEST_SUFFIX)) {
      try (BufferedReader reader =
          new BufferedReader(
              new InputStreamReader(store.open(manifest.name()), StandardCharsets.UTF_8))) {
        for (String line = reader.readLine(); line != null; line = reader.readLine()) {
          if (!line.isBlank()) {
            try {
              urls.add(new URI(line.strip()));
            } catch (URISyntaxException e) {
              log.warn("skipping a line of backup manifest {} that is not a URL", manifest.name());
            }
          }
        }
      } catch (IOException e) {
        log.warn("skipping unreadable backup manifest {}: {}", manifest.name(), e.toString());
      }
    }
    return urls;
  }

  private void prepareTempDir() throws IOException {
    Files.createDirectories(tempDir);
    try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(tempDir)) {
      for (Path leftover : leftovers) {
        Files.deleteIfExists(leftover);
      }
    }
  }

  /** One attempt to use a stored object; false or an exception means it was not usable. */
  @FunctionalInterface
  private interface Attempt {
    boolean use(Stamped stored) throws IOException;
  }

  /** @return whether one of the objects, tried newest first, was used */
  private boolean firstUsable(
      List<Stamped> newestFirst,
      String what,
      URI url,
      OperationLogger.Operation operation,
      Attempt attempt) {
    for (Stamped stored : newestFirst) {
      try {
        if (attempt.use(stored)) {
          operation.progress("restored " + what + " " + stored.name());
          return true;
        }
      } catch (IOException | RuntimeException e) {
        log.warn("skipping broken backup {} {} of {}: {}", what, stored.name(), url, e.toString());
        errors.report(null, e);
        listener.restoreFailed();
        operation.progress("skipped broken " + what + " " + stored.name());
      }
    }
    return false;
  }

  private boolean recover(Mirror mirror, Stamped bundle) throws IOException {
    Path temp = Files.createTempFile(tempDir, "restore-", BUNDLE_SUFFIX);
    try {
      try (InputStream in = store.open(bundle.name())) {
        Files.copy(in, temp, StandardCopyOption.REPLACE_EXISTING);
      }
      mirror.recoverFromBundle(temp);
      log.info("restored mirror {} from backup bundle {}", mirror.key(), bundle.name());
      return true;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  private boolean restoreLsRefs(String key, Stamped stored) throws IOException {
    byte[] json;
    try (InputStream in = store.open(stored.name())) {
      json = in.readNBytes(MAX_LS_REFS_BYTES + 1);
    }
    if (json.length > MAX_LS_REFS_BYTES) {
      throw new IOException("larger than " + MAX_LS_REFS_BYTES + " bytes");
    }
    LsRefsCache.Entry entry = LsRefsCache.Entry.fromJson(json);
    if (!entry.repoKey().equals(key)) {
      throw new IOException("holds the entry of " + entry.repoKey());
    }
    if (cache.restore(entry)) {
      log.info("restored the ls-refs cache entry of {} from {}", key, stored.name());
    }
    return true; // usable, even when the cache already held a newer entry
  }

  /** A stored object whose name carries a time. */
  record Stamped(String name, long seconds) {}

  /** @return the names ending with {@code suffix} whose base name is a time, newest first */
  static List<Stamped> newestFirst(List<String> names, String suffix) {
    List<Stamped> result = new ArrayList<>();
    for (String name : names) {
      String base = name.substring(name.lastIndexOf('/') + 1);
      if (!base.endsWith(suffix)) {
        continue;
      }
      Matcher stamp = STAMP.matcher(base.substring(0, base.length() - suffix.length()));
      if (stamp.matches()) {
        result.add(new Stamped(name, Long.parseLong(stamp.group(1))));
      }
    }
    result.sort(Comparator.comparingLong(Stamped::seconds).thenComparing(Stamped::name).reversed());
    return result;
  }

  static String stamp(long epochSeconds) {
    return String.format(Locale.ROOT, "%012d", epochSeconds);
  }
}
