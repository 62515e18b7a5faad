package dev.goblet;

import java.time.Duration;
import java.util.Objects;

/**
 * Per-user authorization delegated to the upstream: the settings of the built-in authorizer that
 * checks each client's own credentials (HTTP Basic or Bearer, as git sends them) against the
 * upstream for the repository it asks for, with a {@code GET info/refs?service=git-upload-pack}
 * carrying only the client's {@code Authorization} header and following no redirect. Turn it on
 * with {@link ServerConfig.Builder#upstreamAuthorization}. With it, one proxy can front the private
 * repositories of many teams: the shared mirror and cache serve a repository only to clients the
 * upstream lets read it.
 *
 * <ul>
 *   <li>A decision is remembered for {@link #ttl()} (an allow) or {@link #denialTtl()} (a refusal),
 *       keyed by a salted SHA-256 hash of the credential and the repository URL. The credential
 *       itself is kept only for the check: never in the cache, on disk, in logs or metrics. The salt
 *       is random per proxy and never leaves memory.
 *   <li>Concurrent requests with the same credential for the same repository share one check.
 *   <li>While the upstream is down (unreachable, timed out, 5xx, switched off, its circuit breaker
 *       open), a client allowed within the last {@link #grace()} is still allowed, so offline mode
 *       keeps serving the people who were allowed; anyone else gets a 503 naming the outage.
 *   <li>The upstream's 401 is answered 401 (git asks for credentials again), its 403 and 404 are
 *       answered 403 with what the upstream said.
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
public final class UpstreamAuthorization {
  private final Duration ttl;
  private final Duration grace;
  private final Duration denialTtl;
  private final long maxEntries;

  private UpstreamAuthorization(Builder b) {
    this.ttl = b.ttl;
    this.grace = b.grace;
    this.denialTtl = b.denialTtl;
    this.maxEntries = b.maxEntries;
  }

  /** @return the defaults: TTL 5 minutes, grace 8 hours, denials 10 seconds, 100,000 entries */
  public static UpstreamAuthorization defaults() {
    return builder().build();
  }

  /** @return a builder holding the defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** @return how long an allow is trusted without asking the upstream again */
  public Duration ttl() {
    return ttl;
  }

  /**
   * @return how old an allow may be and still be honoured while the upstream is down; zero
   *     honours none
   */
  public Duration grace() {
    return grace;
  }

  /** @return how long a refusal is remembered before the upstream is asked again */
  public Duration denialTtl() {
    return denialTtl;
  }

  /** @return how many decisions are remembered at most; the least recently used go first */
  public long maxEntries() {
    return maxEntries;
  }

  /**
   * Builds an {@link UpstreamAuthorization}; each method checks its value at once ({@link
   * IllegalArgumentException}). Not thread-safe.
   */
  public static final class Builder {
    private Duration ttl = Duration.ofMinutes(5);
    private Duration grace = Duration.ofHours(8);
    private Duration denialTtl = Duration.ofSeconds(10);
    private long maxEntries = 100_000;

    private Builder() {}

    /** Default 5 minutes; positive. */
    public Builder ttl(Duration ttl) {
      this.ttl = ServerConfig.Builder.positive(ttl, "ttl");
      return this;
    }

    /** Default 8 hours; zero turns the outage grace off. */
    public Builder grace(Duration grace) {
      Objects.requireNonNull(grace, "grace");
      if (grace.isNegative()) {
        throw new IllegalArgumentException("grace must not be negative: " + grace);
      }
      this.grace = grace;
      return this;
    }

    /** Default 10 seconds; positive. */
    public Builder denialTtl(Duration denialTtl) {
      this.denialTtl = ServerConfig.Builder.positive(denialTtl, "denialTtl");
      return this;
    }

    /** Default 100,000; at least 1. */
    public Builder maxEntries(long maxEntries) {
      if (maxEntries < 1) {
        throw new IllegalArgumentException("maxEntries must be at least 1: " + maxEntries);
      }
      this.maxEntries = maxEntries;
      return this;
    }

    /** @return the settings; the builder stays usable */
    public UpstreamAuthorization build() {
      return new UpstreamAuthorization(this);
    }
  }
}
