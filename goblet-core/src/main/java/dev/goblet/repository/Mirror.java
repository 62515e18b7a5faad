package dev.goblet.repository;

import dev.goblet.ManagedRepository;
import dev.goblet.OperationLogger;
import dev.goblet.Status;
import dev.goblet.upstream.UpstreamException;
import dev.goblet.upstream.UpstreamGate;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.api.errors.GitAPIException;
import org.eclipse.jgit.errors.NoRemoteRepositoryException;
import org.eclipse.jgit.errors.PackProtocolException;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.eclipse.jgit.transport.FetchResult;
import org.eclipse.jgit.transport.RefSpec;
import org.eclipse.jgit.transport.TransportHttp;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A bare mirror of one upstream repository, kept open for the proxy's lifetime. Reads are safe from
 * any thread; upstream fetches run one at a time through a {@link FetchCoordinator}. Thread-safe.
 */
public final class Mirror implements ManagedRepository, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Mirror.class);

  /** Mirrors every upstream ref, forced. */
  static final RefSpec MIRROR_REFSPEC = new RefSpec("+refs/*:refs/*");

  private static final String CONFIG_SECTION = "goblet";
  private static final String LAST_UPDATE = "lastUpdate";

  /** Hands out refs versions unique within the process, across every mirror ever opened. */
  private static final AtomicLong REFS_VERSIONS = new AtomicLong();

  private final URI upstream;
  private final String key;
  private final Path dir;
  private final FileRepository repo;
  private final MirrorContext context;
  private final FetchCoordinator fetches;
  private volatile CompletableFuture<Void> comparison;
  private final MirrorUsage usage;
  private final Consumer<Mirror> afterFetch;
  private volatile long refsVersion = REFS_VERSIONS.incrementAndGet();

  /**
   * @param usage its leases, size and last use, for the disk budget
   * @param afterFetch told after each successful upstream fetch (queues maintenance); fast
   */
  Mirror(
      URI upstream,
      String key,
      Path dir,
      FileRepository repo,
      MirrorContext context,
      MirrorUsage usage,
      Consumer<Mirror> afterFetch) {
    this.upstream = upstream;
    this.key = key;
    this.dir = dir;
    this.repo = repo;
    this.context = context;
    this.usage = usage;
    this.afterFetch = afterFetch;
    this.fetches =
        new FetchCoordinator(
            task -> context.upstreamFetches().execute(UpstreamGate.server(upstream), task),
            this::fetchIfNeeded,
            context.fetchListener());
  }

  @Override
  public URI upstreamUrl() {
    return upstream;
  }

  @Override
  public Path localPath() {
    return dir;
  }

  /** @return the cache key, {@code <host>[_<port>]/<path>} */
  public String key() {
    return key;
  }

  /**
   * @return a number that changes whenever the mirror's refs may have changed (after every
   *     upstream fetch and restore), unique within the process: answers that depend on the refs
   *     may be shared while it stays the same
   */
  public long refsVersion() {
    return refsVersion;
  }

  /** @return the open repository; callers must not close it */
  public Repository repository() {
    return repo;
  }

  @Override
  public Optional<Instant> lastUpdate() {
    long millis = repo.getConfig().getLong(CONFIG_SECTION, null, LAST_UPDATE, -1);
    return millis < 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(millis));
  }

  /**
   * Records in a mirror's config when its content was last fetched from the upstream (what {@link
   * #lastUpdate()} reads); the caller saves the config.
   *
   * @param config a mirror's config
   * @param time the time of the fetch
   */
  public static void recordLastUpdate(StoredConfig config, Instant time) {
    config.setLong(CONFIG_SECTION, null, LAST_UPDATE, time.toEpochMilli());
  }

  /**
   * @param id an object id
   * @return whether the mirror has the object
   */
  public boolean hasObject(AnyObjectId id) {
    return repo.getObjectDatabase().has(id);
  }

  /**
   * @param name a full ref name, or {@code HEAD}
   * @return the ref, peeled, or empty when the mirror lacks it
   * @throws IOException when the refs cannot be read
   */
  public Optional<Ref> ref(String name) throws IOException {
    Ref ref = repo.exactRef(name);
    if (ref == null || ref.getObjectId() == null) {
      return Optional.empty();
    }
    return Optional.of(repo.getRefDatabase().peel(ref));
  }

  /**
   * {@inheritDoc}
   *
   * <p>Refused (the future fails at once) while the upstream is switched off or its breaker is
   * open.
   */
  @Override
  public CompletableFuture<Void> fetchUpstream() {
    if (context.gate().isUnavailable(upstream)) {
      return CompletableFuture.failedFuture(
          new UpstreamException(
              Status.UNAVAILABLE, context.gate().unavailableReason(upstream), true, null));
    }
    return fetches.join();
  }

  /**
   * Asks for a fetch that brings objects the mirror lacks: a new one when none runs, else the
   * follow-up queued behind the running one, which skips the upstream if the running one brought
   * them all. Callers check the upstream gate first; a fetch once asked for runs even if the
   * upstream is switched off before it starts.
   *
   * @param needed objects the mirror lacks and a client needs; empty to force a fresh fetch
   * @return completes when that fetch ends
   */
  public CompletableFuture<Void> fetchFor(Set<ObjectId> needed) {
    return fetches.startAfterNow(needed);
  }

  /**
   * @return the fetch running or queued that will end last, if any; while a comparison with the
   *     upstream's refs is under way ({@link #comparing}), a future that ends after it and after
   *     any fetch it asked for
   */
  public Optional<CompletableFuture<Void>> pendingFetch() {
    CompletableFuture<Void> comparison = this.comparison;
    if (comparison != null && !comparison.isDone()) {
      return Optional.of(
          comparison.thenCompose(
              done -> {
                CompletableFuture<Void> fetch = fetches.pending();
                return fetch == null ? CompletableFuture.<Void>completedFuture(null) : fetch;
              }));
    }
    return Optional.ofNullable(fetches.pending());
  }

  /**
   * Tells the mirror that a comparison of its refs with refs the upstream just advertised to a
   * client is under way, and may ask for a fetch: until it ends, {@link #pendingFetch()} waits for
   * it, so that the client's next request (its fetch) finds the objects even if the upstream is
   * switched off in between.
   *
   * @param comparison completes when the comparison has asked for whatever fetch it needs
   */
  public void comparing(CompletableFuture<Void> comparison) {
    this.comparison = comparison;
  }

  MirrorUsage usage() {
    return usage;
  }

  private void fetchIfNeeded(Set<ObjectId> needed) throws IOException, UpstreamException {
    if (context.stopping().getAsBoolean()) {
      throw new IOException("the proxy is shutting down");
    }
    if (needed != null && needed.stream().allMatch(this::hasObject)) {
      context.fetchListener().coalesced(); // the fetch before brought everything its callers need
      return;
    }
    if (!usage.tryLease()) {
      throw new IOException("the mirror " + key + " was evicted from the cache");
    }
    try {
      context.fetchListener().started();
      fetchNow();
    } finally {
      usage.release();
    }
    afterFetch.accept(this);
  }

  private void fetchNow() throws IOException, UpstreamException {
    Instant started = context.clock().instant();
    long startNanos = System.nanoTime();
    boolean ok = false;
    OperationLogger.Operation operation = context.operations().start("fetch-upstream", upstream);
    // Belt and braces: JGit's default follows the first redirect; the connections the upstream
    // client configures refuse any redirect before JGit sees it.
    repo.getConfig().setString("http", null, "followRedirects", "false");
    FetchWatchdog watchdog = new FetchWatchdog(context.fetchStallWindow(), System::nanoTime);
    TransportConfigCallback credentials = context.client().transportConfig(upstream);
    ScheduledFuture<?> ticks =
        context.watchdogTicks().scheduleAtFixedRate(watchdog::tick, 1, 1, TimeUnit.SECONDS);
    try (Git git = Git.wrap(repo)) {
      FetchResult result =
          git.fetch()
              .setRemote(upstream.toString())
              .setRefSpecs(MIRROR_REFSPEC)
              .setRemoveDeletedRefs(true)
              .setTimeout((int) Math.max(1, context.fetchTimeout().toSeconds()))
              .setTransportConfigCallback(
                  transport -> {
                    credentials.configure(transport);
                    if (transport instanceof TransportHttp http) {
                      http.setHttpConnectionFactory(
                          new WatchedConnections(http.getHttpConnectionFactory(), watchdog));
                    }
                  })
              .setProgressMonitor(
                  new OperationProgress(
                      operation,
                      () -> watchdog.isStalled() || context.stopping().getAsBoolean()))
              .call();
      context.gate().recordSuccess(upstream);
      Ref head = result.getAdvertisedRef(Constants.HEAD);
      if (head != null && head.isSymbolic()) {
        linkHead(head.getTarget().getName());
      }
      StoredConfig config = repo.getConfig();
      recordLastUpdate(config, started);
      config.save();
      ok = true;
      operation.done(null);
    } catch (GitAPIException e) {
      boolean stalled = watchdog.isStalled(); // its abort may surface as a closed socket
      UpstreamException failure;
      if (stalled || isTimeout(e)) {
        failure =
            new UpstreamException(
                Status.GATEWAY_TIMEOUT,
                "fetching from the upstream failed: " + (stalled ? watchdog.reason() : describe(e)),
                true,
                e);
        context.gate().recordRepositoryFailure(upstream, failure); // this repository, not the host
      } else {
        failure = classify(e);
        context.gate().recordFailure(upstream, failure);
      }
      operation.done(e);
      throw failure;
    } catch (IOException | RuntimeException e) {
      operation.done(e);
      throw e;
    } finally {
      ticks.cancel(false);
      refsVersion = REFS_VERSIONS.incrementAndGet();
      context.fetchListener().fetchDone(ok, Duration.ofNanos(System.nanoTime() - startNanos));
    }
  }

  /**
   * Points the mirror's HEAD at the upstream's default branch.
   *
   * @param target a full ref name such as {@code refs/heads/main}
   * @throws IOException when HEAD cannot be written
   */
  private void linkHead(String target) throws IOException {
    if (!target.startsWith(Constants.R_REFS)) {
      return;
    }
    Ref current = repo.exactRef(Constants.HEAD);
    if (current != null
        && current.isSymbolic()
        && current.getTarget().getName().equals(target)) {
      return;
    }
    RefUpdate update = repo.updateRef(Constants.HEAD, false);
    RefUpdate.Result result = update.link(target);
    if (result != RefUpdate.Result.NEW
        && result != RefUpdate.Result.FORCED
        && result != RefUpdate.Result.NO_CHANGE) {
      log.warn("could not point HEAD of mirror {} at {}: {}", key, target, result);
    }
  }

  /** @return the failure of a fetch: the upstream's refusal or redirect, else an outage or not */
  private UpstreamException classify(GitAPIException e) {
    Optional<UpstreamException> answer = context.client().answerIn(e);
    if (answer.isPresent()) {
      return new UpstreamException(
          answer.get().status(),
          "fetching from the upstream failed: " + answer.get().getMessage(),
          answer.get().kind(),
          e);
    }
    boolean outage = isOutage(e);
    return new UpstreamException(
        outage ? Status.UNAVAILABLE : Status.BAD_GATEWAY,
        "fetching from the upstream failed: " + describe(e),
        outage,
        e);
  }

  /** @return whether the fetch timed out or stalled: the repository's trouble, not the server's */
  private static boolean isTimeout(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof FetchWatchdog.StalledException
          || t instanceof SocketTimeoutException
          || String.valueOf(t.getMessage()).contains("timed out")) {
        return true;
      }
    }
    return false;
  }

  private static boolean isOutage(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof NoRemoteRepositoryException) {
        return false;
      }
      if (t instanceof ConnectException
          || t instanceof SocketTimeoutException
          || t instanceof UnknownHostException
          || t instanceof SocketException
          || t instanceof PackProtocolException) {
        return true;
      }
      String message = String.valueOf(t.getMessage());
      if (message.contains(" 500 ") || message.contains(" 502 ") || message.contains(" 503 ")
          || message.contains(" 504 ") || message.contains("timed out")
          || message.contains("Connection refused")) {
        return true;
      }
    }
    return false;
  }

  /** @return the failure's own words, on one line and short, without the stack */
  private static String describe(Throwable error) {
    String message = error.getMessage();
    for (Throwable t = error.getCause(); (message == null || message.isBlank()) && t != null;
        t = t.getCause()) {
      message = t.getMessage();
    }
    if (message == null || message.isBlank()) {
      return error.getClass().getSimpleName();
    }
    String line = message.replaceAll("[\\r\\n]+", " ").strip();
    return line.length() > 200 ? line.substring(0, 200) + "..." : line;
  }

  /**
   * @return how many refs under {@code refs/} the mirror has
   * @throws IOException when the refs cannot be read
   */
  public int refCount() throws IOException {
    return repo.getRefDatabase().getRefsByPrefix(Constants.R_REFS).size();
  }

  @Override
  public void close() {
    repo.close();
  }

  @Override
  public String toString() {
    return "Mirror[" + key + "]";
  }
}
