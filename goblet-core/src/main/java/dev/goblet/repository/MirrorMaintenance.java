package dev.goblet.repository;

import dev.goblet.OperationLogger;
import java.io.BufferedOutputStream;
import java.io.OutputStream;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.UUID;
import org.eclipse.jgit.internal.storage.pack.PackWriter;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.pack.PackConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
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
 * <p>A maintenance run keeps the pack count small without rewriting the repository on every fetch
 * (each fetch adds one small pack). Most runs <em>combine</em>: as {@code git repack
 * --geometric=2}, by pack size, the smallest packs that break the progression in which each pack
 * is at least twice all smaller ones together are written into one new pack by JGit's {@link
 * PackWriter} (existing deltas reused, no reachability walk), so packs stay about log2(repository /
 * fetch) in number and a fetch's objects are rewritten a few times at most. A <em>full</em> repack,
 * JGit's {@link GC} (one pack of every reachable object with a fresh bitmap), runs when the mirror
 * has no bitmap, when the packs outside the bitmapped one hold more than 1/{@value
 * #FULL_REPACK_RATIO} of its bytes (so the bitmap covers most of what a clone sends), or when
 * combining would still leave more than {@value #MAX_PACKS} packs.
 *
 * <p>An old pack is replaced when every object in it is in the new pack, or it is older than
 * {@link #PACK_GRACE} by the proxy's clock (then what else it holds is unreachable). Replaced packs
 * are deleted only in an exclusive moment, when the maintenance holds the mirror's only lease:
 * JGit reopens a pack file by name whenever its window cache lets go of it, so deleting a pack an
 * upload-pack is still streaming would break that clone (a test showed it). The last
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

  /** The most packs a mirror keeps: beyond it, after combining the small ones, a full repack. */
  static final int MAX_PACKS = 10;

  /** The factor of the geometric progression of pack sizes kept by combining small packs. */
  static final int GEOMETRIC_FACTOR = 2;

  /**
   * A full repack (fresh bitmap) is due when the packs outside the bitmapped one hold more than
   * 1/8 of its bytes.
   */
  static final long FULL_REPACK_RATIO = 8;

  /** Temporary files of a pack being combined; never a {@code pack-*} name readers would see. */
  private static final String COMBINE_PREFIX = "combine_tmp_";

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
  private final Set<String> running = ConcurrentHashMap.newKeySet();
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
    running.add(key);
    queued.remove(key, job); // from now on, new requests queue a new run behind this one
    try {
      job.work.run(job.forceRepack);
    } catch (RuntimeException e) {
      log.warn("maintenance of {} failed", key, e);
    } finally {
      running.remove(key);
      job.done.complete(null);
    }
  }

  /**
   * @param key a mirror's key
   * @return whether a maintenance run of that mirror is queued or running
   */
  boolean busy(String key) {
    return running.contains(key) || queued.containsKey(key);
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
    if (!force && !before.needsFullRepack()) {
      List<PackFile> rollup = before.geometricRollup();
      if (rollup.size() < 2) {
        return false;
      }
      return combine(mirror, before, rollup);
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
      markReplaced(mirror, deletable);
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

  /**
   * Writes the objects of {@code rollup}, the mirror's smallest packs, into one new pack with
   * JGit's {@link PackWriter} (deltas and whole objects reused as they are, no reachability walk,
   * no bitmap), then marks them replaced: every object of theirs is in the new pack.
   *
   * @return whether the packs were combined
   */
  private boolean combine(Mirror mirror, PackStats before, List<PackFile> rollup) {
    OperationLogger.Operation operation = operations.start("maintain", mirror.upstreamUrl());
    long start = System.nanoTime();
    operation.progress("combining " + rollup.size() + " of " + before.packs() + " packs");
    Path packDir = mirror.localPath().resolve("objects").resolve("pack");
    Path tmpPack = packDir.resolve(COMBINE_PREFIX + UUID.randomUUID() + ".pack");
    Path tmpIndex = packDir.resolve(tmpPack.getFileName() + ".idx");
    try (FileRepository repo = new FileRepository(mirror.localPath().toFile());
        ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      Set<String> names = new HashSet<>();
      rollup.forEach(pack -> names.add(pack.name()));
      List<RevObject> objects = new ArrayList<>();
      Set<ObjectId> seen = new HashSet<>();
      for (Pack pack : repo.getObjectDatabase().getPacks()) {
        if (!names.remove(pack.getPackName())) {
          continue;
        }
        for (PackIndex.MutableEntry entry : pack) {
          ObjectId id = entry.toObjectId();
          if (seen.add(id)) {
            objects.add(walk.lookupAny(id, reader.open(id).getType()));
          }
        }
      }
      if (!names.isEmpty()) {
        operation.done(null);
        return false; // a pack went meanwhile (a concurrent deletion): try again next time
      }
      ObjectId name;
      try (PackWriter writer = new PackWriter(new PackConfig(repo), reader)) {
        writer.setUseBitmaps(false);
        writer.preparePack(objects.iterator());
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmpPack))) {
          writer.writePack(new OperationProgress(operation, stopping), NullProgressMonitor.INSTANCE,
              out);
        }
        name = writer.computeName();
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(tmpIndex))) {
          writer.writeIndex(out);
        }
      }
      Path packFile = packDir.resolve("pack-" + name.name() + ".pack");
      if (!Files.exists(packFile)) {
        // The pack first, then its index: readers see a pack by its index.
        Files.move(tmpPack, packFile, StandardCopyOption.ATOMIC_MOVE);
        Files.move(tmpIndex, packDir.resolve("pack-" + name.name() + ".idx"),
            StandardCopyOption.ATOMIC_MOVE);
      }
      Set<String> combined = new HashSet<>();
      rollup.forEach(pack -> combined.add(pack.name()));
      combined.remove(name.name());
      markReplaced(mirror, combined);
      log.info(
          "combined {} of {} packs of mirror {} ({} objects) in {} ms",
          combined.size(),
          before.packs(),
          mirror.key(),
          objects.size(),
          Duration.ofNanos(System.nanoTime() - start).toMillis());
      operation.done(null);
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      log.warn("combining packs of mirror {} failed; its packs are left as they were",
          mirror.key(), e);
      operation.done(e);
      return false;
    } finally {
      deleteQuietly(tmpPack);
      deleteQuietly(tmpIndex);
    }
    deleteReplaced(mirror);
    return true;
  }

  private void markReplaced(Mirror mirror, Set<String> names) {
    replaced.merge(mirror.key(), names, (a, b) -> {
      Set<String> both = new HashSet<>(a);
      both.addAll(b);
      return both;
    });
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      log.warn("could not delete {}", file, e);
    }
  }

  /** @return whether replaced packs of the mirror wait to be deleted */
  boolean hasReplacedPacks(String key) {
    return replaced.containsKey(key);
  }

  /**
   * Deletes the mirror's replaced packs if the caller's lease is the only one: an upload-pack
   * still streaming a pack would fail if its file vanished, as JGit reopens pack files by name, and
   * a snapshot being published links them. Then the serving repository drops them from its pack list. Otherwise they wait for the
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
   * One pack of a mirror, by its files.
   *
   * @param name the pack's name (the hash after {@code pack-})
   * @param bytes the size of its {@code .pack} file
   * @param bitmap whether it has a {@code .bitmap}
   */
  record PackFile(String name, long bytes, boolean bitmap) {}

  /**
   * The packs in a mirror's {@code objects/pack}, by file name.
   *
   * @param files its packs, smallest first
   */
  record PackStats(List<PackFile> files) {
    int packs() {
      return files.size();
    }

    /**
     * @return whether the mirror needs a full repack (one pack, fresh bitmap): it has packs but
     *     no bitmap, the packs outside the bitmapped one hold more than 1/{@value
     *     #FULL_REPACK_RATIO} of its bytes (so most of a clone's objects are covered by the
     *     bitmap), or combining the small packs would still leave more than {@value #MAX_PACKS}
     */
    boolean needsFullRepack() {
      long bitmapped = 0;
      long others = 0;
      for (PackFile file : files) {
        if (file.bitmap() && file.bytes() > bitmapped) {
          others += bitmapped;
          bitmapped = file.bytes();
        } else {
          others += file.bytes();
        }
      }
      if (files.isEmpty()) {
        return false;
      }
      if (bitmapped == 0 || others > bitmapped / FULL_REPACK_RATIO) {
        return true;
      }
      List<PackFile> rollup = geometricRollup();
      int after = rollup.size() < 2 ? files.size() : files.size() - rollup.size() + 1;
      return after > MAX_PACKS;
    }

    /**
     * As {@code git repack --geometric=2}, by pack size: the smallest packs that break the
     * progression in which each pack is at least twice the size of all smaller ones together,
     * extended while the next pack is smaller than twice their sum; packs with a bitmap are left
     * out (a full repack replaces them).
     *
     * @return the packs to combine into one, smallest first; fewer than two means none
     */
    List<PackFile> geometricRollup() {
      int split = 0;
      for (int i = files.size() - 1; i > 0; i--) {
        if (files.get(i - 1).bytes() * GEOMETRIC_FACTOR > files.get(i).bytes()) {
          split = i;
          break;
        }
      }
      long rollupBytes = 0;
      for (int i = 0; i < split; i++) {
        rollupBytes += files.get(i).bytes();
      }
      while (split < files.size() && files.get(split).bytes() < GEOMETRIC_FACTOR * rollupBytes) {
        rollupBytes += files.get(split).bytes();
        split++;
      }
      return files.subList(0, split).stream().filter(file -> !file.bitmap()).toList();
    }

    /**
     * @param mirrorDir a mirror's directory
     * @param ignored names of packs not to count (replaced, waiting to be deleted)
     */
    static PackStats of(Path mirrorDir, Set<String> ignored) {
      Map<String, Long> sizes = new HashMap<>();
      Set<String> bitmaps = new HashSet<>();
      try (DirectoryStream<Path> files =
          Files.newDirectoryStream(mirrorDir.resolve("objects").resolve("pack"))) {
        for (Path file : files) {
          String name = file.getFileName().toString();
          int dot = name.indexOf('.');
          if (!name.startsWith("pack-") || dot < 5 || ignored.contains(name.substring(5, dot))) {
            continue;
          }
          String pack = name.substring(5, dot);
          if (name.endsWith(".pack")) {
            try {
              sizes.put(pack, Files.size(file));
            } catch (IOException e) {
              // deleted meanwhile
            }
          } else if (name.endsWith(".bitmap")) {
            bitmaps.add(pack);
          }
        }
      } catch (IOException e) {
        return new PackStats(List.of()); // no pack directory yet: nothing to repack
      }
      List<PackFile> packs = new ArrayList<>();
      sizes.forEach((name, bytes) -> packs.add(new PackFile(name, bytes, bitmaps.contains(name))));
      packs.sort(Comparator.comparingLong(PackFile::bytes).thenComparing(PackFile::name));
      return new PackStats(List.copyOf(packs));
    }
  }
}
