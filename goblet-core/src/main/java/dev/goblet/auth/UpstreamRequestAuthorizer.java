package dev.goblet.auth;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.goblet.GitRequest;
import dev.goblet.GobletException;
import dev.goblet.RequestAuthorizer;
import dev.goblet.Status;
import dev.goblet.UpstreamAuthorization;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.protocol.Endpoint;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamException;
import dev.goblet.upstream.UpstreamGate;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The per-user authorizer of {@link UpstreamAuthorization}: asks the upstream whether the client's
 * own credentials may read the requested repository, remembers the answer by a salted hash of the
 * credential, and honours recent allows through an upstream outage. Thread-safe.
 */
public final class UpstreamRequestAuthorizer implements RequestAuthorizer {
  /** Told of each decision; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /** The upstream was asked about a client's credentials. */
    default void checked() {}

    /** A remembered decision answered, without asking the upstream. */
    default void cacheHit() {}

    /** The upstream was down and a recent allow was honoured. */
    default void graceAllowed() {}

    /** A client was refused (by the upstream, or because it could not be asked). */
    default void denied() {}
  }

  private enum Outcome {
    ALLOWED,
    DENIED,
    UNAVAILABLE
  }

  /** A decision: how it came out, and the refusal a client gets when it is not an allow. */
  private record Decision(Outcome outcome, GobletException refusal) {}

  private static final int SALT_BYTES = 32;

  private final UpstreamAuthorization settings;
  private final UrlCanonicalizer canonicalizer;
  private final UpstreamClient client;
  private final UpstreamGate gate;
  private final Clock clock;
  private final Listener listener;
  private final Duration waitLimit;
  private final byte[] salt = new byte[SALT_BYTES];
  private final Cache<String, Decision> decisions;
  private final Cache<String, Instant> lastAllowed;
  private final ConcurrentMap<String, CompletableFuture<Decision>> checking =
      new ConcurrentHashMap<>();

  /**
   * @param settings TTLs, grace and size
   * @param canonicalizer maps request paths to upstream repositories
   * @param client asks the upstream
   * @param gate the upstream switch and breakers (an open breaker is an outage)
   * @param clock time of decisions (tests pass a fake clock)
   * @param checkTimeout how long one upstream check may take
   * @param listener told of decisions
   */
  public UpstreamRequestAuthorizer(
      UpstreamAuthorization settings,
      UrlCanonicalizer canonicalizer,
      UpstreamClient client,
      UpstreamGate gate,
      Clock clock,
      Duration checkTimeout,
      Listener listener) {
    this.settings = settings;
    this.canonicalizer = canonicalizer;
    this.client = client;
    this.gate = gate;
    this.clock = clock;
    this.listener = listener;
    this.waitLimit = checkTimeout.multipliedBy(2);
    new SecureRandom().nextBytes(salt);
    Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.decisions =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(settings.maxEntries())
            .expireAfter(
                Expiry.creating(
                    (String key, Decision d) ->
                        d.outcome() == Outcome.ALLOWED ? settings.ttl() : settings.denialTtl()))
            .build();
    this.lastAllowed =
        Caffeine.newBuilder()
            .ticker(ticker)
            .maximumSize(settings.maxEntries())
            .expireAfterWrite(settings.grace().isZero() ? Duration.ofNanos(1) : settings.grace())
            .build();
  }

  @Override
  public void authorize(GitRequest request) throws GobletException {
    String credential = credential(request);
    URI upstream = canonicalizer.canonicalize(Endpoint.route(request.path()).repositoryPath());
    String key = key(credential, upstream);
    Decision remembered = decisions.getIfPresent(key);
    if (remembered != null) {
      listener.cacheHit();
      apply(remembered);
      return;
    }
    Decision decision = checkShared(key, credential, upstream);
    switch (decision.outcome()) {
      case ALLOWED -> {
        decisions.put(key, decision);
        lastAllowed.put(key, clock.instant());
      }
      case DENIED -> decisions.put(key, decision);
      case UNAVAILABLE -> {
        Instant allowed = lastAllowed.getIfPresent(key);
        if (allowed != null
            && Duration.between(allowed, clock.instant()).compareTo(settings.grace()) <= 0) {
          listener.graceAllowed();
          return;
        }
      }
    }
    apply(decision);
  }

  private void apply(Decision decision) throws GobletException {
    if (decision.outcome() != Outcome.ALLOWED) {
      listener.denied();
      throw decision.refusal();
    }
  }

  /** @return the client's {@code Authorization} header, which must be HTTP Basic or Bearer */
  private static String credential(GitRequest request) throws GobletException {
    String header = request.header("Authorization");
    if (header != null
        && (header.regionMatches(true, 0, "Basic ", 0, 6)
            || header.regionMatches(true, 0, "Bearer ", 0, 7))
        && !header.substring(header.indexOf(' ') + 1).isBlank()) {
      return header.strip();
    }
    throw new GobletException(
        Status.UNAUTHORIZED,
        "this proxy lets the upstream decide who may read a repository: send your upstream"
            + " credentials (HTTP Basic or a bearer token)");
  }

  /** @return a salted SHA-256 of the credential and the repository, in hex: the cache key */
  private String key(String credential, URI upstream) {
    MessageDigest sha;
    try {
      sha = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
    sha.update(salt);
    sha.update(credential.getBytes(StandardCharsets.UTF_8));
    sha.update((byte) 0);
    sha.update(upstream.toString().getBytes(StandardCharsets.UTF_8));
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Runs the upstream check, or waits for the same one already running on another thread. */
  private Decision checkShared(String key, String credential, URI upstream)
      throws GobletException {
    CompletableFuture<Decision> mine = new CompletableFuture<>();
    CompletableFuture<Decision> running = checking.putIfAbsent(key, mine);
    if (running == null) {
      try {
        Decision decision = check(credential, upstream);
        mine.complete(decision);
        return decision;
      } catch (RuntimeException e) {
        mine.completeExceptionally(e);
        throw e;
      } finally {
        checking.remove(key, mine);
      }
    }
    try {
      return running.get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return unavailable("the upstream did not answer the access check in time");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return unavailable("interrupted while waiting for the access check");
    } catch (ExecutionException e) {
      throw new GobletException(Status.INTERNAL, "the access check failed", e.getCause());
    }
  }

  private Decision check(String credential, URI upstream) {
    if (!gate.mayCall(upstream)) {
      return unavailable(gate.unavailableReason(upstream));
    }
    listener.checked();
    try {
      client.checkAccess(upstream, credential);
      gate.recordAnswered(upstream);
      return new Decision(Outcome.ALLOWED, null);
    } catch (UpstreamException e) {
      if (e.isOutage()) {
        gate.recordFailure(upstream, e); // an outage, never a refusal of the proxy's own access
        return unavailable(e.getMessage());
      }
      gate.recordAnswered(upstream);
      return new Decision(Outcome.DENIED, new GobletException(e.status(), e.getMessage()));
    }
  }

  private static Decision unavailable(String reason) {
    return new Decision(
        Outcome.UNAVAILABLE,
        new GobletException(
            Status.UNAVAILABLE,
            "the upstream cannot confirm your access to this repository now (" + reason
                + ") and no recent confirmation is remembered; try again when it is back"));
  }
}
