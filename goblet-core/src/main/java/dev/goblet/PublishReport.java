package dev.goblet;

import java.util.List;

/**
 * What one snapshot publishing run did, from {@link GobletProxy#publishSnapshotsNow()}. Repositories
 * are named by their cache key ({@code <host>[_<port>]/<path>}). Immutable.
 *
 * @param published repositories whose snapshot this run committed
 * @param upToDate repositories whose newest snapshot in the store already held their last fetch
 *     (published earlier, or by another replica)
 * @param failed repositories whose publishing failed (logged, reported to the error reporter and
 *     counted in {@code snapshots.publish-failures}); nothing of them was committed
 * @param lsRefsEntries how many cached ls-refs entries this run wrote to the store
 */
public record PublishReport(
    List<String> published, List<String> upToDate, List<String> failed, int lsRefsEntries) {

  /** Copies. */
  public PublishReport {
    published = List.copyOf(published);
    upToDate = List.copyOf(upToDate);
    failed = List.copyOf(failed);
  }
}
