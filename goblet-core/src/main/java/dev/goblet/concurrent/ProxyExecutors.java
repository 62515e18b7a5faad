package dev.goblet.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

  private final ExecutorService packGenerations;
  private final List<ExecutorService> owned = new ArrayList<>();

  /**
   * @param maxConcurrentPacks how many packs are generated at once: the CPU ration for packs
   */
  public ProxyExecutors(int maxConcurrentPacks) {
    this.packGenerations = bounded("goblet-pack-", maxConcurrentPacks, PACK_QUEUE);
  }

  /** @return runs pack generations, at most the configured number at once */
  public ExecutorService packGenerations() {
    return packGenerations;
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
   * Stops every pool: no new work is taken, queued work is dropped, running work is interrupted;
   * waits up to {@code grace} for the running work to end.
   *
   * @param grace the longest to wait
   * @return whether every pool ended in time
   * @throws InterruptedException when interrupted while waiting
   */
  public boolean shutdown(Duration grace) throws InterruptedException {
    for (ExecutorService executor : owned) {
      executor.shutdownNow();
    }
    long deadline = System.nanoTime() + grace.toNanos();
    boolean ended = true;
    for (ExecutorService executor : owned) {
      long left = Math.max(0, deadline - System.nanoTime());
      ended &= executor.awaitTermination(left, TimeUnit.NANOSECONDS);
    }
    return ended;
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
