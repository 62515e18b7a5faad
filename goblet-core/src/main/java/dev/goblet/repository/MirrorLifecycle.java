package dev.goblet.repository;

import dev.goblet.OperationLogger;
import java.time.Duration;

/**
 * How the mirrors' lifecycle is run: the cache root's byte budget and free-space floor, and who
 * hears of repacks and evictions. Immutable; the listener must be thread-safe.
 *
 * @param cacheMaxBytes the most bytes the mirrors may take together before the least recently
 *     served idle ones are evicted; 0 for no limit
 * @param cacheMinFreeBytes the least usable space the cache root's file store must keep: below it
 *     the least recently served idle mirrors are evicted; 0 for no floor
 * @param operations receives each repack (already guarded against exceptions)
 * @param listener told of repacks and evictions
 */
public record MirrorLifecycle(
    long cacheMaxBytes, long cacheMinFreeBytes, OperationLogger operations, Listener listener) {
  /** No budget, nothing told. */
  public static final MirrorLifecycle UNBOUNDED =
      new MirrorLifecycle(0, 0, OperationLogger.NONE, Listener.NONE);

  /** Validates. */
  public MirrorLifecycle {
    if (cacheMaxBytes < 0) {
      throw new IllegalArgumentException("cacheMaxBytes must not be negative: " + cacheMaxBytes);
    }
    if (cacheMinFreeBytes < 0) {
      throw new IllegalArgumentException(
          "cacheMinFreeBytes must not be negative: " + cacheMinFreeBytes);
    }
  }

  /** A byte budget without a free-space floor. */
  public MirrorLifecycle(long cacheMaxBytes, OperationLogger operations, Listener listener) {
    this(cacheMaxBytes, 0, operations, listener);
  }

  /** @return whether mirrors are ever evicted: a budget or a floor is set */
  boolean evicts() {
    return cacheMaxBytes > 0 || cacheMinFreeBytes > 0;
  }

  /** Told of maintenance and evictions; called on the maintenance thread, must be fast. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /**
     * @param key the repository's cache key
     * @param took how long the repack took
     */
    default void repacked(String key, Duration took) {}

    /**
     * A mirror was evicted to keep the cache root within its budget: its directory is gone, and
     * whatever else is cached for it must be dropped.
     *
     * @param key the repository's cache key
     * @param bytes its size on disk
     */
    default void evicted(String key, long bytes) {}

    /**
     * A mirror was evicted because the cache root's file store had less usable space than the
     * floor; {@link #evicted} is called for it too.
     *
     * @param key the repository's cache key
     * @param bytes its size on disk
     */
    default void evictedForFreeSpace(String key, long bytes) {}
  }
}
