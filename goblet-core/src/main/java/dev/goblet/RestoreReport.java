package dev.goblet;

import java.util.List;

/**
 * What the restore of every stored repository at start did ({@link
 * ServerConfig.Builder#restoreAllAtStart}), from {@link GobletProxy#whenReady()}. Repositories are
 * named by their cache key ({@code <host>[_<port>]/<path>}). Immutable.
 *
 * @param restored repositories whose mirror was restored from a snapshot
 * @param alreadyPresent repositories that had a mirror in the cache root, so nothing was restored
 * @param failed repositories with no usable snapshot (every generation missing, corrupt or
 *     unreadable; logged and counted in {@code snapshots.restore-failures})
 * @param lsRefsEntries cached ls-refs entries restored into the ls-refs cache
 */
public record RestoreReport(
    List<String> restored, List<String> alreadyPresent, List<String> failed, int lsRefsEntries) {

  /** The report of a proxy that restored nothing at start (the default, or no snapshot store). */
  public static final RestoreReport NONE = new RestoreReport(List.of(), List.of(), List.of(), 0);

  /** Copies. */
  public RestoreReport {
    restored = List.copyOf(restored);
    alreadyPresent = List.copyOf(alreadyPresent);
    failed = List.copyOf(failed);
  }
}
