package dev.goblet.metrics;

import com.codahale.metrics.Counter;
import com.codahale.metrics.Gauge;
import com.codahale.metrics.Histogram;
import com.codahale.metrics.Meter;
import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.goblet.Health;
import dev.goblet.Status;
import dev.goblet.auth.UpstreamRequestAuthorizer;
import dev.goblet.protocol.FetchHandler;
import dev.goblet.protocol.LsRefsHandler;
import dev.goblet.protocol.SmartHttpHandler;
import dev.goblet.repository.MirrorContext;
import dev.goblet.repository.MirrorLifecycle;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;
import java.util.function.LongSupplier;

/**
 * The proxy's Dropwizard metrics, registered in the host's registry under a prefix (default {@code
 * goblet}). Names, below the prefix:
 *
 * <ul>
 *   <li>{@code inbound.<command>.<cache state>.<status>} (timer): client commands; command is
 *       {@code ls-refs} (also a protocol v0/v1 ref advertisement), {@code fetch} (also a v0/v1
 *       upload-pack request) or {@code not-a-command} (v2 info/refs, refusals); cache state is
 *       {@code served-locally}, {@code queried-upstream}, {@code served-from-cache}, {@code
 *       served-stale} or {@code none}; status is {@code ok} or the lower-case {@link Status}
 *   <li>{@code outbound.ls-refs.ok|error} (timer): upstream ls-refs calls
 *   <li>{@code outbound.fetch.ok|error} (timer): mirror fetches from the upstream
 *   <li>{@code fetch.upstream-wait} (timer): how long client fetches waited for the upstream
 *   <li>{@code upstream-fetches.started}, {@code upstream-fetches.coalesced} (counters)
 *   <li>{@code pack-cache.hits} (counter: fetch answers streamed from a pack another request
 *       generated), {@code pack-cache.generations} (counter: answers generated)
 *   <li>{@code ls-refs-cache.hits}, {@code .misses}, {@code .stale-serves}, {@code .refs-withheld}
 *       (counters); {@code ls-refs-cache.served-age-seconds} (histogram); {@code
 *       ls-refs-cache.oldest-served-age-seconds} (gauge: the oldest age served since start);
 *       {@code ls-refs-cache.entries} (gauge)
 *   <li>{@code upstream.available} (gauge, 1 or 0), {@code upstream.enabled} (gauge, 1 or 0)
 *   <li>{@code inbound.request-bytes}, {@code inbound.response-bytes} (meters): body bytes of Git
 *       requests and responses
 *   <li>{@code client-auth.checks} (counter: per-user access checks sent upstream), {@code
 *       client-auth.cache-hits} (counter: decisions answered from memory), {@code
 *       client-auth.grace-allows} (counter: clients let in during an outage on a recent allow),
 *       {@code client-auth.denials} (counter: clients refused)
 *   <li>{@code mirrors.repacks} (timer): maintenance repacks; {@code mirrors.evictions} (counter)
 *       and {@code mirrors.evicted-bytes} (counter): mirrors evicted to keep the disk budget;
 *       {@code mirrors.bytes} (gauge): the mirrors' size on disk as last measured
 *   <li>{@code snapshots.*}: the snapshot store's publishing and restoring ({@link
 *       SnapshotMetrics})
 * </ul>
 *
 * <p>Thread-safe. Never removes or shuts down anything it did not register.
 */
public final class GobletMetrics
    implements LsRefsHandler.Listener,
        FetchHandler.Listener,
        MirrorContext.FetchListener,
        SmartHttpHandler.Listener,
        UpstreamRequestAuthorizer.Listener,
        MirrorLifecycle.Listener {
  /** Cache state of a command that touched no cache. */
  public static final String NONE = "none";

  private final MetricRegistry registry;
  private final String prefix;
  private final Counter cacheHits;
  private final Counter cacheMisses;
  private final Counter staleServes;
  private final Counter refsWithheld;
  private final Histogram servedAge;
  private final Counter packCacheHits;
  private final Counter packGenerations;
  private final Timer upstreamWait;
  private final Counter fetchesStarted;
  private final Counter fetchesCoalesced;
  private final Meter requestBytes;
  private final Meter responseBytes;
  private final Counter authChecks;
  private final Counter authCacheHits;
  private final Counter authGraceAllows;
  private final Counter authDenials;
  private volatile long oldestServedAgeSeconds;

  /**
   * @param registry the host's registry (or one the proxy owns)
   * @param prefix the name prefix
   * @param upstreamAvailable whether the upstream is on and not failing
   * @param upstreamEnabled whether the upstream is switched on
   * @param cacheEntries how many repositories the ls-refs cache holds
   */
  public GobletMetrics(
      MetricRegistry registry,
      String prefix,
      BooleanSupplier upstreamAvailable,
      BooleanSupplier upstreamEnabled,
      IntSupplier cacheEntries) {
    this.registry = registry;
    this.prefix = prefix;
    this.cacheHits = registry.counter(name("ls-refs-cache.hits"));
    this.cacheMisses = registry.counter(name("ls-refs-cache.misses"));
    this.staleServes = registry.counter(name("ls-refs-cache.stale-serves"));
    this.refsWithheld = registry.counter(name("ls-refs-cache.refs-withheld"));
    this.servedAge = registry.histogram(name("ls-refs-cache.served-age-seconds"));
    this.upstreamWait = registry.timer(name("fetch.upstream-wait"));
    this.fetchesStarted = registry.counter(name("upstream-fetches.started"));
    this.packCacheHits = registry.counter(name("pack-cache.hits"));
    this.packGenerations = registry.counter(name("pack-cache.generations"));
    this.fetchesCoalesced = registry.counter(name("upstream-fetches.coalesced"));
    this.requestBytes = registry.meter(name("inbound.request-bytes"));
    this.responseBytes = registry.meter(name("inbound.response-bytes"));
    this.authChecks = registry.counter(name("client-auth.checks"));
    this.authCacheHits = registry.counter(name("client-auth.cache-hits"));
    this.authGraceAllows = registry.counter(name("client-auth.grace-allows"));
    this.authDenials = registry.counter(name("client-auth.denials"));
    gauge("ls-refs-cache.oldest-served-age-seconds", () -> oldestServedAgeSeconds);
    gauge("ls-refs-cache.entries", cacheEntries::getAsInt);
    gauge("upstream.available", () -> upstreamAvailable.getAsBoolean() ? 1 : 0);
    gauge("upstream.enabled", () -> upstreamEnabled.getAsBoolean() ? 1 : 0);
  }

  /** @return the registry the metrics live in */
  public MetricRegistry registry() {
    return registry;
  }

  /**
   * @param suffix a metric name below the prefix
   * @return the full name
   */
  public String name(String suffix) {
    return MetricRegistry.name(prefix, suffix);
  }

  /**
   * Records one inbound command ({@code inbound.<command>.<cache state>.<status>}).
   *
   * @param command {@code ls-refs}, {@code fetch} or {@code not-a-command}
   * @param cacheState see the class comment
   * @param status the outcome
   * @param latency how long it took
   */
  @Override
  public void commandDone(String command, String cacheState, Status status, Duration latency) {
    String outcome = status == Status.OK ? "ok" : status.name().toLowerCase(Locale.ROOT);
    registry
        .timer(name("inbound." + command + "." + cacheState + "." + outcome))
        .update(latency.toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * @param command {@code ls-refs} or {@code fetch}
   * @param ok whether the upstream call succeeded
   * @param latency how long it took
   */
  public void outbound(String command, boolean ok, Duration latency) {
    registry
        .timer(name("outbound." + command + "." + (ok ? "ok" : "error")))
        .update(latency.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void cacheHit(LsRefsHandler.Answer answer) {
    cacheHits.inc();
    if (answer.source() == LsRefsHandler.Source.STALE_CACHE) {
      staleServes.inc();
    }
    refsWithheld.inc(answer.withheld());
    long age = answer.age().toSeconds();
    servedAge.update(age);
    if (age > oldestServedAgeSeconds) {
      oldestServedAgeSeconds = age;
    }
  }

  @Override
  public void cacheMiss() {
    cacheMisses.inc();
  }

  @Override
  public void upstreamCall(boolean ok, Duration latency) {
    outbound("ls-refs", ok, latency);
  }

  @Override
  public void served(boolean servedLocally, Duration waited) {
    if (!servedLocally) {
      upstreamWait.update(waited.toNanos(), TimeUnit.NANOSECONDS);
    }
  }

  @Override
  public void packAnswered(boolean shared) {
    (shared ? packCacheHits : packGenerations).inc();
  }

  @Override
  public void started() {
    fetchesStarted.inc();
  }

  @Override
  public void coalesced() {
    fetchesCoalesced.inc();
  }

  @Override
  public void fetchDone(boolean ok, Duration latency) {
    outbound("fetch", ok, latency);
  }

  /**
   * Records the body sizes of one answered request.
   *
   * @param requestBodyBytes bytes read from the client
   * @param responseBodyBytes bytes written to the client
   */
  public void exchanged(long requestBodyBytes, long responseBodyBytes) {
    requestBytes.mark(requestBodyBytes);
    responseBytes.mark(responseBodyBytes);
  }

  /** @return the ls-refs cache counts since these metrics were created */
  public Health.CacheStats cacheStats() {
    return new Health.CacheStats(
        cacheHits.getCount(), cacheMisses.getCount(), staleServes.getCount());
  }

  @Override
  public void checked() {
    authChecks.inc();
  }

  @Override
  public void cacheHit() {
    authCacheHits.inc();
  }

  @Override
  public void graceAllowed() {
    authGraceAllows.inc();
  }

  @Override
  public void denied() {
    authDenials.inc();
  }

  @Override
  public void repacked(String key, Duration took) {
    registry.timer(name("mirrors.repacks")).update(took.toNanos(), TimeUnit.NANOSECONDS);
  }

  @Override
  public void evicted(String key, long bytes) {
    registry.counter(name("mirrors.evictions")).inc();
    registry.counter(name("mirrors.evicted-bytes")).inc(bytes);
  }

  /** Counts a mirror evicted for the free-space floor ({@link #evicted} counts it too). */
  @Override
  public void evictedForFreeSpace(String key, long bytes) {
    registry.counter(name("mirrors.evictions.free-space")).inc();
  }

  /** @param bytes the mirrors' size on disk, for the {@code mirrors.bytes} gauge */
  public void mirrorBytes(LongSupplier bytes) {
    gauge("mirrors.bytes", bytes::getAsLong);
  }

  private void gauge(String suffix, Gauge<?> gauge) {
    String name = name(suffix);
    registry.remove(name); // a restarted proxy on the same registry replaces its own gauges
    registry.register(name, gauge);
  }
}
