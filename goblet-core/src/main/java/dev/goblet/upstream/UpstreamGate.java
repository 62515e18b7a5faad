package dev.goblet.upstream;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.goblet.GobletException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.Consumer;

/**
 * Decides whether a call may go to an upstream: the run-time switch (operators and tests take the
 * upstream out) and circuit breakers keyed on what failed, so an outage is detected once and not
 * paid for by every request: one per upstream server (connection failures, 5xx, garbage) and one
 * per repository (a fetch that timed out or stalled: one huge repository's trouble does not stop
 * fetches of every other repository on its server). It also remembers which repositories the
 * upstream refused (401, 403, 404): those are not served, from the mirror or the cache, until the
 * upstream serves them again. Thread-safe.
 */
public final class UpstreamGate {
  /** Refused repositories remembered at most; beyond it the least recent refusal is forgotten. */
  private static final int MAX_REFUSED = 100_000;

  private final Clock clock;
  private final Duration cooldown;
  private final Consumer<URI> onRefused;
  private final ConcurrentMap<String, CircuitBreaker> breakers = new ConcurrentHashMap<>();
  private final Cache<URI, UpstreamException> refused =
      Caffeine.newBuilder().maximumSize(MAX_REFUSED).build();
  private final ConcurrentMap<String, CircuitBreaker> repositoryBreakers =
      new ConcurrentHashMap<>();
  private volatile boolean enabled;

  /**
   * @param enabled whether the upstream is switched on at start
   * @param clock time for the cool-down
   * @param cooldown how long a failed upstream is left alone; zero disables the breaker
   */
  public UpstreamGate(boolean enabled, Clock clock, Duration cooldown) {
    this(enabled, clock, cooldown, upstream -> {});
  }

  /**
   * @param enabled whether the upstream is switched on at start
   * @param clock time for the cool-down
   * @param cooldown how long a failed upstream is left alone; zero disables the breaker
   * @param onRefused told of each repository the upstream refused (to drop what is cached of it);
   *     must be fast and not throw
   */
  public UpstreamGate(
      boolean enabled, Clock clock, Duration cooldown, Consumer<URI> onRefused) {
    this.enabled = enabled;
    this.clock = clock;
    this.cooldown = cooldown;
    this.onRefused = onRefused;
  }

  /** @return whether the upstream is switched on */
  public boolean isEnabled() {
    return enabled;
  }

  /** @param enabled switches every upstream on or off, at once, for new calls */
  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /**
   * @param upstream the repository about to be called
   * @return whether the call may go out; a {@code true} may be the breaker's one probe, which must
   *     be followed by {@link #recordSuccess} or {@link #recordFailure}
   */
  public boolean mayCall(URI upstream) {
    if (!enabled) {
      return false;
    }
    CircuitBreaker repository = repositoryBreakers.get(upstream.toString());
    if (repository != null && !repository.allowRequest()) {
      return false;
    }
    return breaker(upstream).allowRequest();
  }

  /**
   * @param upstream a repository the upstream just served with the proxy's credentials: its
   *     server is up, and the repository is served again if it had been refused
   */
  public void recordSuccess(URI upstream) {
    breaker(upstream).recordSuccess();
    refused.invalidate(upstream);
    CircuitBreaker repository = repositoryBreakers.get(upstream.toString());
    if (repository != null) {
      repository.recordSuccess();
    }
  }

  /**
   * @param upstream a repository whose server just answered (whatever it said about someone's
   *     credentials): the server is up; says nothing about the proxy's own access
   */
  public void recordAnswered(URI upstream) {
    breaker(upstream).recordSuccess();
  }

  /**
   * Records a fetch of one repository that timed out or stalled: that repository's breaker opens;
   * the server's stays as it is, so the server's other repositories are still fetched.
   *
   * @param upstream the repository called
   * @param failure how the call failed
   */
  public void recordRepositoryFailure(URI upstream, UpstreamException failure) {
    repositoryBreakers
        .computeIfAbsent(upstream.toString(), s -> new CircuitBreaker(clock, cooldown))
        .recordFailure(failure.getMessage());
  }

  /**
   * Records a failed upstream call made with the proxy's credentials: an outage (unreachable,
   * timeout, 5xx, garbage) opens the server's breaker with the failure's message as the reason; any
   * other failure means the server answered, so it counts as a success for the breaker; a refusal
   * (401, 403, 404) also marks the repository refused until {@link #recordSuccess}.
   *
   * @param upstream the repository called
   * @param failure how the call failed
   */
  public void recordFailure(URI upstream, UpstreamException failure) {
    if (failure.isOutage()) {
      breaker(upstream).recordFailure(failure.getMessage());
      return;
    }
    breaker(upstream).recordSuccess();
    if (failure.isRefusal()) {
      refused.put(upstream, failure);
      onRefused.accept(upstream);
    }
  }

  /**
   * @param upstream a repository
   * @return the upstream's last refusal of it, while it stands
   */
  public Optional<UpstreamException> refusal(URI upstream) {
    return Optional.ofNullable(refused.getIfPresent(upstream));
  }

  /**
   * @param upstream a repository about to be served from the mirror or the cache
   * @throws GobletException when the upstream refused it and has not served it since
   */
  public void requireNotRefused(URI upstream) throws GobletException {
    UpstreamException refusal = refused.getIfPresent(upstream);
    if (refusal != null) {
      throw new GobletException(
          refusal.status(),
          refusal.getMessage()
              + "; the proxy serves nothing of this repository until the upstream does again",
          refusal);
    }
  }

  /**
   * @param upstream a repository
   * @return why the upstream is not being called now, for error messages
   */
  public String unavailableReason(URI upstream) {
    if (!enabled) {
      return "the upstream is switched off on this proxy";
    }
    CircuitBreaker breaker = breakers.get(server(upstream));
    if (breaker == null || !breaker.isOpen()) {
      CircuitBreaker repository = repositoryBreakers.get(upstream.toString());
      breaker = repository != null && repository.isOpen() ? repository : breaker;
    }
    String last = breaker == null ? "" : breaker.lastFailure();
    return "the upstream failed recently" + (last.isEmpty() ? "" : " (" + last + ")")
        + " and is left alone for up to " + cooldown.toSeconds() + "s before the next try";
  }

  /** @return whether the upstream is on and no server's breaker is open */
  public boolean isAvailable() {
    return enabled && breakers.values().stream().noneMatch(CircuitBreaker::isOpen);
  }

  /**
   * @param upstream a repository
   * @return whether the call would be refused now, without taking a probe slot
   */
  public boolean isUnavailable(URI upstream) {
    CircuitBreaker breaker = breakers.get(server(upstream));
    CircuitBreaker repository = repositoryBreakers.get(upstream.toString());
    return !enabled
        || (breaker != null && breaker.isOpen())
        || (repository != null && repository.isOpen());
  }

  private CircuitBreaker breaker(URI upstream) {
    return breakers.computeIfAbsent(server(upstream), s -> new CircuitBreaker(clock, cooldown));
  }

  /**
   * @param upstream a repository
   * @return its server, {@code <scheme>://<authority>}: the key of the server's breaker and fetch
   *     lane
   */
  public static String server(URI upstream) {
    return upstream.getScheme().toLowerCase(Locale.ROOT) + "://" + upstream.getRawAuthority();
  }
}
