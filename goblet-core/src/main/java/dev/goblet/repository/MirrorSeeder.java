package dev.goblet.repository;

import java.net.URI;
import java.util.concurrent.CompletableFuture;

/**
 * Gives a repository's mirror its first content before a request uses it, such as a snapshot
 * restored from a fleet's shared store. Called before a request needs the mirror: a fetch, or an
 * ls-refs answered from the cache. The seeding runs elsewhere, so that the request can keep its
 * client alive while it waits. Implementations are thread-safe.
 */
@FunctionalInterface
public interface MirrorSeeder {
  /** Does nothing: a new mirror starts empty and is fetched from the upstream. */
  MirrorSeeder NONE = upstream -> CompletableFuture.completedFuture(null);

  /**
   * Starts seeding the mirror of {@code upstream} when it has none yet, or joins the seeding
   * already running for it (one per repository).
   *
   * @param upstream a canonical upstream URL whose cache key is valid
   * @return completes when the seeding has ended, at once when there is nothing to do; never
   *     completes exceptionally (failures are logged, and the request goes on as for a new mirror)
   */
  CompletableFuture<Void> seed(URI upstream);
}
