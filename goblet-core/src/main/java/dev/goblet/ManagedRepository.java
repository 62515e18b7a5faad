package dev.goblet;

import java.io.IOException;
import java.io.OutputStream;
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

  /**
   * Writes a Git bundle of every ref of the mirror.
   *
   * @param out where the bundle goes; not closed
   * @throws IOException when reading the mirror or writing fails
   */
  void writeBundle(OutputStream out) throws IOException;

  /**
   * Fetches every ref of a bundle into the mirror (refs are forced to the bundle's values).
   *
   * @param bundle a bundle written by {@link #writeBundle}
   * @throws IOException when the bundle is unreadable or broken; the mirror is left as it was
   */
  void recoverFromBundle(Path bundle) throws IOException;
}
