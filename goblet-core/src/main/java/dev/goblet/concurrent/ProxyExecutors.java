package dev.goblet.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Every executor the proxy creates for itself, made in one place so that {@link #close()} shuts
 * them all down. Each purpose has its own bounded pool and bounded queue, so that one kind of
 * work (a burst of pack generations, a hanging upstream) cannot starve another; a full queue
 * rejects at once ({@link java.util.concurrent.RejectedExecutionException}), which the callers
 * turn into a clear answer. Thread-safe.
 */
public final class ProxyExecutors implements AutoCloseable {
  /** How many pack generations may wait for a thread before new ones are refused. */
  public static final int PACK_QUEUE = 256;

  /** How many background tasks (comparisons, refreshes) may wait before more are refused. */
  public static final int BACKGROUND_QUEUE = 1024;

  /**
   * How many repositories' ls-refs cache writes may wait before a write runs on the request's own
   * thread instead (each repository has at most one waiting: writes are coalesced).
   */
  public static final int CACHE_WRITE_QUEUE = 1024;

  /** How many restores from a snapshot store run at once, at least (twice the cores if more). */
  public static final int RESTORES_AT_ONCE = 8;

  /** How many restores from a snapshot store may wait for a thread before more are refused. */
  public static final int RESTORE_QUEUE = 256;

  private final List<ExecutorService> owned = new ArrayList<>();
  private final ExecutorService packGenerations;
  private final UpstreamFetchExecutor upstreamFetches;
  private final ExecutorService background;
  private final ExecutorService cacheWrites;
  private final ExecutorService restores;
  private final ScheduledExecutorService ticks;

  /**
   * @param maxConcurrentPacks how many packs are generated at once: the CPU ration for packs
   * @param fetchesPerUpstream how many upstream fetches run at once per upstream server
   * @param queuedFetchesPerUpstream how many more may wait per upstream server
   */
  public ProxyExecutors(
      int maxConcurrentPacks, int fetchesPerUpstream, int queuedFetchesPerUpstream) {
    this.packGenerations = bounded("goblet-pack-", maxConcurrentPacks, PACK_QUEUE);
    ExecutorService fetchThreads = Executors.newCachedThreadPool(daemonThreads("goblet-fetch-"));
    owned.add(fetchThreads);
    this.upstreamFetches =
        new UpstreamFetchExecutor(fetchThreads, fetchesPerUpstream, queuedFetchesPerUpstream);
    this.background =
        bounded(
            "goblet-background-",
            Math.max(2, Runtime.getRuntime().availableProcessors()),
            BACKGROUND_QUEUE);
    this.cacheWrites = bounded("goblet-cache-write-", 1, CACHE_WRITE_QUEUE);
    // Restores are downloads and disk writes, not CPU work: a replica taking over a dead one's
    // repositories restores many at once.
    this.restores =
        bounded(
            "goblet-restore-",
            Math.max(RESTORES_AT_ONCE, 2 * Runtime.getRuntime().availableProcessors()),
            RESTORE_QUEUE);
    ScheduledThreadPoolExecutor ticker =
        new ScheduledThreadPoolExecutor(1, daemonThreads("goblet-watchdog-"));
    ticker.setRemoveOnCancelPolicy(true);
    owned.add(ticker);
    this.ticks = ticker;
  }

  /**
   * @return one thread for short periodic checks (the stall watchdogs of upstream fetches); tasks
   *     must be quick and never block
   */
  public ScheduledExecutorService ticks() {
    return ticks;
  }

  /** @return runs pack generations, at most the configured number at once */
  public ExecutorService packGenerations() {
    return packGenerations;
  }

  /** @return runs upstream fetches, in one bounded lane per upstream server */
  public UpstreamFetchExecutor upstreamFetches() {
    return upstreamFetches;
  }

  /**
   * @return runs background work that a request does not wait for (mirror-vs-upstream
   *     comparisons, listing refreshes, the restore at start); a full queue refuses new tasks
   */
  public ExecutorService background() {
    return background;
  }

  /**
   * @return writes the ls-refs cache's files off the request path, one at a time; a full queue
   *     refuses new tasks
   */
  public ExecutorService cacheWrites() {
    return cacheWrites;
  }

  /**
   * @return runs the restores of mirrors from a snapshot store that requests wait for (the waiting
   *     request keeps its client alive meanwhile); a full queue refuses new tasks
   */
  public ExecutorService restores() {
    return restores;
  }

  private ExecutorService bounded(String namePrefix, int threads, int queue) {
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            threads,
            threads,
            30,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(queue),
            daemonThreads(namePrefix));
    executor.allowCoreThreadTimeOut(true);
    owned.add(executor);
    return executor;
  }

  /**
   * Stops every pool: no new work is taken, queued work is dropped (and handed to {@code
   * dropped}), running work is interrupted; waits up to {@code grace} for the running work to end.
   *
   * @param grace the longest to wait
   * @param dropped told of each queued task that will never run
   * @return whether every pool ended in time
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean shutdown(Duration grace, Consumer<Runnable> dropped)
      throws InterruptedException {
    for (ExecutorService executor : owned) {
      executor.shutdownNow().forEach(dropped);
    }
    long deadline = System.nanoTime() + grace.toNanos();
    boolean ended = true;
    for (ExecutorService executor : owned) {
      long left = Math.max(0, deadline - System.nanoTime());
      ended &= executor.awaitTermination(left, TimeUnit.NANOSECONDS);
    }
    return ended;
  }

  /** Waits, without a bound, until every pool stopped by {@link #shutdown} has ended. */
  public void awaitTermination() {
    try {
      for (ExecutorService executor : owned) {
        while (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
          // still running: keep waiting; the caller logged why
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops every pool without waiting (see {@link #shutdown(Duration)}). */
  @Override
  public void close() {
    for (ExecutorService executor : owned) {
      executor.shutdownNow();
    }
  }

  /**
   * @param namePrefix the threads' name prefix, such as {@code goblet-pack-}
   * @return a factory of daemon threads named with the prefix and a number
   */
  public static ThreadFactory daemonThreads(String namePrefix) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, namePrefix + count.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }
}
