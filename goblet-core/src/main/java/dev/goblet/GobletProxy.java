package dev.goblet;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.metrics.GobletMetrics;
import dev.goblet.protocol.FetchHandler;
import dev.goblet.protocol.LsRefsHandler;
import dev.goblet.protocol.SmartHttpHandler;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorContext;
import dev.goblet.repository.MirrorManager;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamGate;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The caching proxy: one per cache root. Adapters (the servlet) pass it each request with {@link
 * #handle}; hosts use the rest to manage mirrors and the upstream switch. Thread-safe.
 *
 * <p>It owns what it creates (mirrors, its own executor when the host gave none) and releases them
 * on {@link #close()}; it never shuts down anything the host passed in.
 */
public final class GobletProxy implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GobletProxy.class);

  private final ServerConfig config;
  private final ExecutorService executor;
  private final boolean ownsExecutor;
  private final UpstreamGate gate;
  private final MirrorManager mirrors;
  private final LsRefsCache lsRefsCache;
  private final SmartHttpHandler handler;
  private final ErrorReporter errors;
  private final RequestLogger requests;
  private final GobletMetrics metrics;

  private GobletProxy(ServerConfig config) throws IOException {
    this.config = config;
    this.ownsExecutor = config.executor().isEmpty();
    this.executor = config.executor().orElseGet(GobletProxy::newExecutor);
    this.errors = GuardedHooks.errors(config.errorReporter());
    this.requests = GuardedHooks.requests(config.requestLogger());
    this.gate = new UpstreamGate(config.upstreamEnabled(), config.clock(), config.upstreamCooldown());
    this.lsRefsCache =
        new LsRefsCache(
            config.lsRefsCachePath(), config.clock(), config.lsRefsCacheMaxRepositories());
    this.metrics =
        new GobletMetrics(
            config.metricRegistry().orElseGet(MetricRegistry::new),
            config.metricPrefix(),
            gate::isAvailable,
            gate::isEnabled,
            lsRefsCache::size);
    UpstreamClient client =
        new UpstreamClient(
            config.upstreamCredentials(),
            config.upstreamConnectTimeout(),
            config.upstreamTimeout());
    this.mirrors =
        new MirrorManager(
            config.cacheRoot(),
            new MirrorContext(
                executor,
                config.clock(),
                client,
                gate,
                GuardedHooks.operations(config.operationLogger()),
                config.upstreamFetchTimeout(),
                metrics));
    int loaded = lsRefsCache.load();
    log.info("goblet proxy on {}: {} cached ls-refs entries loaded", config.cacheRoot(), loaded);
    LsRefsHandler lsRefs =
        new LsRefsHandler(
            client,
            gate,
            lsRefsCache,
            mirrors,
            executor,
            new LsRefsHandler.OfflinePolicy(
                config.offlineMode(), config.lsRefsCacheTtl(), config.lsRefsMaxStaleness()),
            metrics);
    FetchHandler fetch =
        new FetchHandler(
            gate,
            config.upstreamFetchTimeout(),
            config.maxConcurrentPackGenerations(),
            metrics);
    this.handler =
        new SmartHttpHandler(
            config.requestAuthorizer(),
            config.urlCanonicalizer(),
            mirrors,
            lsRefs,
            fetch,
            errors,
            config.maxRequestBodyBytes(),
            metrics);
  }

  /**
   * @param config the configuration
   * @return a proxy serving from {@code config.cacheRoot()}, with the ls-refs cache loaded
   * @throws IOException when the cache root cannot be created
   */
  public static GobletProxy create(ServerConfig config) throws IOException {
    return new GobletProxy(config);
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
      log.debug("{} {}: client connection failed", request.method(), request.path(), e);
      throw e;
    } catch (RuntimeException e) {
      log.error("{} {}: internal error", request.method(), request.path(), e);
      errors.report(request, e);
      respond(metered, new GobletException(Status.INTERNAL, "internal error in the proxy", e));
    } finally {
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
    return mirrors.open(upstream);
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

  @Override
  public void close() {
    if (ownsExecutor) {
      executor.shutdownNow();
    }
    mirrors.close();
  }

  private static ExecutorService newExecutor() {
    AtomicInteger count = new AtomicInteger();
    ThreadFactory factory =
        runnable -> {
          Thread thread = new Thread(runnable, "goblet-background-" + count.incrementAndGet());
          thread.setDaemon(true);
          return thread;
        };
    return Executors.newFixedThreadPool(
        Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), factory);
  }
}
