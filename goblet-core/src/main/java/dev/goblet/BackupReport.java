package dev.goblet;

import java.net.URI;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What one backup run did, from {@link GobletProxy#backupNow()}. Immutable.
 *
 * @param bundled repositories whose bundle was written in this run
 * @param upToDate repositories whose newest bundle already held their last update
 * @param failed repositories whose backup failed (logged and reported to the error reporter)
 * @param lsRefsEntries how many cached ls-refs entries were written in this run
 * @param manifest the name of the manifest written, listing every repository with a bundle; empty
 *     when writing it failed
 * @param manifestsDeleted how many manifests older than a day were deleted
 */
public record BackupReport(
    List<URI> bundled,
    List<URI> upToDate,
    List<URI> failed,
    int lsRefsEntries,
    Optional<String> manifest,
    int manifestsDeleted) {

  /** Copies. */
  public BackupReport {
    bundled = List.copyOf(bundled);
    upToDate = List.copyOf(upToDate);
    failed = List.copyOf(failed);
    Objects.requireNonNull(manifest, "manifest");
  }
}
