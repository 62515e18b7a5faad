package dev.goblet.repository;

import dev.goblet.OperationLogger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.internal.storage.file.Pack;
import org.eclipse.jgit.internal.storage.file.PackIndex;
import org.eclipse.jgit.lib.ObjectId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps mirrors compact, off the request path: after each upstream fetch a mirror's maintenance is
 * queued on this class's own executor (one thread, bounded queue; never the pool that runs
 * upstream fetches), so no fetch and no client ever waits for it. Thread-safe.
 *
 * <p>A maintenance run repacks the mirror when it has more than {@link #MAX_PACKS} packs (each
 * fetch adds one) or no pack bitmap: JGit's {@link GC} writes one pack of every reachable object
 * with a fresh bitmap and keeps the old packs. JGit offers no geometric repack for file
 * repositories, so the pack count cycles between 1 and {@value #MAX_PACKS}+1 and the repack cost
 * is paid once every ten fetches.
 *
 * <p>An old pack is replaced when every object in it is in the new pack, or it is older than
 * {@link #PACK_GRACE} by the proxy's clock (then what else it holds is unreachable). Replaced packs
 * are deleted only in an exclusive moment, when the maintenance holds the mirror's only lease:
 * JGit reopens a pack file by name whenever its window cache lets go of it, so deleting a pack an
 * upload-pack or a bundle is still streaming would break that clone (a test showed it). The last
 * lease's release queues the deletion. Disk then returns to about one copy of the repository.
 *
 * <p>The repack runs on a second {@link FileRepository} opened on the same directory, never on the
 * one that serves clients, whose open packs GC would otherwise close.
 *
 * <p>Runs of one mirror never overlap. A repack that fails leaves the old packs; the mirror stays
 * servable and the next fetch queues another run.
 */
final class MirrorMaintenance implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MirrorMaintenance.class);

  /** The most packs a mirror keeps before it is repacked into one. */
  static final int MAX_PACKS = 10;

  /**
   * How old, by the proxy's clock, an old pack must be before a repack may delete it although some
   * of its objects are not in the new pack. Guards a fetch that installed its pack just before the
   * repack listed the packs and updated its refs just after the repack read them (its objects are
   * then in no new pack); the fetch's ref update follows its pack within milliseconds.
   */
  static final Duration PACK_GRACE = Duration.ofMinutes(1);

  private static final int QUEUE_CAPACITY = 4096;

  /** A pack's files, the index first: a pack without one is invisible to readers. */
  private static final List<String> PACK_FILE_EXTENSIONS =
      List.of(".idx", ".pack", ".bitmap", ".rev", ".keep", ".promisor");

  private final Clock clock;
  private final OperationLogger operations;
  private final ThreadPoolExecutor executor;
  private final BooleanSupplier stopping;
  private final Map<String, Job> queued = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> replaced = new ConcurrentHashMap<>();

  /** One mirror's maintenance work. */
  @FunctionalInterface
  interface Work {
    /** @param forceRepack whether some caller asked for a repack whatever the pack count */
    void run(boolean forceRepack);
  }

  /** One queued run; a repack wanted by any caller forces it. */
  private static final class Job {
    final CompletableFuture<Void> done = new CompletableFuture<>();
    final Work work;
    volatile boolean forceRepack;

    Job(Work work) {
      this.work = work;
    }
  }

  /**
   * @param clock the proxy's clock, for the pack grace period
   * @param operations receives each repack (guarded)
   * @param stopping tells whether the proxy is closing: a running repack then stops at JGit's next
   *     check
   */
  MirrorMaintenance(Clock clock, OperationLogger operations, BooleanSupplier stopping) {
    this.clock = clock;
    this.stopping = stopping;
    this.operations = operations;
    AtomicInteger count = new AtomicInteger();
    this.executor =
        new ThreadPoolExecutor(
            1,
            1,
            0,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(QUEUE_CAPACITY),
            runnable -> {
              Thread thread = new Thread(runnable, "goblet-maintenance-" + count.incrementAndGet());
              thread.setDaemon(true);
              thread.setPriority(Thread.MIN_PRIORITY);
              return thread;
            });
  }

  /**
   * Queues work for one mirror, unless work for it is queued and not started yet: then that run is
   * shared (and made to repack when {@code forceRepack}).
   *
   * @param key the mirror's key
   * @param forceRepack whether the run must repack whatever the pack count
   * @param work what to run
   * @return completes when the run ends (also when the queue is full or the executor stopped: the
   *     run is then skipped, and the next fetch queues another)
   */
  CompletableFuture<Void> submit(String key, boolean forceRepack, Work work) {
    Job[] created = new Job[1];
    Job job =
        queued.compute(
            key,
            (k, existing) -> {
              if (existing != null) {
                return existing;
              }
              created[0] = new Job(work);
              return created[0];
            });
    if (forceRepack) {
      job.forceRepack = true;
    }
    if (created[0] != null) {
      try {
        executor.execute(() -> run(key, created[0]));
      } catch (RejectedExecutionException e) {
        queued.remove(key, created[0]);
        log.warn("maintenance of {} skipped: the maintenance queue is full or stopped", key);
        created[0].done.complete(null);
      }
    }
    return job.done;
  }

  private void run(String key, Job job) {
    queued.remove(key, job); // from now on, new requests queue a new run behind this one
    try {
      job.work.run(job.forceRepack);
    } catch (RuntimeException e) {
      log.warn("maintenance of {} failed", key, e);
    } finally {
      job.done.complete(null);
    }
  }

  /**
   * Repacks a mirror when it needs it, then deletes the packs a repack replaced when nobody else
   * uses the mirror. The caller holds a lease on it.
   *
   * @param mirror a mirror
   * @param force repack whatever the pack count
   * @return whether the mirror was repacked
   */
  boolean repackIfNeeded(Mirror mirror, boolean force) {
    deleteReplaced(mirror);
    Set<String> waiting = replaced.getOrDefault(mirror.key(), Set.of());
    PackStats before = PackStats.of(mirror.localPath(), waiting);
    if (!force && !before.needsRepack()) {
      return false;
    }
    OperationLogger.Operation operation = operations.start("maintain", mirror.upstreamUrl());
    long start = System.nanoTime();
    operation.progress("repacking (" + before.packs() + " packs)");
    Collection<Pack> written;
    try (FileRepository repo = new FileRepository(mirror.localPath().toFile())) {
      Map<String, Pack> old = new HashMap<>();
      for (Pack pack : repo.getObjectDatabase().getPacks()) {
        old.put(pack.getPackName(), pack);
      }
      GC gc = new GC(repo);
      gc.setPackExpire(Instant.EPOCH); // replaced packs are deleted below, when nobody reads them
      gc.setExpire(clock.instant().minus(PACK_GRACE));
      gc.setProgressMonitor(new OperationProgress(operation, stopping));
      written = gc.gc().get();
      Set<String> newNames = new HashSet<>();
      written.forEach(pack -> newNames.add(pack.getPackName()));
      Set<String> deletable = new HashSet<>();
      for (Map.Entry<String, Pack> entry : old.entrySet()) {
        if (!newNames.contains(entry.getKey()) && isReplaced(entry.getValue(), written)) {
          deletable.add(entry.getKey());
        }
      }
      replaced.merge(mirror.key(), deletable, (a, b) -> {
        Set<String> both = new HashSet<>(a);
        both.addAll(b);
        return both;
      });
      log.info(
          "repacked mirror {}: {} packs -> {} new, {} replaced, in {} ms",
          mirror.key(),
          before.packs(),
          written.size(),
          deletable.size(),
          Duration.ofNanos(System.nanoTime() - start).toMillis());
      operation.done(null);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn("repacking mirror {} failed; its packs are left as they were", mirror.key(), e);
      operation.done(e);
      return false;
    }
    deleteReplaced(mirror);
    return true;
  }

  /**
   * @return whether every object of {@code old} is in the new packs, or {@code old} is older than
   *     the grace period (then what it holds beyond them is unreachable: gone from the upstream)
   */
  private boolean isReplaced(Pack old, Collection<Pack> written) throws IOException {
    if (Files.getLastModifiedTime(old.getPackFile().toPath()).toInstant()
        .isBefore(clock.instant().minus(PACK_GRACE))) {
      return true;
    }
    for (PackIndex.MutableEntry entry : old) {
      ObjectId id = entry.toObjectId();
      boolean kept = false;
      for (Pack pack : written) {
        if (pack.hasObject(id)) {
          kept = true;
          break;
        }
      }
      if (!kept) {
        return false; // e.g. a fetch's pack whose refs moved after the repack read them
      }
    }
    return true;
  }

  /**
   * @return the bytes of the mirror's replaced packs that wait to be deleted (the disk gets them
   *     back when its last lease ends)
   */
  long replacedBytes(Mirror mirror) {
    Set<String> names = replaced.get(mirror.key());
    if (names == null) {
      return 0;
    }
    Path packDir = mirror.localPath().resolve("objects").resolve("pack");
    long total = 0;
    for (String name : names) {
      for (String ext : PACK_FILE_EXTENSIONS) {
        try {
          total += Files.size(packDir.resolve("pack-" + name + ext));
        } catch (IOException e) {
          // not there (deleted meanwhile, or this pack has no such file)
        }
      }
    }
    return total;
  }

  /** @return whether replaced packs of the mirror wait to be deleted */
  boolean hasReplacedPacks(String key) {
    return replaced.containsKey(key);
  }

  /**
   * Deletes the mirror's replaced packs if the caller's lease is the only one: an upload-pack or
   * bundle still streaming a pack would fail if its file vanished, as JGit reopens pack files by
   * name. Then the serving repository drops them from its pack list. Otherwise they wait for the
   * next run, which the last lease's release queues.
   */
  void deleteReplaced(Mirror mirror) {
    Set<String> names = replaced.get(mirror.key());
    if (names == null) {
      return;
    }
    boolean ran =
        mirror.usage().runExclusive(
            () -> {
              deletePacks(mirror.localPath().resolve("objects").resolve("pack"), names);
              try {
                // Not found anywhere, so the serving instance rescans its packs and lets go of
                // the deleted ones.
                mirror.repository().getObjectDatabase().has(ObjectId.zeroId());
              } catch (IOException e) {
                log.debug("mirror {} could not rescan its packs", mirror.key(), e);
              }
            });
    if (ran) {
      replaced.remove(mirror.key(), names);
      log.debug("deleted {} replaced packs of mirror {}", names.size(), mirror.key());
    }
  }

  private static void deletePacks(Path packDir, Set<String> names) {
    for (String name : names) {
      String base = "pack-" + name;
      // The index first: a pack without one is invisible to readers scanning the directory.
      for (String ext : PACK_FILE_EXTENSIONS) {
        try {
          Files.deleteIfExists(packDir.resolve(base + ext));
        } catch (IOException e) {
          log.warn("could not delete {}", packDir.resolve(base + ext), e);
        }
      }
    }
  }

  /**
   * @param dir a directory
   * @return the bytes of the regular files below it; files that vanish during the walk count as
   *     gone, and a directory that vanished counts 0
   */
  static long sizeOf(Path dir) {
    AtomicLong total = new AtomicLong();
    try {
      Files.walkFileTree(
          dir,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
              if (attrs.isRegularFile()) {
                total.addAndGet(attrs.size());
              }
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
              return FileVisitResult.CONTINUE; // removed by a concurrent repack or fetch
            }
          });
    } catch (NoSuchFileException e) {
      return 0;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return total.get();
  }

  /**
   * Drops the queued runs, waits for the running one to end (at most a minute, then interrupts
   * it), and stops the executor. A repack cut short leaves the old packs; JGit writes new ones
   * under temporary names.
   */
  @Override
  public void close() {
    executor.shutdown();
    executor.getQueue().clear();
    try {
      if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
        log.warn("mirror maintenance still running after a minute; interrupting it");
        executor.shutdownNow();
        executor.awaitTermination(1, TimeUnit.MINUTES);
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
    queued.values().forEach(job -> job.done.complete(null));
  }

  /**
   * The packs in a mirror's {@code objects/pack}, counted by file name.
   *
   * @param packs {@code .pack} files
   * @param bitmaps {@code .bitmap} files
   */
  record PackStats(int packs, int bitmaps) {
    boolean needsRepack() {
      return packs > MAX_PACKS || (packs > 0 && bitmaps == 0);
    }

    /**
     * @param mirrorDir a mirror's directory
     * @param ignored names of packs not to count (replaced, waiting to be deleted)
     */
    static PackStats of(Path mirrorDir, Set<String> ignored) {
      int packs = 0;
      int bitmaps = 0;
      try (DirectoryStream<Path> files =
          Files.newDirectoryStream(mirrorDir.resolve("objects").resolve("pack"))) {
        for (Path file : files) {
          String name = file.getFileName().toString();
          int dot = name.indexOf('.');
          if (!name.startsWith("pack-") || dot < 5 || ignored.contains(name.substring(5, dot))) {
            continue;
          }
          if (name.endsWith(".pack")) {
            packs++;
          } else if (name.endsWith(".bitmap")) {
            bitmaps++;
          }
        }
      } catch (IOException e) {
        return new PackStats(0, 0); // no pack directory yet: nothing to repack
      }
      return new PackStats(packs, bitmaps);
    }
  }
}
