package dev.goblet;

import java.util.Objects;

/**
 * A snapshot of the proxy's health, from {@link GobletProxy#health()}. Immutable. Its JSON form
 * (the health servlet's) follows the offline mode plan, enum values in lower case:
 *
 * <pre>{@code
 * {"status":"healthy","upstream_status":"unavailable","offline_mode":"active","cached_repos":42,
 *  "cache_stats":{"hits":150,"misses":3,"stale_serves":12},"ready":true,
 *  "cache_root_writable":true,"cache_root_free_bytes":53687091200}
 * }</pre>
 *
 * @param status whether the proxy can serve
 * @param upstreamStatus whether the upstream is being used
 * @param offlineMode whether ls-refs is being answered from the cache
 * @param cachedRepos how many repositories the ls-refs cache holds
 * @param cacheStats ls-refs cache use, as counted in the proxy's metric registry
 * @param ready whether start-up (the restore from the snapshot store, when configured) has finished
 * @param cacheRootWritable whether a file could be created in the cache root just now
 * @param cacheRootFreeBytes the bytes available to the proxy on the cache root's file system, or
 *     -1 when unknown
 */
public record Health(
    Status status,
    UpstreamStatus upstreamStatus,
    OfflineMode offlineMode,
    int cachedRepos,
    CacheStats cacheStats,
    boolean ready,
    boolean cacheRootWritable,
    long cacheRootFreeBytes) {

  /** Validates. */
  public Health {
    Objects.requireNonNull(status, "status");
    Objects.requireNonNull(upstreamStatus, "upstreamStatus");
    Objects.requireNonNull(offlineMode, "offlineMode");
    Objects.requireNonNull(cacheStats, "cacheStats");
  }

  /** Whether the proxy can serve. */
  public enum Status {
    /** It serves: from the upstream, or from the cache in offline mode. */
    HEALTHY,
    /** It is still restoring from the snapshot store ({@link ServerConfig#restoreAllAtStart()}). */
    STARTING,
    /**
     * It cannot serve ls-refs: the upstream is unavailable and offline mode is off, or the cache
     * root cannot be written.
     */
    UNHEALTHY
  }

  /** Whether the upstream is being used. */
  public enum UpstreamStatus {
    /** Switched on, and no upstream server's circuit breaker is open. */
    AVAILABLE,
    /** Switched on, but an upstream server failed recently (a circuit breaker is open). */
    UNAVAILABLE,
    /** Switched off at run time or in the config. */
    DISABLED
  }

  /** Whether ls-refs is answered from the cache. */
  public enum OfflineMode {
    /** Offline mode is on and the upstream is not available: answers come from the cache. */
    ACTIVE,
    /** Offline mode is on, ready to answer from the cache when the upstream fails. */
    STANDBY,
    /** Offline mode is off: when the upstream fails, ls-refs fails. */
    DISABLED
  }

  /**
   * ls-refs cache use, as counted by the {@code ls-refs-cache.*} counters of the proxy's metric
   * registry (which outlive a proxy when the host reuses its registry).
   *
   * @param hits ls-refs answered from the cache
   * @param misses ls-refs the cache could not answer
   * @param staleServes the hits that served refs older than the TTL
   */
  public record CacheStats(long hits, long misses, long staleServes) {}
}
