package dev.goblet;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.auth.UpstreamRequestAuthorizer;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.concurrent.ProxyExecutors;
import dev.goblet.lifecycle.WorkTracker;
import dev.goblet.metrics.GobletMetrics;
import dev.goblet.metrics.SnapshotMetrics;
import dev.goblet.protocol.FetchHandler;
import dev.goblet.protocol.LsRefsHandler;
import dev.goblet.protocol.SmartHttpHandler;
import dev.goblet.repository.CacheRootLock;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorContext;
import dev.goblet.repository.MirrorLifecycle;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.repository.MirrorSeeder;
import dev.goblet.snapshot.SnapshotService;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamGate;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caching proxy: one per cache root. Adapters (the servlet) pass it each request with {@link
 * #handle}; hosts use the rest to manage mirrors, the upstream switch, health and snapshots.
 * Thread-safe.
 *
 * <p>With a {@linkplain ServerConfig#snapshotStore() snapshot store}, mirrors are published to it
 * on the scheduler and restored from it on demand. With {@linkplain
 * ServerConfig#restoreAllAtStart() restoreAllAtStart} as well, {@link #create} starts restoring
 * every stored repository the cache root lacks on the executor and returns at once: the proxy
 * serves requests meanwhile, but reports itself not {@linkplain #isReady() ready} (see {@link
 * #health()}) until the restore has finished, so a load balancer that waits for readiness sends
 * clients only to a warm replica.
 *
 * <p>It owns what it creates (mirrors, its own executor and scheduler when the host gave none) and
 * releases them on {@link #close()}; it never shuts down anything the host passed in. {@code
 * close()} returns once nothing of the proxy can still write under the cache root, and only then
 * releases the cache root's lock.
 */
public final class GobletProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GobletProxy.class);

  /** The pack cache's spool directory below the cache root. */
  static final String PACK_CACHE_DIR = ".pack-cache";

  private final ServerConfig config;
  private final CacheRootLock cacheRootLock;
  private final ExecutorService executor;
  private final WorkTracker work = new WorkTracker();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final UpstreamGate gate;
  private final MirrorManager mirrors;
  private final LsRefsCache lsRefsCache;
  private final SmartHttpHandler handler;
  private final ProxyExecutors ownedExecutors;
  private final FetchHandler fetch;
  private final ErrorReporter errors;
  private final RequestLogger requests;
  private final GobletMetrics metrics;
  private final CompletableFuture<RestoreReport> ready = new CompletableFuture<>();
  private final SnapshotService snapshots; // null without a snapshot store
  private volatile ScheduledExecutorService ownScheduler; // for snapshots when the host gave none

  private GobletProxy(ServerConfig config, CacheRootLock cacheRootLock) throws IOException {
    this.config = config;
    this.cacheRootLock = cacheRootLock;
    this.ownedExecutors =
        new ProxyExecutors(
            config.maxConcurrentPackGenerations(),
            config.maxConcurrentFetchesPerUpstream(),
            config.maxQueuedFetchesPerUpstream());
    this.executor = config.executor().orElseGet(ownedExecutors::background);
    Executor background = work.executor(executor);
    this.errors = GuardedHooks.errors(config.errorReporter());
    this.requests = GuardedHooks.requests(config.requestLogger());
    this.lsRefsCache =
        new LsRefsCache(
            config.lsRefsCachePath(),
            config.clock(),
            config.lsRefsCacheMaxRepositories(),
            config.lsRefsCacheMaxBytes(),
            work.executor(ownedExecutors.cacheWrites()));
    this.gate =
        new UpstreamGate(
            config.upstreamEnabled(), config.clock(), config.upstreamCooldown(), this::forget);
    this.metrics =
        new GobletMetrics(
            config.metricRegistry().orElseGet(MetricRegistry::new),
            config.metricPrefix(),
            gate::isAvailable,
            gate::isEnabled,
            lsRefsCache::size);
    OperationLogger operations = GuardedHooks.operations(config.operationLogger());
    UpstreamClient client =
        new UpstreamClient(
            config.upstreamCredentials(),
            config.upstreamConnectTimeout(),
            config.upstreamTimeout());
    this.mirrors =
        new MirrorManager(
            config.cacheRoot(),
            new MirrorContext(
                ownedExecutors.upstreamFetches(),
                config.clock(),
                client,
                gate,
                operations,
                config.upstreamFetchTimeout(),
                config.upstreamFetchStallWindow(),
                ownedExecutors.ticks(),
                metrics,
                work::isClosing),
            new MirrorLifecycle(
                config.cacheMaxBytes(),
                config.cacheMinFreeBytes(),
                operations,
                evictions(metrics)));
    metrics.mirrorBytes(mirrors::totalBytes);
    int loaded = lsRefsCache.load();
    log.info("goblet proxy on {}: {} cached ls-refs entries loaded", config.cacheRoot(), loaded);
    this.snapshots =
        config
            .snapshotStore()
            .map(
                store ->
                    new SnapshotService(
                        store,
                        mirrors,
                        lsRefsCache,
                        config.cacheRoot(),
                        config.clock(),
                        config.storePublishDelay(),
                        config.upstreamFetchTimeout(),
                        work.executor(ownedExecutors.restores()),
                        new SnapshotMetrics(metrics.registry(), config.metricPrefix()),
                        errors))
            .orElse(null);
    MirrorSeeder seeder = snapshots == null ? MirrorSeeder.NONE : snapshots;
    LsRefsHandler lsRefs =
        new LsRefsHandler(
            client,
            gate,
            lsRefsCache,
            mirrors,
            seeder,
            config.upstreamFetchTimeout(),
            background,
            new LsRefsHandler.OfflinePolicy(
                config.offlineMode(), config.lsRefsCacheTtl(), config.lsRefsMaxStaleness()),
            metrics);
    this.fetch =
        new FetchHandler(
            gate,
            mirrors,
            seeder,
            config.upstreamFetchTimeout(),
            new FetchHandler.Packs(
                config.cacheRoot().resolve(PACK_CACHE_DIR),
                config.packCacheEnabled(),
                config.packCacheMaxAge(),
                config.packCacheMaxBytes(),
                ownedExecutors.packGenerations()),
            new FetchHandler.Keepalives(
                config.clientKeepalives(),
                config.clientKeepaliveInterval(),
                key -> lsRefsCache.get(key).map(e -> lsRefsCache.age(e.newestTime()))),
            metrics);
    this.handler =
        new SmartHttpHandler(
            authorizer(config, client, gate, metrics),
            config.urlCanonicalizer(),
            lsRefs,
            fetch,
            errors,
            config.maxRequestBodyBytes(),
            metrics);
  }

  /** @return told of repacks and evictions: counts them, and drops an evicted repository's refs */
  private MirrorLifecycle.Listener evictions(GobletMetrics metrics) {
    return new MirrorLifecycle.Listener() {
      @Override
      public void repacked(String key, Duration took) {
        metrics.repacked(key, took);
      }

      @Override
      public void evicted(String key, long bytes) {
        lsRefsCache.invalidate(key);
        metrics.evicted(key, bytes);
      }

      @Override
      public void evictedForFreeSpace(String key, long bytes) {
        metrics.evictedForFreeSpace(key, bytes);
      }
    };
  }

  /**
   * @return the host's request authorizer, followed by the per-user check against the upstream
   *     when {@link ServerConfig#upstreamAuthorization()} is on
   */
  private static RequestAuthorizer authorizer(
      ServerConfig config, UpstreamClient client, UpstreamGate gate, GobletMetrics metrics) {
    if (config.upstreamAuthorization().isEmpty()) {
      return config.requestAuthorizer();
    }
    RequestAuthorizer host = config.requestAuthorizer();
    RequestAuthorizer perUser =
        new UpstreamRequestAuthorizer(
            config.upstreamAuthorization().get(),
            config.urlCanonicalizer(),
            client,
            gate,
            config.clock(),
            config.upstreamTimeout(),
            metrics);
    return request -> {
      host.authorize(request);
      perUser.authorize(request);
    };
  }

  /** Drops the cached refs of a repository the upstream refused: they are no longer served. */
  private void forget(URI upstream) {
    String key = RepositoryPaths.key(upstream);
    lsRefsCache.invalidate(key);
    log.warn("the upstream refused {}: its cached refs are dropped and it is not served", key);
  }

  /**
   * @param config the configuration
   * @return a proxy serving from {@code config.cacheRoot()}, with the ls-refs cache loaded
   * @throws IOException when the cache root cannot be created, or another proxy uses it
   */
  public static GobletProxy create(ServerConfig config) throws IOException {
    CacheRootLock lock = CacheRootLock.acquire(config.cacheRoot());
    GobletProxy proxy;
    try {
      proxy = new GobletProxy(config, lock);
    } catch (IOException | RuntimeException e) {
      lock.close();
      throw e;
    }
    proxy.start();
    return proxy;
  }

  /** Starts publishing snapshots, and the restore at start when configured. */
  private void start() {
    if (snapshots == null) {
      ready.complete(RestoreReport.NONE);
      return;
    }
    snapshots.start(snapshotScheduler(), work::track);
    if (!config.restoreAllAtStart()) {
      ready.complete(RestoreReport.NONE);
      return;
    }
    try {
      work.executor(executor).execute(this::restoreAll);
    } catch (RejectedExecutionException e) {
      log.error("cannot restore at start: the executor refused the task; starting cold", e);
      ready.complete(RestoreReport.NONE);
    }
  }

  private void restoreAll() {
    RestoreReport report = RestoreReport.NONE;
    try {
      report = snapshots.restoreAll();
    } catch (RuntimeException e) {
      log.error("the restore at start failed; serving without it", e);
      errors.report(null, e);
    } finally {
      ready.complete(report);
      log.info("the restore at start has finished: the proxy is ready");
    }
  }

  private ScheduledExecutorService snapshotScheduler() {
    if (config.scheduler().isPresent()) {
      return config.scheduler().get();
    }
    ownScheduler = newScheduler();
    return ownScheduler;
  }

  /**
   * Publishes a snapshot of every mirror fetched since its last one now (whatever the publish
   * delay), and writes changed ls-refs entries, on the calling thread. Runs are serialized with
   * the scheduled ones. This is the proxy's "back up now".
   *
   * @return what it did
   * @throws IllegalStateException when no snapshot store is configured
   */
  public PublishReport publishSnapshotsNow() {
    if (snapshots == null) {
      throw new IllegalStateException("no snapshot store is configured");
    }
    return snapshots.publishNow();
  }

  /**
   * @return the snapshot state of every repository this replica published or restored, by key;
   *     empty without a snapshot store
   */
  public Map<String, SnapshotService.Status> snapshotStatuses() {
    return snapshots == null ? Map.of() : snapshots.statuses();
  }

  /** @return the configuration */
  public ServerConfig config() {
    return config;
  }

  /**
   * Answers one Git smart HTTP request. Never throws for a request the proxy refuses: refusals
   * become an HTTP status (before the exchange) or a Git {@code ERR} packet (inside it).
   *
   * @param request the request
   * @param response the response; not closed
   * @throws IOException only when the client connection failed
   */
  public void handle(GitRequest request, GitResponse response) throws IOException {
    if (!work.enter()) {
      respond(response, new GobletException(Status.UNAVAILABLE, "the proxy is shutting down"));
      return;
    }
    try {
      handleAdmitted(request, response);
    } finally {
      work.exit();
    }
  }

  private void handleAdmitted(GitRequest request, GitResponse response) throws IOException {
    long start = System.nanoTime();
    MeteredExchange exchange = new MeteredExchange(request, response);
    GitResponse metered = exchange.response();
    try {
      handler.handle(exchange.request(), metered);
    } catch (GobletException e) {
      if (e.status().isServerError()) {
        log.warn("{} {}: {}", request.method(), request.path(), e.getMessage(), e.getCause());
        errors.report(request, e);
      }
      respond(metered, e);
    } catch (IOException e) {
      if (metered.isCommitted()) {
        // Mid-answer: most often the client went away; the stream just ends.
        log.debug("{} {}: connection failed mid-answer", request.method(), request.path(), e);
      } else {
        log.error("{} {}: I/O error", request.method(), request.path(), e);
        errors.report(request, e);
        respond(metered, new GobletException(Status.INTERNAL, "internal error in the proxy", e));
      }
    } catch (RuntimeException e) {
      log.error("{} {}: internal error", request.method(), request.path(), e);
      errors.report(request, e);
      respond(metered, new GobletException(Status.INTERNAL, "internal error in the proxy", e));
    } finally {
      metrics.exchanged(exchange.requestBytes(), exchange.responseBytes());
      requests.log(
          new RequestLogger.Record(
              request.method(),
              request.path(),
              exchange.status(),
              exchange.requestBytes(),
              exchange.responseBytes(),
              Duration.ofNanos(System.nanoTime() - start)));
    }
  }

  private static void respond(GitResponse response, GobletException e) throws IOException {
    if (response.isCommitted()) {
      return; // the exchange already answered; the client sees the stream end
    }
    response.setStatus(e.status().httpCode());
    response.setHeader("Content-Type", "text/plain; charset=utf-8");
    response.setHeader("Cache-Control", "no-cache");
    if (e.status() == Status.UNAUTHORIZED) {
      response.setHeader("WWW-Authenticate", "Bearer");
      response.addHeader("WWW-Authenticate", "Basic realm=\"goblet\"");
    }
    OutputStream body = response.body();
    body.write((e.getMessage() + "\n").getBytes(StandardCharsets.UTF_8));
    body.flush();
  }

  /** @return whether the upstream is switched on */
  public boolean isUpstreamEnabled() {
    return gate.isEnabled();
  }

  /**
   * Switches every upstream on or off at run time; while off, ls-refs is answered from the cache
   * and fetches from the mirrors only.
   *
   * @param enabled the new state
   */
  public void setUpstreamEnabled(boolean enabled) {
    gate.setEnabled(enabled);
    log.info("upstream switched {}", enabled ? "on" : "off");
  }

  /** @return whether the upstream is switched on and no upstream server is failing */
  public boolean isUpstreamAvailable() {
    return gate.isAvailable();
  }

  /**
   * @return every mirror under the cache root
   * @throws IOException when the cache root cannot be read
   */
  public List<ManagedRepository> repositories() throws IOException {
    return List.copyOf(mirrors.list());
  }

  /**
   * @param upstream a canonical upstream URL
   * @return its mirror, created (empty) when missing
   * @throws IOException when it cannot be created
   */
  public ManagedRepository openRepository(URI upstream) throws IOException {
    return whileOpen(() -> mirrors.open(upstream));
  }

  /**
   * @param upstream a canonical upstream URL
   * @return its mirror, if one exists
   * @throws IOException when it cannot be opened
   */
  public Optional<ManagedRepository> findRepository(URI upstream) throws IOException {
    return mirrors.find(upstream).map(Mirror.class::cast);
  }

  /** @return the registry holding the proxy's metrics (the host's, or the proxy's own) */
  public MetricRegistry metricRegistry() {
    return metrics.registry();
  }

  /**
   * @param suffix a metric name below the configured prefix, such as {@code ls-refs-cache.hits}
   * @return the full metric name
   */
  public String metricName(String suffix) {
    return metrics.name(suffix);
  }

  /** @return the ls-refs cache */
  public LsRefsCache lsRefsCache() {
    return lsRefsCache;
  }

  /**
   * @param key a cache key, such as {@code github.com/owner/repo}
   * @return the mirror with that key, if one exists; never creates one
   * @throws IOException when it cannot be opened
   * @throws IllegalArgumentException when {@code key} is not a well-formed key
   */
  public Optional<ManagedRepository> repository(String key) throws IOException {
    return mirrors.findByKey(key).map(ManagedRepository.class::cast);
  }

  /**
   * Queues a maintenance run of a repository's mirror on the proxy's maintenance thread (never the
   * one running upstream fetches): a repack when it has too many packs or no bitmap, or whatever
   * its packs when {@code repack} is set; a new measure of its size; then the disk budget.
   *
   * @param key a cache key, such as {@code github.com/owner/repo}
   * @param repack whether to repack whatever the pack count
   * @return completes when this run and every run queued before it for the repository have ended;
   *     empty when there is no such mirror
   * @throws IOException when the mirror cannot be opened
   * @throws IllegalArgumentException when {@code key} is not a well-formed key
   */
  public Optional<CompletableFuture<Void>> maintainRepository(String key, boolean repack)
      throws IOException {
    return mirrors.findByKey(key).map(mirror -> mirrors.maintain(mirror, repack));
  }

  /**
   * @return the status of every mirror under the cache root, sorted by key
   * @throws IOException when the cache root or a mirror cannot be read
   */
  public List<RepositoryStatus> repositoryStatuses() throws IOException {
    List<RepositoryStatus> result = new ArrayList<>();
    for (Mirror mirror : mirrors.list()) {
      result.add(status(mirror));
    }
    return List.copyOf(result);
  }

  /**
   * @param key a cache key, such as {@code github.com/owner/repo}
   * @return the status of the mirror with that key, if one exists
   * @throws IOException when the mirror cannot be read
   * @throws IllegalArgumentException when {@code key} is not a well-formed key
   */
  public Optional<RepositoryStatus> repositoryStatus(String key) throws IOException {
    Optional<Mirror> mirror = mirrors.findByKey(key);
    return mirror.isEmpty() ? Optional.empty() : Optional.of(status(mirror.get()));
  }

  private RepositoryStatus status(Mirror mirror) throws IOException {
    Optional<LsRefsCache.Entry> entry = lsRefsCache.get(mirror.key());
    return new RepositoryStatus(
        mirror.key(),
        mirror.upstreamUrl(),
        mirror.localPath(),
        mirror.lastUpdate(),
        entry.map(LsRefsCache.Entry::newestTime),
        entry.map(e -> lsRefsCache.age(e.newestTime())),
        mirror.refCount(),
        mirrors.sizeBytes(mirror),
        mirrors.lastServed(mirror));
  }

  /**
   * Takes a health snapshot. Creates and deletes a small hidden file in the cache root to tell
   * whether it is writable.
   *
   * @return the proxy's health now
   */
  public Health health() {
    Health.UpstreamStatus upstream =
        !gate.isEnabled()
            ? Health.UpstreamStatus.DISABLED
            : gate.isAvailable() ? Health.UpstreamStatus.AVAILABLE : Health.UpstreamStatus.UNAVAILABLE;
    Health.OfflineMode offline =
        !config.offlineMode()
            ? Health.OfflineMode.DISABLED
            : upstream == Health.UpstreamStatus.AVAILABLE
                ? Health.OfflineMode.STANDBY
                : Health.OfflineMode.ACTIVE;
    boolean isReady = ready.isDone();
    boolean writable = cacheRootWritable();
    Health.Status status;
    if (!isReady) {
      status = Health.Status.STARTING;
    } else if (!writable
        || (upstream != Health.UpstreamStatus.AVAILABLE && offline == Health.OfflineMode.DISABLED)) {
      status = Health.Status.UNHEALTHY;
    } else {
      status = Health.Status.HEALTHY;
    }
    return new Health(
        status,
        upstream,
        offline,
        lsRefsCache.size(),
        metrics.cacheStats(),
        isReady,
        writable,
        cacheRootFreeBytes());
  }

  private boolean cacheRootWritable() {
    try {
      Path probe = Files.createTempFile(config.cacheRoot(), ".health-", ".tmp");
      Files.delete(probe);
      return true;
    } catch (IOException | SecurityException e) {
      log.debug("the cache root {} is not writable", config.cacheRoot(), e);
      return false;
    }
  }

  private long cacheRootFreeBytes() {
    try {
      return Files.getFileStore(config.cacheRoot()).getUsableSpace();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * @return whether start-up has finished: the restore at start, when {@link
   *     ServerConfig#restoreAllAtStart()} is set
   */
  public boolean isReady() {
    return ready.isDone();
  }

  /**
   * @return completes, with what was restored, when the proxy is ready; at once without the
   *     restore at start ({@link RestoreReport#NONE}). Completing the returned future has no effect
   *     on the proxy.
   */
  public CompletableFuture<RestoreReport> whenReady() {
    return ready.copy();
  }

  /** Work that may write under the cache root, run on the caller's thread. */
  private interface Work<T> {
    T run() throws IOException;
  }

  private <T> T whileOpen(Work<T> task) throws IOException {
    if (!work.enter()) {
      throw new IllegalStateException("the proxy is closed");
    }
    try {
      return task.run();
    } finally {
      work.exit();
    }
  }

  /**
   * Shuts the proxy down. It admits no new work (requests are answered 503), cancels running
   * mirror fetches and repacks at their next progress step, and waits up to {@linkplain
   * ServerConfig#shutdownTimeout() the shutdown timeout} for running requests, fetches, repacks,
   * snapshot publishing and restores, and cache writes to end; then it interrupts the proxy's own threads and waits as long
   * again. It returns with the cache root's lock released once nothing of the proxy can still write
   * under the root. Should work still run after both waits (a host thread stuck in a request), it
   * says so in the log and returns; the lock is then released when that work ends, never before.
   * Calling it again does nothing.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    work.close(); // running fetches and repacks see it at JGit's next check and stop
    if (snapshots != null) {
      snapshots.close(); // a running restore at start stops before its next repository
    }
    ready.complete(RestoreReport.NONE); // its waiters go
    if (ownScheduler != null) {
      ownScheduler.shutdownNow();
    }
    Duration timeout = config.shutdownTimeout();
    boolean idle = awaitIdle(timeout);
    if (!idle) {
      log.warn(
          "closing the proxy on {}: {} requests or tasks still running after {}; interrupting them",
          config.cacheRoot(),
          work.active(),
          timeout);
    }
    // The proxy's own pools (upstream fetches, pack generations, and the background pool unless
    // it is the host's): interrupted now, waited for as long again.
    boolean ended = shutdownPools(timeout);
    idle = idle || awaitIdle(timeout);
    if (!idle || !ended) {
      log.error(
          "closing the proxy on {}: work still running after {}; the cache root stays locked"
              + " until it ends",
          config.cacheRoot(),
          timeout.multipliedBy(2));
    }
    if (ended) {
      fetch.close();
      work.whenClosedAndIdle(this::release);
    } else {
      Thread waiter =
          new Thread(
              () -> {
                ownedExecutors.awaitTermination();
                fetch.close();
                work.whenClosedAndIdle(this::release);
              },
              "goblet-close");
      waiter.setDaemon(true);
      waiter.start();
    }
  }

  private boolean shutdownPools(Duration timeout) {
    try {
      return ownedExecutors.shutdown(
          timeout,
          dropped -> {
            if (dropped instanceof WorkTracker.Counted task) {
              task.abandon(); // never to run: it must not keep the tracker busy
            }
          });
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private boolean awaitIdle(Duration timeout) {
    try {
      return work.awaitIdle(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return work.active() == 0;
    }
  }

  /** Runs once nothing of the proxy runs any more. */
  private void release() {
    lsRefsCache.flush(); // writes the pool dropped at shutdown, before another proxy may load
    mirrors.close();
    try {
      cacheRootLock.close();
    } catch (IOException e) {
      log.warn("could not release the lock on {}", config.cacheRoot(), e);
    }
    log.info("goblet proxy on {} closed", config.cacheRoot());
  }

  private static ScheduledExecutorService newScheduler() {
    return Executors.newSingleThreadScheduledExecutor(
        ProxyExecutors.daemonThreads("goblet-scheduler-"));
  }
}
