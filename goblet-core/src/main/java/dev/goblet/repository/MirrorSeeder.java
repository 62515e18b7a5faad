package dev.goblet.repository;

import java.net.URI;

/**
 * Gives a repository's mirror its first content before a request uses it, such as a snapshot
 * restored from a fleet's shared store. Called at the start of every request for a repository;
 * must return fast when there is nothing to do, and never throws (failures are logged, and the
 * request goes on as for a new mirror). Implementations are thread-safe.
 */
@FunctionalInterface
public interface MirrorSeeder {
  /** Does nothing: a new mirror starts empty and is fetched from the upstream. */
  MirrorSeeder NONE = upstream -> {};

  /**
   * Seeds the mirror of {@code upstream} when it has none yet; concurrent callers for one
   * repository wait for one seeding.
   *
   * @param upstream a canonical upstream URL whose cache key is valid
   */
  void seed(URI upstream);
}
