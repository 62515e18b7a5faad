package dev.goblet.snapshot;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.goblet.ErrorReporter;
import dev.goblet.PublishReport;
import dev.goblet.RestoreReport;
import dev.goblet.SnapshotStore;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.MirrorSeeder;
import dev.goblet.repository.RepositoryPaths;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's part in a fleet sharing a {@link SnapshotStore}:
 *
 * <ul>
 *   <li><b>Restore on demand</b> ({@link #seed}): a request that needs the mirror of a
 *       repository this replica has none of (a fetch, or ls-refs answered from the cache) first
 *       restores the mirror from the newest usable snapshot, and the shared ls-refs entry into the
 *       ls-refs cache, on the restore executor; concurrent requests wait for that one restore (a
 *       fetch keeps its client alive meanwhile). The request then goes on as usual: with the
 *       upstream up, the restored mirror fetches only what it lacks; with it down, ls-refs is
 *       answered from the restored entry under offline mode's rules (only refs whose objects the
 *       mirror has).
 *   <li><b>Restore at start</b> ({@link #restoreAll}, when the host asks for it): every
 *       repository with a snapshot in the store and no mirror here is restored the same way, one
 *       at a time; a request for a repository being restored waits for that restore.
 *   <li><b>Publishing</b> ({@link #publishDue}, every few seconds on the scheduler): ls-refs cache
 *       entries that changed are written through within {@link #LS_REFS_WRITE_DELAY}; a mirror
 *       fetched since its last snapshot is published at most once per publish delay.
 * </ul>
 *
 * Thread-safe.
 */
public final class SnapshotService implements MirrorSeeder, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SnapshotService.class);

  /** The longest time a changed ls-refs cache entry waits before it is written to the store. */
  public static final Duration LS_REFS_WRITE_DELAY = Duration.ofSeconds(5);

  /** How long the store's "no snapshot of this repository" answer is believed. */
  private static final Duration ABSENT_TTL = Duration.ofSeconds(30);

  /** The last snapshot state of one repository, as this replica knows it. Immutable. */
  public record Status(
      String key, long generation, Instant mirrorUpdate, Optional<Instant> lastPublished) {}

  private final SnapshotStore store;
  private final MirrorManager mirrors;
  private final LsRefsCache cache;
  private final Path cacheRoot;
  private final Clock clock;
  private final Duration publishDelay;
  private final Duration restoreWait;
  private final Executor restores;
  private final SnapshotListener listener;
  private final ErrorReporter errors;
  private final SnapshotPublisher publisher;
  private final SnapshotRestorer restorer;
  private final ConcurrentHashMap<String, CompletableFuture<Restore>> restoring =
      new ConcurrentHashMap<>();
  private final Cache<String, Boolean> knownAbsent;
  private final Map<String, Status> statuses = new ConcurrentHashMap<>();
  private final Map<String, Instant> lastAttempt = new ConcurrentHashMap<>();
  private final Map<String, Instant> waitingForMaintenance = new ConcurrentHashMap<>();
  private final Map<String, Instant> lsRefsWritten = new ConcurrentHashMap<>();
  private final ReentrantLock publishing = new ReentrantLock();
  private volatile Instant lastFullScan = Instant.EPOCH;
  private volatile ScheduledFuture<?> task;
  private volatile boolean closed;

  /**
   * @param store the shared store
   * @param mirrors the mirrors
   * @param cache the ls-refs cache
   * @param cacheRoot the cache root (snapshots are staged in hidden directories there)
   * @param clock decides when a repository is due
   * @param publishDelay the least time between two snapshots of one repository by this replica
   * @param restoreWait how long the restore at start waits for a request's restore of a
   *     repository, and close for running restores
   * @param restores runs the restores that requests start ({@link #seed})
   * @param listener told of outcomes
   * @param errors receives failures (guarded)
   */
  public SnapshotService(
      SnapshotStore store,
      MirrorManager mirrors,
      LsRefsCache cache,
      Path cacheRoot,
      Clock clock,
      Duration publishDelay,
      Duration restoreWait,
      Executor restores,
      SnapshotListener listener,
      ErrorReporter errors) {
    this.store = store;
    this.mirrors = mirrors;
    this.cache = cache;
    this.cacheRoot = cacheRoot;
    this.clock = clock;
    this.publishDelay = publishDelay;
    this.restoreWait = restoreWait;
    this.restores = restores;
    this.listener = listener;
    this.errors = errors;
    String id = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    this.publisher = new SnapshotPublisher(store, cacheRoot, clock, id);
    this.restorer = new SnapshotRestorer(store, mirrors, listener);
    this.knownAbsent =
        Caffeine.newBuilder().expireAfterWrite(ABSENT_TTL).maximumSize(100_000).build();
  }

  /**
   * Runs {@link #publishDue} every {@link #LS_REFS_WRITE_DELAY} (or publish delay, if shorter).
   *
   * @param scheduler runs it; never shut down here
   * @param track wraps each run, so that the proxy's close waits for it
   */
  public void start(ScheduledExecutorService scheduler, UnaryOperator<Runnable> track) {
    long millis = Math.min(LS_REFS_WRITE_DELAY.toMillis(), publishDelay.toMillis());
    try {
      task = scheduler.scheduleWithFixedDelay(track.apply(this::scheduledTick), millis, millis,
          TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.error("no snapshot publishing: the scheduler refused the task", e);
    }
  }

  private void scheduledTick() {
    try {
      publishDue();
    } catch (RuntimeException e) {
      // Never let an exception escape: it would cancel the schedule.
      log.warn("snapshot publishing failed: {}", e.toString());
      errors.report(null, e);
    }
  }

  /**
   * Restores the repository's mirror on the restore executor when it has none and the store may
   * have a snapshot of it; a second caller joins the running restore.
   */
  @Override
  public CompletableFuture<Void> seed(URI upstream) {
    String key = RepositoryPaths.key(upstream);
    if (closed || hasMirror(upstream) || knownAbsent.getIfPresent(key) != null) {
      return CompletableFuture.completedFuture(null);
    }
    CompletableFuture<Restore> mine = new CompletableFuture<>();
    CompletableFuture<Restore> running = restoring.putIfAbsent(key, mine);
    if (running != null) {
      log.info("waiting for the running restore of {} from the snapshot store", key);
      return running.thenApply(restore -> null);
    }
    try {
      restores.execute(() -> restoreRegistered(upstream, key, mine));
    } catch (RejectedExecutionException e) {
      log.warn("cannot restore {} now: the restore executor refused it", key);
      restoring.remove(key, mine);
      mine.complete(Restore.FAILED);
    }
    return mine.thenApply(restore -> null);
  }

  private boolean hasMirror(URI upstream) {
    return Files.isRegularFile(RepositoryPaths.directory(cacheRoot, upstream).resolve("HEAD"));
  }

  /** What one restore of a repository did. */
  private enum Outcome {
    RESTORED,
    /** A mirror was there already (or appeared meanwhile): nothing restored. */
    PRESENT,
    /** The store had no usable snapshot, or could not be read. */
    FAILED
  }

  private record Restore(Outcome outcome, boolean lsRefsRestored) {
    static final Restore FAILED = new Restore(Outcome.FAILED, false);
  }

  /**
   * Restores a repository on the calling thread, unless another thread is restoring it already:
   * then waits for that restore (up to the restore wait) and returns what it did.
   */
  private Restore restoreOnce(URI upstream, String key) {
    CompletableFuture<Restore> mine = new CompletableFuture<>();
    CompletableFuture<Restore> running = restoring.putIfAbsent(key, mine);
    if (running != null) {
      log.info("waiting for the running restore of {} from the snapshot store", key);
      try {
        return running.get(restoreWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("not waiting longer for the restore of {}: {}", key, e.toString());
      }
      return Restore.FAILED;
    }
    return restoreRegistered(upstream, key, mine);
  }

  /** Runs the restore registered as {@code mine}, then unregisters and completes it. */
  private Restore restoreRegistered(URI upstream, String key, CompletableFuture<Restore> mine) {
    Restore result = Restore.FAILED;
    try {
      result = restoreNow(upstream, key);
      return result;
    } finally {
      restoring.remove(key, mine);
      mine.complete(result);
    }
  }

  private Restore restoreNow(URI upstream, String key) {
    if (hasMirror(upstream)) {
      return new Restore(Outcome.PRESENT, false); // restored by the restore just ended
    }
    long start = System.nanoTime();
    boolean lsRefsRestored = false;
    try {
      Optional<LsRefsCache.Entry> entry =
          SnapshotPublisher.readLsRefs(store, SnapshotManifest.Names.lsRefs(key), key);
      if (entry.isPresent() && cache.restore(entry.get())) {
        lsRefsWritten.merge(key, entry.get().newestTime(), SnapshotService::later);
        lsRefsRestored = true;
      }
      Optional<SnapshotRestorer.Restored> restored = restorer.restore(upstream, key);
      if (restored.isEmpty()) {
        if (hasMirror(upstream)) {
          return new Restore(Outcome.PRESENT, lsRefsRestored);
        }
        knownAbsent.put(key, Boolean.TRUE);
        return new Restore(Outcome.FAILED, lsRefsRestored);
      }
      mirrors.open(upstream); // registered and measured, as a mirror found on disk at start is
      Instant update = Instant.ofEpochMilli(restored.get().mirrorUpdate());
      statuses.put(key, new Status(key, restored.get().generation(), update, Optional.empty()));
      listener.restored(key, restored.get().bytes(), Duration.ofNanos(System.nanoTime() - start));
      return new Restore(Outcome.RESTORED, lsRefsRestored);
    } catch (IOException | RuntimeException e) {
      log.warn("cannot restore {} from the snapshot store: {}", key, e.toString());
      errors.report(null, e);
      listener.restoreFailed(key);
      return new Restore(Outcome.FAILED, lsRefsRestored);
    }
  }

  /**
   * Restores every repository that has a snapshot in the store and no mirror in the cache root,
   * with its ls-refs entry, one at a time on the calling thread, as {@link #seed} does for one.
   * A repository whose snapshots are all unusable is logged and reported as failed; the run goes
   * on. A request for a repository being restored waits for that restore, and this run waits for
   * a request's restore of one it reaches. Stops before the next repository once closed.
   *
   * @return what it did
   */
  public RestoreReport restoreAll() {
    long start = System.nanoTime();
    TreeSet<String> keys = new TreeSet<>();
    try {
      for (String name : store.listRecursively(SnapshotManifest.Names.ROOT)) {
        SnapshotManifest.Names.keyOfManifest(name).ifPresent(keys::add);
      }
    } catch (IOException | RuntimeException e) {
      log.error("cannot list the snapshot store {}; nothing restored at start: {}", store,
          e.toString());
      errors.report(null, e);
      return RestoreReport.NONE;
    }
    log.info("restoring the {} repositories of the snapshot store {} that this replica lacks",
        keys.size(), store);
    List<String> restored = new ArrayList<>();
    List<String> present = new ArrayList<>();
    List<String> failed = new ArrayList<>();
    int lsRefsEntries = 0;
    for (String key : keys) {
      if (closed) {
        break;
      }
      Restore result = restoreStored(key);
      switch (result.outcome()) {
        case RESTORED -> restored.add(key);
        case PRESENT -> present.add(key);
        case FAILED -> failed.add(key);
      }
      lsRefsEntries += result.lsRefsRestored() ? 1 : 0;
    }
    log.info("restore at start from {}: {} repositories restored, {} already present, {} failed,"
            + " {} ls-refs entries, in {} ms", store, restored.size(), present.size(),
        failed.size(), lsRefsEntries, Duration.ofNanos(System.nanoTime() - start).toMillis());
    return new RestoreReport(restored, present, failed, lsRefsEntries);
  }

  /** Restores one repository the store lists, its upstream URL read from its newest manifest. */
  private Restore restoreStored(String key) {
    try {
      Optional<SnapshotManifest> newest = SnapshotReader.newestReadable(store, key);
      if (newest.isEmpty()) {
        log.warn("skipping {} at start: none of its snapshot manifests can be read", key);
        listener.restoreFailed(key);
        return Restore.FAILED;
      }
      URI upstream = new URI(newest.get().upstream());
      if (!RepositoryPaths.key(upstream).equals(key)) {
        throw new IOException("its manifest names the upstream of another repository");
      }
      return restoreOnce(upstream, key);
    } catch (IOException | URISyntaxException | RuntimeException e) {
      log.warn("skipping {} at start: {}", key, e.toString());
      errors.report(null, e);
      listener.restoreFailed(key);
      return Restore.FAILED;
    }
  }

  /**
   * Writes changed ls-refs cache entries, and publishes the mirrors that changed since their last
   * snapshot and whose last attempt is at least the publish delay ago. Failures are logged,
   * reported and counted; the run goes on.
   *
   * @return what this run did (mirrors skipped for the delay are in no list)
   */
  public PublishReport publishDue() {
    return publish(false);
  }

  /**
   * Publishes every mirror that changed since its last snapshot now, whatever the delay, and
   * writes changed ls-refs entries.
   *
   * @return what this run did
   */
  public PublishReport publishNow() {
    return publish(true);
  }

  private PublishReport publish(boolean now) {
    publishing.lock();
    try {
      int lsRefsEntries = writeLsRefs();
      List<String> published = new ArrayList<>();
      List<String> upToDate = new ArrayList<>();
      List<String> failed = new ArrayList<>();
      for (Mirror mirror : candidates(now)) {
        if (closed) {
          break;
        }
        switch (publishMirror(mirror, now)) {
          case PUBLISHED -> published.add(mirror.key());
          case UP_TO_DATE -> upToDate.add(mirror.key());
          case FAILED -> failed.add(mirror.key());
          case SKIPPED -> {}
        }
      }
      return new PublishReport(published, upToDate, failed, lsRefsEntries);
    } finally {
      publishing.unlock();
    }
  }

  /** @return how many entries were written */
  private int writeLsRefs() {
    int written = 0;
    for (LsRefsCache.Entry entry : cache.entries()) {
      Instant stored = lsRefsWritten.get(entry.repoKey());
      if (stored != null && !stored.isBefore(entry.newestTime())) {
        continue;
      }
      try {
        if (publisher.writeLsRefs(entry)) {
          listener.lsRefsWritten(entry.repoKey());
          written++;
        }
        lsRefsWritten.merge(entry.repoKey(), entry.newestTime(), SnapshotService::later);
      } catch (IOException | RuntimeException e) {
        log.warn("cannot write the ls-refs entry of {} to the store: {}", entry.repoKey(),
            e.toString());
        errors.report(null, e);
      }
    }
    return written;
  }

  /** The mirrors of the cached repositories; every mirror on disk once per publish delay. */
  private List<Mirror> candidates(boolean all) {
    Instant now = clock.instant();
    if (all || !now.isBefore(lastFullScan.plus(publishDelay))) {
      lastFullScan = now;
      return mirrors.list();
    }
    List<Mirror> result = new ArrayList<>();
    for (LsRefsCache.Entry entry : cache.entries()) {
      try {
        mirrors.findByKey(entry.repoKey()).ifPresent(result::add);
      } catch (IOException | IllegalArgumentException e) {
        log.debug("no mirror to publish for {}", entry.repoKey(), e);
      }
    }
    return result;
  }

  /** What publishing one mirror did. */
  private enum Published {
    PUBLISHED,
    UP_TO_DATE,
    FAILED,
    /** Never fetched, no refs, debounced, or waiting for the mirror's maintenance. */
    SKIPPED
  }

  private Published publishMirror(Mirror mirror, boolean now) {
    String key = mirror.key();
    Optional<Instant> update = mirror.lastUpdate();
    Status status = statuses.get(key);
    if (update.isEmpty()) {
      return Published.SKIPPED;
    }
    if (status != null && !status.mirrorUpdate().isBefore(update.get())) {
      return Published.UP_TO_DATE;
    }
    Instant attempt = lastAttempt.get(key);
    Instant time = clock.instant();
    if (!now && attempt != null && time.isBefore(attempt.plus(publishDelay))) {
      return Published.SKIPPED; // debounced
    }
    if (!now && mirrors.maintenanceBusy(mirror)
        && time.isBefore(waitingForMaintenance.computeIfAbsent(key, k -> time).plus(publishDelay))) {
      // The repack that follows a fetch (a first fetch gets its bitmap there) changes the packs:
      // publish its result once, not the packs it is about to replace. A mirror whose maintenance
      // never pauses is published anyway after the publish delay.
      return Published.SKIPPED;
    }
    waitingForMaintenance.remove(key);
    lastAttempt.put(key, time);
    long start = System.nanoTime();
    Optional<MirrorManager.Lease> lease = mirrors.tryLease(mirror);
    if (lease.isEmpty()) {
      return Published.SKIPPED; // evicted since it was listed
    }
    try (MirrorManager.Lease held = lease.get()) { // no replaced pack is deleted meanwhile
      SnapshotPublisher.Result result = publisher.publish(mirror);
      Optional<Instant> published =
          result.outcome() == SnapshotPublisher.Outcome.COMMITTED
              ? Optional.of(time)
              : Optional.ofNullable(status).flatMap(Status::lastPublished);
      if (result.outcome() != SnapshotPublisher.Outcome.NOTHING) {
        statuses.put(key, new Status(key, result.generation(), update.get(), published));
      }
      return switch (result.outcome()) {
        case COMMITTED -> {
          listener.published(key, result.bytesUploaded(),
              Duration.ofNanos(System.nanoTime() - start));
          yield Published.PUBLISHED;
        }
        case ALREADY_STORED -> Published.UP_TO_DATE;
        case NOTHING -> Published.SKIPPED;
      };
    } catch (IOException | RuntimeException e) {
      log.warn("cannot publish a snapshot of {}: {}", key, e.toString());
      errors.report(null, e);
      listener.publishFailed(key);
      return Published.FAILED;
    }
  }

  /** @return the snapshot state of every repository this replica published or restored, by key */
  public Map<String, Status> statuses() {
    return new LinkedHashMap<>(new TreeMap<>(statuses));
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /**
   * Stops publishing (a running publish stops before its next repository) and restoring; returns
   * when neither writes under the cache root any more (a restore is waited for up to the restore
   * wait).
   */
  @Override
  public void close() {
    closed = true;
    ScheduledFuture<?> scheduled = task;
    if (scheduled != null) {
      scheduled.cancel(false);
    }
    publishing.lock();
    publishing.unlock();
    for (CompletableFuture<Restore> restore : restoring.values()) {
      try {
        restore.get(restoreWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ExecutionException | TimeoutException e) {
        log.warn("a restore was still running at close: {}", e.toString());
      }
    }
  }
}
