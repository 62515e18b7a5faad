package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.BackupStore;
import dev.goblet.RestoreReport;
import dev.goblet.SnapshotStore;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The migration path of docs/FLEET.md from bundle backups in a directory to snapshots in the same
 * directory: a host that backs up and publishes snapshots there leaves both usable, a replica with
 * only the snapshot store takes a repository over with the upstream stopped, and one with only the
 * backup store still restores it from its bundle.
 */
class BackupDirectoryMigrationTest extends HarnessTestBase {
  @Test
  void bundlesAndSnapshotsShareOneDirectoryAndEitherAloneServesWithTheUpstreamStopped()
      throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 5, 2);
    Path dir = tmp.resolve("shared");
    URI url = harness.upstream().repoUrl("owner/repo");

    harness.startProxy(b -> b.cacheRoot(tmp.resolve("cache-a"))
        .backupStore(BackupStore.filesystem(dir))
        .snapshotStore(SnapshotStore.filesystem(dir)));
    clone("via-a");
    assertThat(harness.proxy().backupNow().bundled()).containsExactly(url);
    assertThat(harness.proxy().publishSnapshotsNow()).hasSize(1);
    harness.stopProxy();
    assertThat(dir.resolve("bundles")).isDirectory();
    assertThat(dir.resolve("snapshots")).isDirectory();

    harness.upstream().stop();
    harness.upstream().clearRequests();
    harness.startProxy(b -> b.cacheRoot(tmp.resolve("cache-snapshots"))
        .snapshotStore(SnapshotStore.filesystem(dir)));
    checkClone(clone("via-snapshots"), repo);
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    harness.stopProxy();

    harness.startProxy(b -> b.cacheRoot(tmp.resolve("cache-bundles"))
        .backupStore(BackupStore.filesystem(dir)));
    RestoreReport restore = harness.proxy().whenReady().get(120, TimeUnit.SECONDS);
    assertThat(restore.restored()).containsExactly(url);
    assertThat(restore.failed()).isEmpty();
    checkClone(clone("via-bundles"), repo);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  private Path clone(String name) {
    Path clone = harness.dir(name);
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), clone.toString());
    return clone;
  }

  private void checkClone(Path clone, UpstreamRepo repo) {
    assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repo.resolve("main"));
    git.runOk(clone, "fsck", "--strict");
  }
}
