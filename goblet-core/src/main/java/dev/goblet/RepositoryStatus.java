package dev.goblet;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What the proxy knows of one managed repository, from {@link GobletProxy#repositoryStatuses()}.
 * Immutable.
 *
 * @param key the cache key, {@code <host>[_<port>]/<path>}, such as {@code github.com/owner/repo}
 * @param upstreamUrl the canonical upstream URL
 * @param localPath the mirror's directory
 * @param lastUpdate when the last successful upstream fetch started; empty when none has (for a
 *     mirror restored from a snapshot: the fetch the snapshot holds)
 * @param lsRefsCachedAt when the newest cached ls-refs listing was answered; empty when none is
 *     cached
 * @param lsRefsAge how old that listing is by the proxy's clock; empty when none is cached
 * @param refCount how many refs under {@code refs/} the mirror has
 * @param sizeBytes the mirror's size on disk, as last measured (when found or made, and after each
 *     maintenance run)
 * @param lastServed when a request last used the mirror; for a mirror not used since the proxy
 *     started, its last update (or the start)
 */
public record RepositoryStatus(
    String key,
    URI upstreamUrl,
    Path localPath,
    Optional<Instant> lastUpdate,
    Optional<Instant> lsRefsCachedAt,
    Optional<Duration> lsRefsAge,
    int refCount,
    long sizeBytes,
    Instant lastServed) {

  /** Validates. */
  public RepositoryStatus {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(upstreamUrl, "upstreamUrl");
    Objects.requireNonNull(localPath, "localPath");
    Objects.requireNonNull(lastUpdate, "lastUpdate");
    Objects.requireNonNull(lsRefsCachedAt, "lsRefsCachedAt");
    Objects.requireNonNull(lsRefsAge, "lsRefsAge");
    Objects.requireNonNull(lastServed, "lastServed");
  }
}
