package dev.goblet.repository;

import dev.goblet.OperationLogger;
import dev.goblet.concurrent.UpstreamFetchExecutor;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamGate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.BooleanSupplier;

/**
 * What every mirror shares: where background work runs, how the upstream is reached, and who hears
 * of fetches. Immutable; its parts are thread-safe.
 *
 * @param upstreamFetches runs upstream fetches, in one bounded lane per upstream server
 * @param clock time for last-update stamps
 * @param client the upstream client (credentials for JGit's transport)
 * @param gate the upstream switch and circuit breakers
 * @param operations receives fetch progress (already guarded against exceptions)
 * @param fetchTimeout JGit's I/O timeout for a fetch
 * @param fetchStallWindow how long a fetch may receive less than {@link
 *     FetchWatchdog#MIN_BYTES_PER_WINDOW} bytes before it is cancelled
 * @param watchdogTicks ticks each running fetch's {@link FetchWatchdog} once a second
 * @param fetchListener counts fetches started and shared
 * @param stopping tells whether the proxy is closing, so that fetches and repacks end early
 */
public record MirrorContext(
    UpstreamFetchExecutor upstreamFetches,
    Clock clock,
    UpstreamClient client,
    UpstreamGate gate,
    OperationLogger operations,
    Duration fetchTimeout,
    Duration fetchStallWindow,
    ScheduledExecutorService watchdogTicks,
    FetchListener fetchListener,
    BooleanSupplier stopping) {

  /** Told when mirror fetches start and when a caller shares one. Must be fast and not throw. */
  public interface FetchListener {
    /** Counts nothing. */
    FetchListener NONE = new FetchListener() {};

    /** An upstream fetch started (a queued one that found nothing missing does not count). */
    default void started() {}

    /**
     * A caller shared a running or queued fetch instead of starting one, or a queued fetch found
     * that the one before it had brought everything.
     */
    default void coalesced() {}

    /**
     * @param ok whether the fetch succeeded
     * @param latency how long it took
     */
    default void fetchDone(boolean ok, Duration latency) {}
  }
}
