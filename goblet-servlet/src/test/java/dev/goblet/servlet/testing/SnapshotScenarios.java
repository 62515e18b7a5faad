package dev.goblet.servlet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
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
    Path dir = harness.dir(name);
    git.runOk(tmp, "clone", "--mirror", harness.proxyUrl("owner/repo"), dir.toString());
    return dir;
  }

  private String refs(Path clone) {
    return git.runOk(clone, "for-each-ref", "--format=%(objectname) %(refname)").stdout();
  }

  private String key() {
    return harness.upstream().baseUrl().substring("http://".length()).replace(':', '_')
        + "/owner/repo";
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
        Future<List<String>> byA = pool.submit(() -> {
          start.await();
          return a.publishSnapshotsNow();
        });
        Future<List<String>> byB = pool.submit(() -> {
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
