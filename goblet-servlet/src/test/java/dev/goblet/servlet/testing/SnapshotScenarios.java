package dev.goblet.servlet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.GobletProxy;
import dev.goblet.PublishReport;
import dev.goblet.RestoreReport;
import dev.goblet.ServerConfig;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.GobletHealthServlet;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fleet's shared tier, end to end, against any {@link SnapshotStore}: replicas on their own
 * cache roots publish mirror snapshots to one store and restore from it, with a real upstream ({@code
 * git http-backend}), Jetty and the real {@code git} CLI. Subclasses supply the store (a directory;
 * a real S3 API server in {@code goblet-s3}).
 */
public abstract class SnapshotScenarios {
  @TempDir protected Path tmp;
  protected ProxyHarness harness;
  protected GitCli git;
  private UpstreamRepo repo;
  private SnapshotStore store;

  /**
   * @param tmp a temporary directory of this test
   * @return an empty store, used by every replica of one test
   * @throws Exception when it cannot be made
   */
  protected abstract SnapshotStore newStore(Path tmp) throws Exception;

  /**
   * Damages the stored object of that name (overwrites its content), as a torn upload or bit rot
   * would.
   *
   * @param name an object's name
   * @throws Exception when it cannot be damaged
   */
  protected abstract void corrupt(String name) throws Exception;

  @BeforeEach
  void createHarness() throws Exception {
    harness = ProxyHarness.create(tmp);
    git = harness.git();
    repo = harness.newRepoWithBranchesAndTags("owner/repo");
    store = newStore(tmp);
  }

  @AfterEach
  void closeHarness() throws Exception {
    harness.close();
  }

  /** Starts a replica in the harness's Jetty on its own cache root. */
  private void startReplica(String cacheRoot) throws Exception {
    harness.startProxy(b -> replicaConfig(b, cacheRoot));
  }

  private ServerConfig.Builder replicaConfig(ServerConfig.Builder b, String cacheRoot) {
    return b.cacheRoot(tmp.resolve(cacheRoot)).snapshotStore(store);
  }

  private Path cloneThroughProxy(String name) {
    return cloneThroughProxy(name, "owner/repo");
  }

  private Path cloneThroughProxy(String name, String repository) {
    Path dir = harness.dir(name);
    git.runOk(tmp, "clone", "--mirror", harness.proxyUrl(repository), dir.toString());
    return dir;
  }

  private String refs(Path clone) {
    return git.runOk(clone, "for-each-ref", "--format=%(objectname) %(refname)").stdout();
  }

  private String key() {
    return key("owner/repo");
  }

  private String key(String repository) {
    return harness.upstream().baseUrl().substring("http://".length()).replace(':', '_') + "/"
        + repository;
  }

  private Path publishedByReplicaA() throws Exception {
    startReplica("cache-a");
    Path viaA = cloneThroughProxy("via-a");
    harness.proxy().publishSnapshotsNow(); // or the schedule's run just before did
    assertThat(harness.proxy().snapshotStatuses().get(key()).lastPublished()).isPresent();
    assertThat(harness.counterCount("snapshots.published")).isEqualTo(1);
    harness.stopProxy();
    return viaA;
  }

  @Test
  void aReplicaOnAnEmptyCacheRootRestoresTheSnapshotAndServesWithTheUpstreamDown()
      throws Exception {
    Path viaA = publishedByReplicaA();
    harness.upstream().stop();
    harness.upstream().clearRequests();

    startReplica("cache-b");
    Path viaB = cloneThroughProxy("via-b");

    assertThat(refs(viaB)).isEqualTo(refs(viaA));
    git.runOk(viaB, "fsck", "--strict");
    assertThat(harness.upstream().requests()).isEmpty();
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.proxy().snapshotStatuses()).containsKey(key());
  }

  @Test
  void concurrentFirstClonesOnAColdReplicaShareOneRestore() throws Exception {
    Path viaA = publishedByReplicaA();
    harness.upstream().stop();

    startReplica("cache-b");
    List<GitCli.Result> clones = harness.cloneConcurrently("owner/repo", 4, "-c",
        "protocol.version=2");

    assertThat(clones).allSatisfy(clone -> assertThat(clone.exitCode()).as(clone.stderr())
        .isZero());
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.counterCount("snapshots.restore-failures")).isZero();
    assertThat(refs(viaA)).contains(repo.resolve("main") + " refs/heads/main");
  }

  @Test
  void withTheUpstreamUpARestoredReplicaFetchesOnlyTheDelta() throws Exception {
    publishedByReplicaA();
    String newTip = repo.commit("main", "delta.txt", "one more change\n", "after the snapshot");
    harness.upstream().clearRequests();

    startReplica("cache-b");
    Path viaB = cloneThroughProxy("via-b");

    assertThat(git.runOk(viaB, "rev-parse", "refs/heads/main").stdout().trim()).isEqualTo(newTip);
    git.runOk(viaB, "fsck", "--strict");
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.upstream().fetchCount()).isEqualTo(1);
    // The mirror holds the restored pack plus one pack of the delta: a commit, two trees, a blob.
    Path packs = tmp.resolve("cache-b").resolve(key() + ".git").resolve("objects/pack");
    List<Long> objectsPerPack = objectsPerPack(packs);
    assertThat(objectsPerPack).hasSize(2);
    assertThat(objectsPerPack.stream().mapToLong(Long::longValue).min().orElseThrow())
        .isLessThanOrEqualTo(4);
  }

  private List<Long> objectsPerPack(Path packDir) throws Exception {
    try (Stream<Path> files = Files.list(packDir)) {
      return files
          .filter(p -> p.getFileName().toString().endsWith(".idx"))
          .map(idx -> git.runOk(packDir, "verify-pack", "-v", idx.toString()).stdout()
              .lines().filter(line -> line.matches("[0-9a-f]{40} .*")).count())
          .toList();
    }
  }

  @Test
  void twoReplicasPublishingConcurrentlyLeaveARestorableSnapshot() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try (GobletProxy a = GobletProxy.create(replicaConfig(harness.defaultConfig(), "cache-a")
            .build());
        GobletProxy b = GobletProxy.create(replicaConfig(harness.defaultConfig(), "cache-b")
            .build());
        JettyServer jettyA = JettyServer.start(Map.of("/*", new GobletServlet(a)));
        JettyServer jettyB = JettyServer.start(Map.of("/*", new GobletServlet(b)))) {
      String path = "/" + harness.upstream().baseUrl().substring("http://".length())
          + "/owner/repo";
      Path cloneA = harness.dir("a");
      Path cloneB = harness.dir("b");
      git.runOk(tmp, "clone", "--mirror", jettyA.baseUrl() + path, cloneA.toString());
      git.runOk(tmp, "clone", "--mirror", jettyB.baseUrl() + path, cloneB.toString());
      for (int round = 0; round < 3; round++) {
        repo.commit("main", "round.txt", "round " + round + "\n", "round " + round);
        git.runOk(cloneA, "fetch");
        git.runOk(cloneB, "fetch");
        CountDownLatch start = new CountDownLatch(1);
        Future<PublishReport> byA = pool.submit(() -> {
          start.await();
          return a.publishSnapshotsNow();
        });
        Future<PublishReport> byB = pool.submit(() -> {
          start.await();
          return b.publishSnapshotsNow();
        });
        start.countDown();
        byA.get(60, TimeUnit.SECONDS);
        byB.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    harness.upstream().stop();

    startReplica("cache-c");
    Path viaC = cloneThroughProxy("via-c");
    git.runOk(viaC, "fsck", "--strict");
    // The restored mirror holds the last round; the clone's refs are the cached ls-refs answer.
    Path mirrorC = tmp.resolve("cache-c").resolve(key() + ".git");
    assertThat(git.runOk(mirrorC, "rev-parse", "refs/heads/main").stdout().trim())
        .isEqualTo(repo.resolve("main"));
    git.runOk(mirrorC, "fsck", "--strict");
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.counterCount("snapshots.restore-failures")).isZero();
  }

  @Test
  void aCorruptSnapshotFileIsDetectedAndSkippedForTheUpstream() throws Exception {
    Path viaA = publishedByReplicaA();
    corruptThePack();
    harness.upstream().clearRequests();

    startReplica("cache-b");
    Path viaB = cloneThroughProxy("via-b");

    assertThat(refs(viaB)).isEqualTo(refs(viaA));
    git.runOk(viaB, "fsck", "--strict");
    assertThat(harness.counterCount("snapshots.restore-failures")).isEqualTo(1);
    assertThat(harness.counterCount("snapshots.restored")).isZero();
    assertThat(harness.upstream().fetchCount()).isEqualTo(1); // the whole repository, from upstream
    assertThat(Files.readString(Path.of("target", "test.log"))).contains("fails its checksum");
  }

  @Test
  void aCorruptSnapshotFileWithTheUpstreamDownIsAClearError() throws Exception {
    publishedByReplicaA();
    corruptThePack();
    harness.upstream().stop();

    startReplica("cache-b");
    GitCli.Result clone =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("via-b").toString());

    assertThat(clone.exitCode()).isNotZero();
    assertThat(clone.stderr()).contains("no cached ls-refs available");
    assertThat(harness.counterCount("snapshots.restore-failures")).isEqualTo(1);
    assertThat(tmp.resolve("cache-b").resolve(key() + ".git").resolve("objects/pack"))
        .satisfiesAnyOf(
            dir -> assertThat(dir).doesNotExist(),
            dir -> assertThat(dir).isEmptyDirectory());
  }

  /** Replica A serves and publishes owner/repo and owner/other; @return A's mirror clones */
  private List<Path> twoPublishedByReplicaA() throws Exception {
    harness.newRepo("owner/other").commitMany("main", 3, 1);
    startReplica("cache-a");
    List<Path> viaA = List.of(cloneThroughProxy("repo-a", "owner/repo"),
        cloneThroughProxy("other-a", "owner/other"));
    PublishReport published = harness.proxy().publishSnapshotsNow();
    assertThat(published.failed()).isEmpty();
    assertThat(harness.counterCount("snapshots.published")) // by this call or the schedule's run
        .isEqualTo(2);
    harness.stopProxy();
    return viaA;
  }

  private void startRestoringReplica(String cacheRoot, SnapshotStore from) throws Exception {
    harness.startProxy(b -> b.cacheRoot(tmp.resolve(cacheRoot)).snapshotStore(from)
        .restoreAllAtStart(true));
  }

  private RestoreReport awaitReady() throws Exception {
    return harness.proxy().whenReady().get(120, TimeUnit.SECONDS);
  }

  @Test
  void withRestoreAllAtStartAReplicaIsStartingUntilEveryRepositoryIsRestored() throws Exception {
    List<Path> viaA = twoPublishedByReplicaA();
    harness.upstream().stop();
    harness.upstream().clearRequests();
    HeldSnapshotStore held = new HeldSnapshotStore(store, name -> name.contains("/objects/"));
    harness.mount("/healthz", GobletHealthServlet::new);

    startRestoringReplica("cache-b", held);
    try {
      assertThat(held.awaitHeld(Duration.ofSeconds(60))).isTrue(); // the first restore runs
      HttpResponse<String> starting = Http.get(harness.url("/healthz"));
      assertThat(starting.statusCode()).isEqualTo(503);
      assertThat(Http.json(starting).get("status").getAsString()).isEqualTo("starting");
      assertThat(harness.proxy().isReady()).isFalse();
    } finally {
      held.release();
    }
    RestoreReport report = awaitReady();

    assertThat(report.restored()).containsExactly(key("owner/other"), key()); // one at a time
    assertThat(report.failed()).isEmpty();
    assertThat(report.lsRefsEntries()).isEqualTo(2);
    assertThat(Http.get(harness.url("/healthz")).statusCode()).isEqualTo(200);
    assertThat(harness.proxy().repositoryStatuses()).hasSize(2); // before any request
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(2);
    Path repoB = cloneThroughProxy("repo-b", "owner/repo");
    Path otherB = cloneThroughProxy("other-b", "owner/other");
    assertThat(refs(repoB)).isEqualTo(refs(viaA.get(0)));
    assertThat(refs(otherB)).isEqualTo(refs(viaA.get(1)));
    git.runOk(repoB, "fsck", "--strict");
    git.runOk(otherB, "fsck", "--strict");
    assertThat(harness.upstream().requests()).isEmpty();
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(2); // nothing restored again
  }

  @Test
  void aCloneDuringTheRestoreAtStartWaitsForThatRestore() throws Exception {
    Path viaA = publishedByReplicaA();
    harness.upstream().stop();
    harness.upstream().clearRequests();
    HeldSnapshotStore held = new HeldSnapshotStore(store, name -> name.contains("/objects/"));
    startRestoringReplica("cache-b", held);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      assertThat(held.awaitHeld(Duration.ofSeconds(60))).isTrue();
      Future<GitCli.Result> clone = pool.submit(() -> git.run(tmp, "clone", "--mirror",
          harness.proxyUrl("owner/repo"), harness.dir("via-b").toString()));
      awaitLogLine("waiting for the running restore of " + key());
      held.release();

      GitCli.Result result = clone.get(120, TimeUnit.SECONDS);
      assertThat(result.exitCode()).as(result.stderr()).isZero();
      assertThat(refs(harness.dir("via-b"))).isEqualTo(refs(viaA));
      assertThat(awaitReady().restored()).containsExactly(key());
    } finally {
      held.release();
      pool.shutdownNow();
    }
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.counterCount("snapshots.restore-failures")).isZero();
    assertThat(harness.upstream().requests()).isEmpty();
  }

  /** Waits, at most a minute, until the test log has a line containing {@code text}. */
  private static void awaitLogLine(String text) throws Exception {
    Path log = Path.of("target", "test.log");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!(Files.exists(log) && Files.readString(log).contains(text))) {
      assertThat(System.nanoTime()).as("a log line with: " + text).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  @Test
  void theRestoreAtStartSkipsACorruptSnapshotAndKeepsTheMirrorsAReplicaHas() throws Exception {
    List<Path> viaA = twoPublishedByReplicaA();
    corruptThePack();
    harness.upstream().stop();
    harness.upstream().clearRequests();

    startRestoringReplica("cache-b", store);
    RestoreReport report = awaitReady();

    assertThat(report.restored()).containsExactly(key("owner/other"));
    assertThat(report.failed()).containsExactly(key());
    assertThat(harness.counterCount("snapshots.restore-failures")).isEqualTo(1);
    assertThat(Files.readString(Path.of("target", "test.log"))).contains("fails its checksum");
    assertThat(harness.proxy().isReady()).isTrue();
    Path otherB = cloneThroughProxy("other-b", "owner/other");
    assertThat(refs(otherB)).isEqualTo(refs(viaA.get(1)));
    GitCli.Result broken = git.run(tmp, "clone", harness.proxyUrl("owner/repo"),
        harness.dir("repo-b").toString());
    assertThat(broken.exitCode()).isNotZero();
    assertThat(broken.stderr()).contains("no cached ls-refs available");
    assertThat(harness.upstream().requests()).isEmpty();

    startRestoringReplica("cache-a", store); // A's own cache root: its mirrors are kept
    RestoreReport restart = awaitReady();
    assertThat(restart.alreadyPresent()).containsExactly(key("owner/other"), key());
    assertThat(restart.restored()).isEmpty();
    assertThat(restart.failed()).isEmpty();
    assertThat(harness.counterCount("snapshots.restore-failures")).as("none since").isEqualTo(1);
  }

  /** Overwrites the stored pack of the newest snapshot with bytes of the same length. */
  private void corruptThePack() throws Exception {
    List<String> objects = store.list("snapshots/" + key() + "/objects/");
    String pack = null;
    long largest = -1;
    for (String name : objects) {
      long size;
      try (var in = store.open(name)) {
        size = in.transferTo(java.io.OutputStream.nullOutputStream());
      }
      if (size > largest) {
        largest = size;
        pack = name;
      }
    }
    assertThat(pack).isNotNull();
    corrupt(pack);
  }
}
