package dev.goblet;

import java.net.URI;
import java.util.List;

/**
 * What the restore from backup at start-up did, from {@link GobletProxy#whenReady()}. Immutable.
 *
 * @param restored repositories recovered from a bundle
 * @param alreadyPresent repositories whose mirror already had refs, so no bundle was needed
 * @param failed repositories with no usable bundle (every bundle missing or broken; logged)
 * @param lsRefsEntries cached ls-refs entries restored into the ls-refs cache
 */
public record RestoreReport(
    List<URI> restored, List<URI> alreadyPresent, List<URI> failed, int lsRefsEntries) {

  /** The report of a proxy that has no backup store: nothing was restored. */
  public static final RestoreReport NONE = new RestoreReport(List.of(), List.of(), List.of(), 0);

  /** Copies. */
  public RestoreReport {
    restored = List.copyOf(restored);
    alreadyPresent = List.copyOf(alreadyPresent);
    failed = List.copyOf(failed);
  }
}
