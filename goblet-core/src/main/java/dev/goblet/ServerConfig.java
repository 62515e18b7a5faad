package dev.goblet;

import com.codahale.metrics.MetricRegistry;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;

/**
 * Everything a {@link GobletProxy} is configured with. Immutable and thread-safe; build one with
 * {@link #builder()}, derive one with {@link #toBuilder()}.
 *
 * <p>Required: {@link Builder#cacheRoot(Path)} and a canonicalizer ({@link
 * Builder#urlCanonicalizer} or {@link Builder#allowedUpstreams}). Every other value has a default,
 * given on its builder method.
 */
public final class ServerConfig {
  private final Path cacheRoot;
  private final UrlCanonicalizer urlCanonicalizer;
  private final RequestAuthorizer requestAuthorizer;
  private final AdminAuthorizer adminAuthorizer;
  private final UpstreamAuthorization upstreamAuthorization;
  private final UpstreamCredentials upstreamCredentials;
  private final ErrorReporter errorReporter;
  private final RequestLogger requestLogger;
  private final OperationLogger operationLogger;
  private final ExecutorService executor;
  private final Duration upstreamConnectTimeout;
  private final Duration upstreamTimeout;
  private final Duration upstreamFetchTimeout;
  private final Duration upstreamCooldown;
  private final Duration shutdownTimeout;
  private final long maxRequestBodyBytes;
  private final MetricRegistry metricRegistry;
  private final String metricPrefix;
  private final Clock clock;
  private final boolean offlineMode;
  private final boolean upstreamEnabled;
  private final Duration lsRefsCacheTtl;
  private final Path lsRefsCachePath;
  private final Duration lsRefsMaxStaleness;
  private final int lsRefsCacheMaxRepositories;
  private final long lsRefsCacheMaxBytes;
  private final int maxConcurrentPackGenerations;
  private final boolean packCacheEnabled;
  private final Duration packCacheMaxAge;
  private final long packCacheMaxBytes;
  private final int maxConcurrentFetchesPerUpstream;
  private final int maxQueuedFetchesPerUpstream;
  private final Duration upstreamFetchStallWindow;
  private final boolean clientKeepalives;
  private final Duration clientKeepaliveInterval;
  private final SnapshotStore snapshotStore;
  private final boolean restoreAllAtStart;
  private final Duration storePublishDelay;
  private final ScheduledExecutorService scheduler;
  private final long cacheMaxBytes;
  private final long cacheMinFreeBytes;

  private ServerConfig(Builder b) {
    this.cacheRoot = b.cacheRoot;
    this.urlCanonicalizer = b.urlCanonicalizer;
    this.requestAuthorizer = b.requestAuthorizer;
    this.adminAuthorizer = b.adminAuthorizer;
    this.upstreamAuthorization = b.upstreamAuthorization;
    this.upstreamCredentials = b.upstreamCredentials;
    this.errorReporter = b.errorReporter;
    this.requestLogger = b.requestLogger;
    this.operationLogger = b.operationLogger;
    this.executor = b.executor;
    this.upstreamConnectTimeout = b.upstreamConnectTimeout;
    this.upstreamTimeout = b.upstreamTimeout;
    this.upstreamFetchTimeout = b.upstreamFetchTimeout;
    this.upstreamCooldown = b.upstreamCooldown;
    this.shutdownTimeout = b.shutdownTimeout;
    this.maxRequestBodyBytes = b.maxRequestBodyBytes;
    this.metricRegistry = b.metricRegistry;
    this.metricPrefix = b.metricPrefix;
    this.clock = b.clock;
    this.offlineMode = b.offlineMode;
    this.upstreamEnabled = b.upstreamEnabled;
    this.lsRefsCacheTtl = b.lsRefsCacheTtl;
    this.lsRefsCachePath = b.lsRefsCachePath;
    this.lsRefsMaxStaleness = b.lsRefsMaxStaleness;
    this.lsRefsCacheMaxRepositories = b.lsRefsCacheMaxRepositories;
    this.lsRefsCacheMaxBytes = b.lsRefsCacheMaxBytes;
    this.maxConcurrentPackGenerations = b.maxConcurrentPackGenerations;
    this.packCacheEnabled = b.packCacheEnabled;
    this.packCacheMaxAge = b.packCacheMaxAge;
    this.packCacheMaxBytes = b.packCacheMaxBytes;
    this.maxConcurrentFetchesPerUpstream = b.maxConcurrentFetchesPerUpstream;
    this.maxQueuedFetchesPerUpstream = b.maxQueuedFetchesPerUpstream;
    this.upstreamFetchStallWindow = b.upstreamFetchStallWindow;
    this.clientKeepalives = b.clientKeepalives;
    this.clientKeepaliveInterval = b.clientKeepaliveInterval;
    this.snapshotStore = b.snapshotStore;
    this.restoreAllAtStart = b.restoreAllAtStart;
    this.storePublishDelay = b.storePublishDelay;
    this.scheduler = b.scheduler;
    this.cacheMaxBytes = b.cacheMaxBytes;
    this.cacheMinFreeBytes = b.cacheMinFreeBytes;
  }

  /** @return a builder with every default set and no cache root or canonicalizer */
  public static Builder builder() {
    return new Builder();
  }

  /** @return a builder holding this config's values */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /** @return the directory holding the mirrors, absolute and normalized */
  public Path cacheRoot() {
    return cacheRoot;
  }

  /** @return maps request paths to upstream repository URLs */
  public UrlCanonicalizer urlCanonicalizer() {
    return urlCanonicalizer;
  }

  /** @return decides whether a request may use the proxy */
  public RequestAuthorizer requestAuthorizer() {
    return requestAuthorizer;
  }

  /** @return decides whether a request may use the admin API; {@link AdminAuthorizer#DENY_ALL} by default */
  public AdminAuthorizer adminAuthorizer() {
    return adminAuthorizer;
  }

  /**
   * @return the per-user authorization delegated to the upstream, when it is on: each client's
   *     own credentials are checked against the upstream for the repository it asks for
   */
  public Optional<UpstreamAuthorization> upstreamAuthorization() {
    return Optional.ofNullable(upstreamAuthorization);
  }

  /** @return the credentials presented to upstreams */
  public UpstreamCredentials upstreamCredentials() {
    return upstreamCredentials;
  }

  /** @return receives server-side failures */
  public ErrorReporter errorReporter() {
    return errorReporter;
  }

  /** @return receives one record per answered request */
  public RequestLogger requestLogger() {
    return requestLogger;
  }

  /** @return receives long-running operations */
  public OperationLogger operationLogger() {
    return operationLogger;
  }

  /**
   * @return the host's executor for background work (mirror-vs-upstream comparisons, listing
   *     refreshes, the restore at start); when empty the proxy runs its own, bounded, and stops it
   *     on {@link GobletProxy#close()}. Upstream fetches and pack generations always run on the
   *     proxy's own bounded pools.
   */
  public Optional<ExecutorService> executor() {
    return Optional.ofNullable(executor);
  }

  /** @return how long to wait for a TCP connection to an upstream */
  public Duration upstreamConnectTimeout() {
    return upstreamConnectTimeout;
  }

  /** @return how long an upstream ls-refs may take before the proxy falls back */
  public Duration upstreamTimeout() {
    return upstreamTimeout;
  }

  /**
   * @return how long a mirror fetch may go without reading from the upstream, and how long a
   *     client's fetch waits for a mirror fetch to bring its wants
   */
  public Duration upstreamFetchTimeout() {
    return upstreamFetchTimeout;
  }

  /** @return how long after an upstream failure requests skip the upstream (circuit breaker) */
  public Duration upstreamCooldown() {
    return upstreamCooldown;
  }

  /**
   * @return how long {@link GobletProxy#close()} waits for running requests, mirror fetches,
   *     repacks and cache writes to end before it cancels them
   */
  public Duration shutdownTimeout() {
    return shutdownTimeout;
  }

  /** @return the largest request body accepted, after gzip decoding */
  public long maxRequestBodyBytes() {
    return maxRequestBodyBytes;
  }

  /** @return the registry metrics are registered in: the host's, or one the proxy owns */
  public Optional<MetricRegistry> metricRegistry() {
    return Optional.ofNullable(metricRegistry);
  }

  /** @return the prefix of every metric name */
  public String metricPrefix() {
    return metricPrefix;
  }

  /** @return the clock for cache times and staleness */
  public Clock clock() {
    return clock;
  }

  /** @return whether ls-refs falls back to the cache when the upstream fails */
  public boolean offlineMode() {
    return offlineMode;
  }

  /** @return whether the upstream is used at start; switchable at run time on the proxy */
  public boolean upstreamEnabled() {
    return upstreamEnabled;
  }

  /** @return how long a cached ls-refs answer counts as fresh */
  public Duration lsRefsCacheTtl() {
    return lsRefsCacheTtl;
  }

  /** @return the directory the ls-refs cache is persisted in */
  public Path lsRefsCachePath() {
    return lsRefsCachePath != null ? lsRefsCachePath : cacheRoot.resolve(".ls-refs-cache");
  }

  /** @return the age beyond which cached refs are never served; empty means no limit */
  public Optional<Duration> lsRefsMaxStaleness() {
    return Optional.ofNullable(lsRefsMaxStaleness);
  }

  /** @return how many repositories the ls-refs cache holds before evicting the least used */
  public int lsRefsCacheMaxRepositories() {
    return lsRefsCacheMaxRepositories;
  }

  /**
   * @return how much heap the ls-refs cache's listings may hold together (estimated per listing);
   *     the least recently used repositories are evicted beyond it
   */
  public long lsRefsCacheMaxBytes() {
    return lsRefsCacheMaxBytes;
  }

  /** @return how many packs may be generated at once; further fetches wait their turn */
  public int maxConcurrentPackGenerations() {
    return maxConcurrentPackGenerations;
  }

  /** @return whether identical fetches share one pack generation (the pack cache) */
  public boolean packCacheEnabled() {
    return packCacheEnabled;
  }

  /** @return how long a cached pack is served after its generation started */
  public Duration packCacheMaxAge() {
    return packCacheMaxAge;
  }

  /** @return the byte budget of the pack cache's spool files */
  public long packCacheMaxBytes() {
    return packCacheMaxBytes;
  }

  /** @return how many mirror fetches run at once against one upstream server */
  public int maxConcurrentFetchesPerUpstream() {
    return maxConcurrentFetchesPerUpstream;
  }

  /** @return how many more mirror fetches may wait for one upstream server */
  public int maxQueuedFetchesPerUpstream() {
    return maxQueuedFetchesPerUpstream;
  }

  /** @return how long a mirror fetch may receive under 1 KiB before it is cancelled as stalled */
  public Duration upstreamFetchStallWindow() {
    return upstreamFetchStallWindow;
  }

  /** @return whether waiting fetches (v2, and v0/v1 clones) get progress lines and keepalives */
  public boolean clientKeepalives() {
    return clientKeepalives;
  }

  /** @return the longest silence a waiting fetch's client sees */
  public Duration clientKeepaliveInterval() {
    return clientKeepaliveInterval;
  }

  /**
   * @return the fleet's shared store of mirror snapshots and ls-refs entries; empty means this
   *     replica neither publishes nor restores snapshots
   */
  public Optional<SnapshotStore> snapshotStore() {
    return Optional.ofNullable(snapshotStore);
  }

  /** @return the least time between two snapshots of one repository published by this replica */
  public Duration storePublishDelay() {
    return storePublishDelay;
  }

  /**
   * @return whether the proxy, when it starts, restores every repository the snapshot store holds
   *     and the cache root lacks, and reports itself ready only afterwards
   */
  public boolean restoreAllAtStart() {
    return restoreAllAtStart;
  }

  /**
   * @return the host's scheduler for periodic work (snapshot publishing); when empty and a snapshot
   *     store is set, the proxy runs a daemon scheduler thread of its own and stops it on {@link
   *     GobletProxy#close()}
   */
  public Optional<ScheduledExecutorService> scheduler() {
    return Optional.ofNullable(scheduler);
  }

  /**
   * @return the most bytes the mirrors may take together; beyond it the least recently served
   *     mirrors nobody is using are evicted (deleted whole, cold again). 0 means no limit
   */
  public long cacheMaxBytes() {
    return cacheMaxBytes;
  }

  /**
   * @return the least usable space the cache root's disk must keep; below it the least recently
   *     served mirrors nobody is using are evicted. 0 means no floor
   */
  public long cacheMinFreeBytes() {
    return cacheMinFreeBytes;
  }

  /**
   * Builds a {@link ServerConfig}. Each method checks its value at once ({@link
   * IllegalArgumentException}); {@link #build()} checks that required values are set ({@link
   * IllegalStateException}) and leaves the builder usable. Not thread-safe.
   */
  public static final class Builder {
    private Path cacheRoot;
    private UrlCanonicalizer urlCanonicalizer;
    private RequestAuthorizer requestAuthorizer = RequestAuthorizer.ALLOW_ALL;
    private AdminAuthorizer adminAuthorizer = AdminAuthorizer.DENY_ALL;
    private UpstreamAuthorization upstreamAuthorization;
    private UpstreamCredentials upstreamCredentials = UpstreamCredentials.NONE;
    private ErrorReporter errorReporter = ErrorReporter.NONE;
    private RequestLogger requestLogger = RequestLogger.NONE;
    private OperationLogger operationLogger = OperationLogger.NONE;
    private ExecutorService executor;
    private Duration upstreamConnectTimeout = Duration.ofSeconds(5);
    private Duration upstreamTimeout = Duration.ofSeconds(10);
    private Duration upstreamFetchTimeout = Duration.ofMinutes(10);
    private Duration upstreamCooldown = Duration.ofSeconds(30);
    private Duration shutdownTimeout = Duration.ofSeconds(30);
    private long maxRequestBodyBytes = 32L << 20;
    private MetricRegistry metricRegistry;
    private String metricPrefix = "goblet";
    private Clock clock = Clock.systemUTC();
    private boolean offlineMode = true;
    private boolean upstreamEnabled = true;
    private Duration lsRefsCacheTtl = Duration.ofMinutes(5);
    private Path lsRefsCachePath;
    private Duration lsRefsMaxStaleness;
    private int lsRefsCacheMaxRepositories = 10_000;
    private long lsRefsCacheMaxBytes = 64L << 20;
    private int maxConcurrentPackGenerations =
        Math.max(2, Runtime.getRuntime().availableProcessors());
    private boolean packCacheEnabled = true;
    private Duration packCacheMaxAge = Duration.ofMinutes(5);
    private long packCacheMaxBytes = 1L << 30;
    private int maxConcurrentFetchesPerUpstream = 4;
    private int maxQueuedFetchesPerUpstream = 64;
    private Duration upstreamFetchStallWindow = Duration.ofSeconds(60);
    private boolean clientKeepalives = true;
    private Duration clientKeepaliveInterval = Duration.ofSeconds(5);
    private SnapshotStore snapshotStore;
    private boolean restoreAllAtStart;
    private Duration storePublishDelay = Duration.ofMinutes(5);
    private ScheduledExecutorService scheduler;
    private long cacheMaxBytes;
    private long cacheMinFreeBytes;

    private Builder() {}

    private Builder(ServerConfig c) {
      cacheRoot = c.cacheRoot;
      urlCanonicalizer = c.urlCanonicalizer;
      requestAuthorizer = c.requestAuthorizer;
      adminAuthorizer = c.adminAuthorizer;
      upstreamAuthorization = c.upstreamAuthorization;
      upstreamCredentials = c.upstreamCredentials;
      errorReporter = c.errorReporter;
      requestLogger = c.requestLogger;
      operationLogger = c.operationLogger;
      executor = c.executor;
      upstreamConnectTimeout = c.upstreamConnectTimeout;
      upstreamTimeout = c.upstreamTimeout;
      upstreamFetchTimeout = c.upstreamFetchTimeout;
      upstreamCooldown = c.upstreamCooldown;
      shutdownTimeout = c.shutdownTimeout;
      maxRequestBodyBytes = c.maxRequestBodyBytes;
      metricRegistry = c.metricRegistry;
      metricPrefix = c.metricPrefix;
      clock = c.clock;
      offlineMode = c.offlineMode;
      upstreamEnabled = c.upstreamEnabled;
      lsRefsCacheTtl = c.lsRefsCacheTtl;
      lsRefsCachePath = c.lsRefsCachePath;
      lsRefsMaxStaleness = c.lsRefsMaxStaleness;
      lsRefsCacheMaxRepositories = c.lsRefsCacheMaxRepositories;
      lsRefsCacheMaxBytes = c.lsRefsCacheMaxBytes;
      maxConcurrentPackGenerations = c.maxConcurrentPackGenerations;
      packCacheEnabled = c.packCacheEnabled;
      packCacheMaxAge = c.packCacheMaxAge;
      packCacheMaxBytes = c.packCacheMaxBytes;
      maxConcurrentFetchesPerUpstream = c.maxConcurrentFetchesPerUpstream;
      maxQueuedFetchesPerUpstream = c.maxQueuedFetchesPerUpstream;
      upstreamFetchStallWindow = c.upstreamFetchStallWindow;
      clientKeepalives = c.clientKeepalives;
      clientKeepaliveInterval = c.clientKeepaliveInterval;
      snapshotStore = c.snapshotStore;
      restoreAllAtStart = c.restoreAllAtStart;
      storePublishDelay = c.storePublishDelay;
      scheduler = c.scheduler;
      cacheMaxBytes = c.cacheMaxBytes;
      cacheMinFreeBytes = c.cacheMinFreeBytes;
    }

    /** Required: the directory holding the mirrors; created when missing. */
    public Builder cacheRoot(Path cacheRoot) {
      this.cacheRoot = Objects.requireNonNull(cacheRoot, "cacheRoot").toAbsolutePath().normalize();
      return this;
    }

    /** Required unless {@link #allowedUpstreams} is given: maps paths to upstream URLs. */
    public Builder urlCanonicalizer(UrlCanonicalizer urlCanonicalizer) {
      this.urlCanonicalizer = Objects.requireNonNull(urlCanonicalizer, "urlCanonicalizer");
      return this;
    }

    /** Sets the canonicalizer to {@link UrlCanonicalizer#allowList} of these base URLs. */
    public Builder allowedUpstreams(Iterable<URI> bases) {
      Objects.requireNonNull(bases, "bases");
      List<URI> list = new ArrayList<>();
      bases.forEach(list::add);
      return urlCanonicalizer(UrlCanonicalizer.allowList(list));
    }

    /** Sets the canonicalizer to {@link UrlCanonicalizer#allowList} of these base URLs. */
    public Builder allowedUpstreams(String... bases) {
      return allowedUpstreams(Arrays.stream(bases).map(URI::create).toList());
    }

    /** Default {@link RequestAuthorizer#ALLOW_ALL}. */
    public Builder requestAuthorizer(RequestAuthorizer requestAuthorizer) {
      this.requestAuthorizer = Objects.requireNonNull(requestAuthorizer, "requestAuthorizer");
      return this;
    }

    /**
     * Default {@link AdminAuthorizer#DENY_ALL}: the admin API refuses every request until the host
     * sets one, such as {@link AdminAuthorizer#bearerToken}.
     */
    public Builder adminAuthorizer(AdminAuthorizer adminAuthorizer) {
      this.adminAuthorizer = Objects.requireNonNull(adminAuthorizer, "adminAuthorizer");
      return this;
    }

    /**
     * Default: off. When set, every Git request must carry the client's own upstream credentials
     * (HTTP Basic or Bearer, as git sends them), which the proxy checks against the upstream for
     * the requested repository, after the {@link #requestAuthorizer} and before anything else; see
     * {@link UpstreamAuthorization}. The proxy's own {@link #upstreamCredentials} still do every
     * fetch.
     */
    public Builder upstreamAuthorization(UpstreamAuthorization upstreamAuthorization) {
      this.upstreamAuthorization =
          Objects.requireNonNull(upstreamAuthorization, "upstreamAuthorization");
      return this;
    }

    /** Default {@link UpstreamCredentials#NONE}. */
    public Builder upstreamCredentials(UpstreamCredentials upstreamCredentials) {
      this.upstreamCredentials =
          Objects.requireNonNull(upstreamCredentials, "upstreamCredentials");
      return this;
    }

    /** Default {@link ErrorReporter#NONE}. */
    public Builder errorReporter(ErrorReporter errorReporter) {
      this.errorReporter = Objects.requireNonNull(errorReporter, "errorReporter");
      return this;
    }

    /** Default {@link RequestLogger#NONE}. */
    public Builder requestLogger(RequestLogger requestLogger) {
      this.requestLogger = Objects.requireNonNull(requestLogger, "requestLogger");
      return this;
    }

    /** Default {@link OperationLogger#NONE}. */
    public Builder operationLogger(OperationLogger operationLogger) {
      this.operationLogger = Objects.requireNonNull(operationLogger, "operationLogger");
      return this;
    }

    /**
     * Default: none, and the proxy runs a small executor of its own. The host's executor is never
     * shut down by the proxy.
     */
    public Builder executor(ExecutorService executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /** Default 5 seconds. */
    public Builder upstreamConnectTimeout(Duration timeout) {
      this.upstreamConnectTimeout = positive(timeout, "upstreamConnectTimeout");
      return this;
    }

    /** Default 10 seconds: an upstream ls-refs slower than this falls back to the cache. */
    public Builder upstreamTimeout(Duration timeout) {
      this.upstreamTimeout = positive(timeout, "upstreamTimeout");
      return this;
    }

    /** Default 10 minutes. At least one second (JGit counts its timeouts in seconds). */
    public Builder upstreamFetchTimeout(Duration timeout) {
      this.upstreamFetchTimeout = atLeastOneSecond(timeout, "upstreamFetchTimeout");
      return this;
    }

    /** Default 30 seconds; zero turns the circuit breaker off. */
    public Builder upstreamCooldown(Duration cooldown) {
      Objects.requireNonNull(cooldown, "upstreamCooldown");
      if (cooldown.isNegative()) {
        throw new IllegalArgumentException("upstreamCooldown must not be negative: " + cooldown);
      }
      this.upstreamCooldown = cooldown;
      return this;
    }

    /**
     * Default 30 seconds: how long {@link GobletProxy#close()} waits for the proxy's work to end
     * before it cancels what still runs (and then waits as long again). Zero cancels at once.
     */
    public Builder shutdownTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "shutdownTimeout");
      if (timeout.isNegative()) {
        throw new IllegalArgumentException("shutdownTimeout must not be negative: " + timeout);
      }
      this.shutdownTimeout = timeout;
      return this;
    }

    /** Default 32 MiB; larger bodies are answered 413. */
    public Builder maxRequestBodyBytes(long bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxRequestBodyBytes must be at least 1024: " + bytes);
      }
      this.maxRequestBodyBytes = bytes;
      return this;
    }

    /** Default: none, and the proxy keeps its metrics in a registry of its own. */
    public Builder metricRegistry(MetricRegistry metricRegistry) {
      this.metricRegistry = Objects.requireNonNull(metricRegistry, "metricRegistry");
      return this;
    }

    /** Default {@code goblet}. */
    public Builder metricPrefix(String prefix) {
      Objects.requireNonNull(prefix, "metricPrefix");
      if (prefix.isBlank()) {
        throw new IllegalArgumentException("metricPrefix must not be blank");
      }
      this.metricPrefix = prefix;
      return this;
    }

    /** Default {@link Clock#systemUTC()}; tests pass a clock they move. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Default {@code true}: serve ls-refs from the cache when the upstream fails. */
    public Builder offlineMode(boolean offlineMode) {
      this.offlineMode = offlineMode;
      return this;
    }

    /** Default {@code true}; {@code false} starts the proxy with the upstream switched off. */
    public Builder upstreamEnabled(boolean upstreamEnabled) {
      this.upstreamEnabled = upstreamEnabled;
      return this;
    }

    /** Default 5 minutes: younger cached answers are fresh, older ones stale. */
    public Builder lsRefsCacheTtl(Duration ttl) {
      this.lsRefsCacheTtl = positive(ttl, "lsRefsCacheTtl");
      return this;
    }

    /** Default {@code <cacheRoot>/.ls-refs-cache}. */
    public Builder lsRefsCachePath(Path path) {
      this.lsRefsCachePath = Objects.requireNonNull(path, "lsRefsCachePath").toAbsolutePath();
      return this;
    }

    /** Default: no limit. Cached answers older than this are never served. */
    public Builder lsRefsMaxStaleness(Duration maxStaleness) {
      this.lsRefsMaxStaleness = positive(maxStaleness, "lsRefsMaxStaleness");
      return this;
    }

    /** Default 10,000; the least recently used repository is evicted beyond it. */
    public Builder lsRefsCacheMaxRepositories(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("lsRefsCacheMaxRepositories must be >= 1: " + max);
      }
      this.lsRefsCacheMaxRepositories = max;
      return this;
    }

    /**
     * Default 64 MiB: the heap the cached ls-refs listings may hold together (a 50,000-ref listing
     * holds about 20 MiB); the least recently used repositories are evicted beyond it, and a
     * listing larger than the whole budget is answered but not cached.
     */
    public Builder lsRefsCacheMaxBytes(long maxBytes) {
      if (maxBytes < 1) {
        throw new IllegalArgumentException("lsRefsCacheMaxBytes must be >= 1: " + maxBytes);
      }
      this.lsRefsCacheMaxBytes = maxBytes;
      return this;
    }

    /** Default: the number of processors, at least 2. */
    public Builder maxConcurrentPackGenerations(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConcurrentPackGenerations must be >= 1: " + max);
      }
      this.maxConcurrentPackGenerations = max;
      return this;
    }

    /**
     * Default on. With the pack cache, identical fetches (same mirror refs, wants, haves,
     * shallow/deepen, filter and capabilities) share one pack generation and stream its spool
     * file under {@code <cacheRoot>/.pack-cache}, even while it is still being written. Off, every
     * fetch generates its own pack; either way the pack is generated under {@link
     * #maxConcurrentPackGenerations} and streamed to the client outside it.
     */
    public Builder packCacheEnabled(boolean enabled) {
      this.packCacheEnabled = enabled;
      return this;
    }

    /** Default 5 minutes (as Gitaly's {@code max_age}). */
    public Builder packCacheMaxAge(Duration maxAge) {
      this.packCacheMaxAge = positive(maxAge, "packCacheMaxAge");
      return this;
    }

    /**
     * Default 1 GiB: the oldest finished entries are evicted beyond it. Files being read when
     * evicted count until their last reader ends.
     */
    public Builder packCacheMaxBytes(long maxBytes) {
      if (maxBytes < 1) {
        throw new IllegalArgumentException("packCacheMaxBytes must be >= 1: " + maxBytes);
      }
      this.packCacheMaxBytes = maxBytes;
      return this;
    }

    /**
     * Default 4. Mirror fetches run in one lane per upstream server ({@code scheme://host:port}):
     * fetches hanging on one server never hold up another server's.
     */
    public Builder maxConcurrentFetchesPerUpstream(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConcurrentFetchesPerUpstream must be >= 1: " + max);
      }
      this.maxConcurrentFetchesPerUpstream = max;
      return this;
    }

    /**
     * Default 64. Beyond it, a request needing a new fetch from that server is answered at once
     * with "the proxy cannot start another upstream fetch now" (HTTP 503 or a Git ERR).
     */
    public Builder maxQueuedFetchesPerUpstream(int max) {
      if (max < 0) {
        throw new IllegalArgumentException("maxQueuedFetchesPerUpstream must be >= 0: " + max);
      }
      this.maxQueuedFetchesPerUpstream = max;
      return this;
    }

    /**
     * Default 60 seconds. A mirror fetch that receives less than 1 KiB from the upstream in this
     * long is cancelled as stalled (a trickle); a silent one ends after {@link
     * #upstreamFetchTimeout} without a byte. A fetch that keeps moving, even slowly (an upstream
     * computing a big pack sends progress lines), is never cut. So a hanging or trickling fetch
     * ends within this window plus {@link #upstreamFetchTimeout}.
     */
    public Builder upstreamFetchStallWindow(Duration window) {
      this.upstreamFetchStallWindow = atLeastOneSecond(window, "upstreamFetchStallWindow");
      return this;
    }

    /**
     * Default on. A protocol v2 fetch that has ended its negotiation ({@code done}, no shallow or
     * deepen, no want-ref) gets its {@code packfile} section opened at once, a v0/v1 one without
     * haves, shallow or deepen lines and with side-band (a clone) its {@code NAK}; while the proxy
     * waits for the upstream or the pack, the client hears progress lines ({@code remote: goblet:
     * fetching owner/repo from github.com (12 s)}) or, with {@code --quiet}/no-progress, git's
     * empty keepalive packets, at least every {@link #clientKeepaliveInterval}; load balancers with
     * idle timeouts then keep the connection. When the upstream is unavailable and refs came from
     * the cache, the fetch says so. Off, the client hears nothing until the pack starts.
     */
    public Builder clientKeepalives(boolean enabled) {
      this.clientKeepalives = enabled;
      return this;
    }

    /** Default 5 seconds; at least one second. */
    public Builder clientKeepaliveInterval(Duration interval) {
      this.clientKeepaliveInterval = atLeastOneSecond(interval, "clientKeepaliveInterval");
      return this;
    }

    /**
     * Default: none. With a store shared by the replicas of a fleet, a request for a repository
     * this replica has no mirror of first restores the mirror from the store's newest snapshot
     * (then fetches only the delta, or serves offline from the shared ls-refs entry while the
     * upstream is down); changed ls-refs entries are written to the store within seconds, and
     * fetched mirrors are published as snapshots at most once per {@link #storePublishDelay}. Runs
     * on the {@link #scheduler}. {@link SnapshotStore#filesystem(Path)} is built in (a single
     * host's backups, or a directory the replicas share); the {@code goblet-s3} module adds
     * S3-compatible stores. See also {@link #restoreAllAtStart}.
     */
    public Builder snapshotStore(SnapshotStore snapshotStore) {
      this.snapshotStore = Objects.requireNonNull(snapshotStore, "snapshotStore");
      return this;
    }

    /**
     * Default 5 minutes; at least one second. A mirror fetched more often is published no more
     * often than this (its snapshot then lags it by up to this much).
     */
    public Builder storePublishDelay(Duration delay) {
      this.storePublishDelay = atLeastOneSecond(delay, "storePublishDelay");
      return this;
    }

    /**
     * Default {@code false}: repositories are restored from the {@link #snapshotStore} when first
     * asked for. With {@code true}, the proxy also starts, on the {@link #executor}, restoring
     * every repository that has a snapshot in the store and no mirror in the cache root (with its
     * ls-refs entry), one at a time, and reports itself not ready ({@link GobletProxy#isReady()},
     * health {@code starting}) until that is done; {@link GobletProxy#whenReady()} completes with
     * what was restored. Requests are served meanwhile; one for a repository being restored waits
     * for that restore. Needs a snapshot store ({@link #build()} refuses it without one).
     */
    public Builder restoreAllAtStart(boolean restoreAllAtStart) {
      this.restoreAllAtStart = restoreAllAtStart;
      return this;
    }

    /**
     * Default: none, and the proxy runs its own daemon scheduler thread when it has periodic work
     * (snapshot publishing). The host's scheduler is never shut down by the proxy; the proxy
     * cancels its own tasks on {@link GobletProxy#close()}.
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Default 0: no limit. With a limit, after each mirror's maintenance the least recently served
     * mirrors that no request, fetch, repack or snapshot is using are evicted until the mirrors fit;
     * the one being fetched may take the cache over it until its fetch ends. Sizes are measured per
     * mirror after each fetch, not by walking the whole cache root.
     */
    public Builder cacheMaxBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("cacheMaxBytes must not be negative: " + bytes);
      }
      this.cacheMaxBytes = bytes;
      return this;
    }

    /**
     * A free-space floor (default 0: none): when the cache root's file store has fewer usable bytes
     * than this, the least recently served mirrors are evicted, by the same rules as for {@link
     * #cacheMaxBytes} (never one being served, fetched or backed up), until the disk has them again
     * or no idle mirror is left. Checked after each fetch's maintenance.
     */
    public Builder cacheMinFreeBytes(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("cacheMinFreeBytes must not be negative: " + bytes);
      }
      this.cacheMinFreeBytes = bytes;
      return this;
    }

    /**
     * @return the config
     * @throws IllegalStateException naming every required value that is missing
     */
    public ServerConfig build() {
      List<String> missing = new ArrayList<>();
      if (cacheRoot == null) {
        missing.add("cacheRoot");
      }
      if (urlCanonicalizer == null) {
        missing.add("urlCanonicalizer (or allowedUpstreams)");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("ServerConfig is missing " + String.join(", ", missing));
      }
      if (restoreAllAtStart && snapshotStore == null) {
        throw new IllegalStateException("restoreAllAtStart needs a snapshotStore to restore from");
      }
      if (lsRefsMaxStaleness != null && lsRefsMaxStaleness.compareTo(lsRefsCacheTtl) < 0) {
        throw new IllegalStateException(
            "lsRefsMaxStaleness (" + lsRefsMaxStaleness + ") must not be below lsRefsCacheTtl ("
                + lsRefsCacheTtl + ")");
      }
      return new ServerConfig(this);
    }

    private static Duration atLeastOneSecond(Duration d, String name) {
      positive(d, name);
      if (d.compareTo(Duration.ofSeconds(1)) < 0) {
        throw new IllegalArgumentException(name + " must be at least 1s: " + d);
      }
      return d;
    }

    static Duration positive(Duration d, String name) {
      Objects.requireNonNull(d, name);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + d);
      }
      return d;
    }
  }
}
