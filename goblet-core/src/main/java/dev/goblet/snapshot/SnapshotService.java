package dev.goblet.snapshot;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.goblet.ErrorReporter;
import dev.goblet.SnapshotStore;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.MirrorSeeder;
import dev.goblet.repository.RepositoryPaths;
import java.io.IOException;
import java.net.URI;
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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A replica's part in a fleet sharing a {@link SnapshotStore}:
 *
 * <ul>
 *   <li><b>Restore on demand</b> ({@link #seed}): a request for a repository this replica has no
 *       mirror of first restores the mirror from the newest usable snapshot, and the shared ls-refs
 *       entry into the ls-refs cache; concurrent requests wait for that one restore. The request
 *       then goes on as usual: with the upstream up, the restored mirror fetches only what it
 *       lacks; with it down, ls-refs is answered from the restored entry under offline mode's
 *       rules (only refs whose objects the mirror has).
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
  private final SnapshotListener listener;
  private final ErrorReporter errors;
  private final SnapshotPublisher publisher;
  private final SnapshotRestorer restorer;
  private final ConcurrentHashMap<String, CompletableFuture<Void>> restoring =
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
   * @param restoreWait how long a request waits for another request's restore of its repository
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
      SnapshotListener listener,
      ErrorReporter errors) {
    this.store = store;
    this.mirrors = mirrors;
    this.cache = cache;
    this.cacheRoot = cacheRoot;
    this.clock = clock;
    this.publishDelay = publishDelay;
    this.restoreWait = restoreWait;
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
   */
  public void start(ScheduledExecutorService scheduler) {
    long millis = Math.min(LS_REFS_WRITE_DELAY.toMillis(), publishDelay.toMillis());
    try {
      task = scheduler.scheduleWithFixedDelay(this::scheduledTick, millis, millis,
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

  @Override
  public void seed(URI upstream) {
    String key = RepositoryPaths.key(upstream);
    if (closed
        || Files.isRegularFile(RepositoryPaths.directory(cacheRoot, upstream).resolve("HEAD"))
        || knownAbsent.getIfPresent(key) != null) {
      return;
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = restoring.putIfAbsent(key, mine);
    if (running != null) {
      try {
        running.get(restoreWait.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException | TimeoutException e) {
        log.warn("not waiting longer for the restore of {}: {}", key, e.toString());
      }
      return;
    }
    try {
      restoreNow(upstream, key);
    } finally {
      restoring.remove(key, mine);
      mine.complete(null);
    }
  }

  private void restoreNow(URI upstream, String key) {
    long start = System.nanoTime();
    try {
      SnapshotPublisher.readLsRefs(store, SnapshotManifest.Names.lsRefs(key), key)
          .ifPresent(
              entry -> {
                if (cache.restore(entry)) {
                  lsRefsWritten.merge(key, entry.newestTime(), SnapshotService::later);
                }
              });
      Optional<SnapshotRestorer.Restored> restored = restorer.restore(upstream, key);
      if (restored.isEmpty()) {
        if (!Files.isRegularFile(RepositoryPaths.directory(cacheRoot, upstream).resolve("HEAD"))) {
          knownAbsent.put(key, Boolean.TRUE);
        }
        return;
      }
      Instant update = Instant.ofEpochMilli(restored.get().mirrorUpdate());
      statuses.put(key, new Status(key, restored.get().generation(), update, Optional.empty()));
      listener.restored(key, restored.get().bytes(), Duration.ofNanos(System.nanoTime() - start));
    } catch (IOException | RuntimeException e) {
      log.warn("cannot restore {} from the snapshot store: {}", key, e.toString());
      errors.report(null, e);
      listener.restoreFailed(key);
    }
  }

  /**
   * Writes changed ls-refs cache entries, and publishes the mirrors that changed since their last
   * snapshot and whose last attempt is at least the publish delay ago. Failures are logged,
   * reported and counted; the run goes on.
   *
   * @return the repositories whose snapshot this run committed
   */
  public List<String> publishDue() {
    return publish(false);
  }

  /**
   * Publishes every mirror that changed since its last snapshot now, whatever the delay, and
   * writes changed ls-refs entries.
   *
   * @return the repositories whose snapshot this run committed
   */
  public List<String> publishNow() {
    return publish(true);
  }

  private List<String> publish(boolean now) {
    publishing.lock();
    try {
      writeLsRefs();
      List<String> committed = new ArrayList<>();
      for (Mirror mirror : candidates(now)) {
        if (closed) {
          break;
        }
        if (publishMirror(mirror, now)) {
          committed.add(mirror.key());
        }
      }
      return committed;
    } finally {
      publishing.unlock();
    }
  }

  private void writeLsRefs() {
    for (LsRefsCache.Entry entry : cache.entries()) {
      Instant written = lsRefsWritten.get(entry.repoKey());
      if (written != null && !written.isBefore(entry.newestTime())) {
        continue;
      }
      try {
        if (publisher.writeLsRefs(entry)) {
          listener.lsRefsWritten(entry.repoKey());
        }
        lsRefsWritten.merge(entry.repoKey(), entry.newestTime(), SnapshotService::later);
      } catch (IOException | RuntimeException e) {
        log.warn("cannot write the ls-refs entry of {} to the store: {}", entry.repoKey(),
            e.toString());
        errors.report(null, e);
      }
    }
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

  private boolean publishMirror(Mirror mirror, boolean now) {
    String key = mirror.key();
    Optional<Instant> update = mirror.lastUpdate();
    Status status = statuses.get(key);
    if (update.isEmpty() || (status != null && !status.mirrorUpdate().isBefore(update.get()))) {
      return false;
    }
    Instant attempt = lastAttempt.get(key);
    Instant time = clock.instant();
    if (!now && attempt != null && time.isBefore(attempt.plus(publishDelay))) {
      return false; // debounced
    }
    if (!now && mirrors.maintenanceBusy(mirror)
        && time.isBefore(waitingForMaintenance.computeIfAbsent(key, k -> time).plus(publishDelay))) {
      // The repack that follows a fetch (a first fetch gets its bitmap there) changes the packs:
      // publish its result once, not the packs it is about to replace. A mirror whose maintenance
      // never pauses is published anyway after the publish delay.
      return false;
    }
    waitingForMaintenance.remove(key);
    lastAttempt.put(key, time);
    long start = System.nanoTime();
    try {
      SnapshotPublisher.Result result = publisher.publish(mirror);
      Optional<Instant> published =
          result.outcome() == SnapshotPublisher.Outcome.COMMITTED
              ? Optional.of(time)
              : Optional.ofNullable(status).flatMap(Status::lastPublished);
      if (result.outcome() != SnapshotPublisher.Outcome.NOTHING) {
        statuses.put(key, new Status(key, result.generation(), update.get(), published));
      }
      if (result.outcome() == SnapshotPublisher.Outcome.COMMITTED) {
        listener.published(key, result.bytesUploaded(), Duration.ofNanos(System.nanoTime() - start));
        return true;
      }
      return false;
    } catch (IOException | RuntimeException e) {
      log.warn("cannot publish a snapshot of {}: {}", key, e.toString());
      errors.report(null, e);
      listener.publishFailed(key);
      return false;
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
    for (CompletableFuture<Void> restore : restoring.values()) {
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
