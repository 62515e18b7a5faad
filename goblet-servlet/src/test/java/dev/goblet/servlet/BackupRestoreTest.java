package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.BackupReport;
import dev.goblet.BackupStore;
import dev.goblet.RestoreReport;
import dev.goblet.servlet.testing.RecordingOperationLogger;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Backups that make a fresh replica warm: proxy A serves and backs up; proxy B starts on an empty
 * cache root from the backup, with the upstream stopped, and serves clones.
 */
class BackupRestoreTest extends HarnessTestBase {
  private UpstreamRepo repo;
  private Path storeDir;
  private BackupStore store;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
  private final RecordingOperationLogger operations = new RecordingOperationLogger();

  @BeforeEach
  void setUp() throws Exception {
    repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 5, 2);
    repo.tag("v1.0", "main", true);
    storeDir = tmp.resolve("backups");
    store = BackupStore.filesystem(storeDir);
  }

  private void startProxy(String cacheRoot) throws Exception {
    harness.startProxy(
        b -> b.cacheRoot(tmp.resolve(cacheRoot)).backupStore(store).clock(clock)
            .operationLogger(operations));
  }

  private Path cloneThroughProxy(String name, String repository) {
    Path dir = harness.dir(name);
    git.runOk(tmp, "clone", harness.proxyUrl(repository), dir.toString());
    return dir;
  }

  private RestoreReport awaitReady() throws Exception {
    return harness.proxy().whenReady().get(120, TimeUnit.SECONDS);
  }

  private URI upstreamUrl(String name) {
    return harness.upstream().repoUrl(name);
  }

  @Test
  void aFreshReplicaRestoredFromBackupServesACloneWithTheUpstreamStopped() throws Exception {
    startProxy("cache-a");
    assertThat(awaitReady()).isEqualTo(RestoreReport.NONE); // an empty store restores nothing
    cloneThroughProxy("via-a", "owner/repo");
    BackupReport backup = harness.proxy().backupNow();
    assertThat(backup.bundled()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(backup.lsRefsEntries()).isEqualTo(1);
    assertThat(backup.manifest()).isPresent();
    assertThat(operations.lines()).contains("backup done ok")
        .anyMatch(line -> line.startsWith("backup progress bundle written: "));
    harness.stopProxy();

    harness.upstream().stop();
    harness.upstream().clearRequests();
    startProxy("cache-b"); // an empty cache root
    RestoreReport restore = awaitReady();
    assertThat(restore.restored()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(restore.lsRefsEntries()).isEqualTo(1);
    assertThat(restore.failed()).isEmpty();
    assertThat(operations.lines())
        .contains("restore start " + upstreamUrl("owner/repo"), "restore done ok");

    Path viaB = cloneThroughProxy("via-b", "owner/repo");
    assertThat(git.runOk(viaB, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repo.resolve("main"));
    assertThat(git.runOk(viaB, "rev-parse", "v1.0^{commit}").stdout().trim())
        .isEqualTo(repo.resolve("main"));
    git.runOk(viaB, "fsck");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aBrokenBundleIsSkippedWithALogLineAndTheOthersRestore() throws Exception {
    harness.newRepo("owner/other").commitMany("main", 3, 1);
    startProxy("cache-a");
    cloneThroughProxy("repo", "owner/repo");
    cloneThroughProxy("other", "owner/other");
    assertThat(harness.proxy().backupNow().bundled()).hasSize(2);
    harness.stopProxy();
    String key = harness.upstream().baseUrl().substring("http://".length()).replace(':', '_');
    List<String> bundles = store.list("bundles/" + key + "/owner/other/").stream()
        .filter(name -> name.endsWith(".bundle")).toList();
    assertThat(bundles).hasSize(1);
    Files.writeString(storeDir.resolve(bundles.get(0)), "# v2 git bundle\nthis is not a bundle\n");

    harness.upstream().stop();
    startProxy("cache-b");
    RestoreReport restore = awaitReady();

    assertThat(restore.restored()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(restore.failed()).containsExactly(upstreamUrl("owner/other"));
    assertThat(Files.readString(Path.of("target", "test.log")))
        .contains("skipping broken backup bundle " + bundles.get(0));
    assertThat(harness.proxy().isReady()).isTrue();
    cloneThroughProxy("repo-b", "owner/repo");
    GitCli.Result other =
        git.run(tmp, "clone", harness.proxyUrl("owner/other"), harness.dir("other-b").toString());
    assertThat(other.exitCode()).isNotZero();
    assertThat(other.stderr()).contains("no cached ls-refs available");
  }

  @Test
  void onlyTheNewestBundleIsKeptAndManifestsOlderThanADayAreDeleted() throws Exception {
    startProxy("cache-a");
    Path clone = cloneThroughProxy("clone", "owner/repo");
    BackupReport first = harness.proxy().backupNow();
    String firstManifest = first.manifest().orElseThrow();
    String key = harness.proxy().repositoryStatuses().get(0).key();

    BackupReport unchanged = harness.proxy().backupNow();
    assertThat(unchanged.bundled()).isEmpty();
    assertThat(unchanged.upToDate()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(unchanged.manifestsDeleted()).isZero();

    clock.advance(Duration.ofHours(25));
    String newCommit = repo.commit("main", "later.txt", "later\n", "a day later");
    git.runOk(clone, "fetch", "origin"); // the proxy fetches the new commit: a newer last update
    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().trim()).isEqualTo(newCommit);
    BackupReport later = harness.proxy().backupNow();

    assertThat(later.bundled()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(later.manifestsDeleted()).isEqualTo(2);
    assertThat(store.list("manifests/")).containsExactly(later.manifest().orElseThrow())
        .doesNotContain(firstManifest);
    List<String> objects = store.list("bundles/" + key + "/");
    assertThat(objects).hasSize(2) // one bundle, one ls-refs entry: the newest of each
        .allMatch(name -> name.contains(String.format("%012d", clock.instant().getEpochSecond())));
  }

  @Test
  void backupsRunOnTheHostSchedulerWhichTheProxyNeverShutsDown() throws Exception {
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    try {
      harness.startProxy(
          b -> b.backupStore(store).scheduler(scheduler).backupInterval(Duration.ofSeconds(1)));
      cloneThroughProxy("clone", "owner/repo");
      String bundles = "bundles/" + harness.proxy().repositoryStatuses().get(0).key() + "/";
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!hasBundleAndManifestListing(bundles) && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertThat(hasBundleAndManifestListing(bundles)).isTrue();
      harness.stopProxy();
      assertThat(scheduler.isShutdown()).isFalse();
    } finally {
      scheduler.shutdownNow();
    }
  }

  /** @return whether a scheduled run has bundled the repository and listed it in a manifest */
  private boolean hasBundleAndManifestListing(String bundles) throws Exception {
    if (store.list(bundles).stream().noneMatch(name -> name.endsWith(".bundle"))) {
      return false;
    }
    for (String manifest : store.list("manifests/")) {
      try (InputStream in = store.open(manifest)) {
        if (new String(in.readAllBytes(), StandardCharsets.UTF_8)
            .contains(upstreamUrl("owner/repo") + "\n")) {
          return true;
        }
      }
    }
    return false;
  }

  @Test
  void aRestartedReplicaKeepsItsOwnNewerMirror() throws Exception {
    startProxy("cache-a");
    Path clone = cloneThroughProxy("clone", "owner/repo");
    harness.proxy().backupNow();
    String newCommit = repo.commit("main", "newer.txt", "newer\n", "after the backup");
    git.runOk(clone, "fetch", "origin");
    harness.stopProxy();

    harness.upstream().stop();
    startProxy("cache-a"); // the same cache root: its mirror is newer than the backup
    RestoreReport restore = awaitReady();

    assertThat(restore.alreadyPresent()).containsExactly(upstreamUrl("owner/repo"));
    assertThat(restore.restored()).isEmpty();
    Path mirror = harness.proxy().repositoryStatuses().get(0).localPath();
    assertThat(git.runOk(tmp, "--git-dir", mirror.toString(), "rev-parse", "refs/heads/main")
        .stdout().trim()).isEqualTo(newCommit);
  }
}
