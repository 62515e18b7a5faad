package dev.goblet;

import java.net.URI;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * One upstream repository the proxy mirrors: a bare repository under the cache root. Thread-safe.
 */
public interface ManagedRepository {
  /** @return the canonical upstream URL */
  URI upstreamUrl();

  /** @return the mirror's directory */
  Path localPath();

  /** @return when the last successful upstream fetch started; empty when none succeeded */
  Optional<Instant> lastUpdate();

  /**
   * Fetches every ref from the upstream, joining a fetch that is already running.
   *
   * @return completes when the fetch ends, exceptionally when it failed
   */
  CompletableFuture<Void> fetchUpstream();
}
