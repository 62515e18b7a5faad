package dev.goblet;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Dropwizard health checks of a {@link GobletProxy}, for the host's {@link HealthCheckRegistry}.
 * Registered under the proxy's metric prefix (default {@code goblet}):
 *
 * <ul>
 *   <li>{@code <prefix>.ready}: unhealthy until the restore at start (see {@link
 *       ServerConfig.Builder#restoreAllAtStart}) has finished
 *   <li>{@code <prefix>.upstream}: unhealthy while an upstream server's circuit breaker is open;
 *       healthy when available or switched off on purpose (the message says which)
 *   <li>{@code <prefix>.offline-mode}: unhealthy when the upstream is not available and offline mode
 *       is off, so ls-refs cannot be answered; details say whether the cache is answering
 *   <li>{@code <prefix>.ls-refs-cache}: healthy; details give entries, hits, misses, stale serves
 *       and failed cache writes
 *   <li>{@code <prefix>.cache-root}: unhealthy when the cache root cannot be written or has less
 *       free space than the given minimum
 * </ul>
 *
 * <p>Each check takes its own {@link GobletProxy#health()} snapshot. Stateless and thread-safe.
 */
public final class GobletHealthChecks {
  /** The free space below which the cache-root check fails, unless another is given: 1 GiB. */
  public static final long DEFAULT_MIN_FREE_BYTES = 1L << 30;

  private static final List<String> NAMES =
      List.of("ready", "upstream", "offline-mode", "ls-refs-cache", "cache-root");

  private GobletHealthChecks() {}

  /**
   * Registers the checks with {@link #DEFAULT_MIN_FREE_BYTES}.
   *
   * @param registry the host's registry
   * @param proxy the proxy to check
   * @return the names registered
   */
  public static List<String> register(HealthCheckRegistry registry, GobletProxy proxy) {
    return register(registry, proxy, DEFAULT_MIN_FREE_BYTES);
  }

  /**
   * Registers the checks, replacing checks of the same names (from a previous proxy).
   *
   * @param registry the host's registry
   * @param proxy the proxy to check
   * @param minFreeBytes the free space on the cache root below which its check fails
   * @return the names registered
   */
  public static List<String> register(
      HealthCheckRegistry registry, GobletProxy proxy, long minFreeBytes) {
    Objects.requireNonNull(registry, "registry");
    Objects.requireNonNull(proxy, "proxy");
    if (minFreeBytes < 0) {
      throw new IllegalArgumentException("minFreeBytes must not be negative: " + minFreeBytes);
    }
    Map<String, HealthCheck> checks = new LinkedHashMap<>();
    checks.put("ready", new Check(() -> ready(proxy.health())));
    checks.put("upstream", new Check(() -> upstream(proxy.health())));
    checks.put("offline-mode", new Check(() -> offlineMode(proxy.health())));
    checks.put("ls-refs-cache", new Check(() -> lsRefsCache(proxy)));
    checks.put("cache-root", new Check(() -> cacheRoot(proxy.health(), minFreeBytes)));
    checks.forEach(
        (suffix, check) -> {
          String name = proxy.metricName(suffix);
          registry.unregister(name);
          registry.register(name, check);
        });
    return names(proxy);
  }

  /**
   * Removes the checks {@link #register} added.
   *
   * @param registry the host's registry
   * @param proxy the proxy whose checks to remove
   */
  public static void unregister(HealthCheckRegistry registry, GobletProxy proxy) {
    names(proxy).forEach(registry::unregister);
  }

  /** A check computed by a function (Dropwizard 4's HealthCheck is an abstract class). */
  private static final class Check extends HealthCheck {
    private final Supplier<Result> result;

    Check(Supplier<Result> result) {
      this.result = result;
    }

    @Override
    protected Result check() {
      return result.get();
    }
  }

  private static List<String> names(GobletProxy proxy) {
    return NAMES.stream().map(proxy::metricName).toList();
  }

  private static HealthCheck.Result ready(Health health) {
    return health.ready()
        ? HealthCheck.Result.healthy("ready")
        : HealthCheck.Result.unhealthy("restoring from the snapshot store");
  }

  private static HealthCheck.Result upstream(Health health) {
    HealthCheck.ResultBuilder result =
        HealthCheck.Result.builder().withDetail("upstream_status", lower(health.upstreamStatus()));
    return switch (health.upstreamStatus()) {
      case AVAILABLE -> result.healthy().withMessage("the upstream is available").build();
      case DISABLED -> result.healthy().withMessage("the upstream is switched off").build();
      case UNAVAILABLE ->
          result.unhealthy().withMessage("an upstream server failed recently").build();
    };
  }

  private static HealthCheck.Result offlineMode(Health health) {
    HealthCheck.ResultBuilder result =
        HealthCheck.Result.builder()
            .withDetail("offline_mode", lower(health.offlineMode()))
            .withDetail("upstream_status", lower(health.upstreamStatus()));
    if (health.offlineMode() == Health.OfflineMode.DISABLED
        && health.upstreamStatus() != Health.UpstreamStatus.AVAILABLE) {
      return result
          .unhealthy()
          .withMessage("the upstream is not available and offline mode is off")
          .build();
    }
    return result
        .healthy()
        .withMessage(
            health.offlineMode() == Health.OfflineMode.ACTIVE
                ? "ls-refs is answered from the cache"
                : "ls-refs is answered by the upstream")
        .build();
  }

  private static HealthCheck.Result lsRefsCache(GobletProxy proxy) {
    Health.CacheStats stats = proxy.health().cacheStats();
    return HealthCheck.Result.builder()
        .healthy()
        .withMessage(proxy.lsRefsCache().size() + " repositories cached")
        .withDetail("entries", proxy.lsRefsCache().size())
        .withDetail("hits", stats.hits())
        .withDetail("misses", stats.misses())
        .withDetail("stale_serves", stats.staleServes())
        .withDetail("persist_failures", proxy.lsRefsCache().persistFailures())
        .build();
  }

  private static HealthCheck.Result cacheRoot(Health health, long minFreeBytes) {
    HealthCheck.ResultBuilder result =
        HealthCheck.Result.builder()
            .withDetail("writable", health.cacheRootWritable())
            .withDetail("free_bytes", health.cacheRootFreeBytes())
            .withDetail("min_free_bytes", minFreeBytes);
    if (!health.cacheRootWritable()) {
      return result.unhealthy().withMessage("the cache root is not writable").build();
    }
    if (health.cacheRootFreeBytes() >= 0 && health.cacheRootFreeBytes() < minFreeBytes) {
      return result.unhealthy().withMessage("the cache root is short of free space").build();
    }
    return result.healthy().withMessage("the cache root is writable").build();
  }

  private static String lower(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }
}
