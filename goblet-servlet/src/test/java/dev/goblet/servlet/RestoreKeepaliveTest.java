package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.HaProxy;
import dev.goblet.servlet.testing.HeldSnapshotStore;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.Requirements;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A fetch that waits for its mirror's restore from a slow snapshot store keeps its connection
 * alive. Replica A publishes a repository; replica B, on an empty cache root, reads the snapshot's
 * files from a store that holds them back for {@link #HOLD}. Through a real HAProxy with 3 s idle
 * timeouts, B's first clone succeeds, in protocol v2 and v0, and shows {@code restoring ... from
 * the snapshot store} while it waits; the refs come from the upstream (which is up) and the objects
 * from the restore alone. With keepalives switched off HAProxy cuts the same clone (the proof that
 * the test can fail).
 */
class RestoreKeepaliveTest extends HarnessTestBase {
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration HOLD = Duration.ofSeconds(10);
  private static final String REPOSITORY = "team/restored";

  /** A first clone through HAProxy while the restore of its mirror takes {@link #HOLD}. */
  private GitCli.Result cloneDuringASlowRestore(boolean keepalives, int version) throws Exception {
    Requirements.command("haproxy", "haproxy");
    harness.newRepoWithBranchesAndTags(REPOSITORY);
    SnapshotStore store = SnapshotStore.filesystem(tmp.resolve("store"));
    harness.startProxy(b -> b.cacheRoot(tmp.resolve("cache-a")).snapshotStore(store));
    git.runOk(tmp, "clone", "--mirror", harness.proxyUrl(REPOSITORY),
        harness.dir("via-a").toString());
    assertThat(harness.proxy().publishSnapshotsNow().failed()).isEmpty();
    assertThat(harness.counterCount("snapshots.published")).isEqualTo(1); // now or by the schedule
    harness.stopProxy();
    harness.upstream().clearRequests();

    HeldSnapshotStore slow = new HeldSnapshotStore(store, name -> name.contains("/objects/"));
    harness.startProxy(b -> b.cacheRoot(tmp.resolve("cache-b")).snapshotStore(slow)
        .clientKeepalives(keepalives)
        .clientKeepaliveInterval(Duration.ofSeconds(1)));
    ExecutorService releaser = Executors.newSingleThreadExecutor();
    try (HaProxy lb = HaProxy.start(tmp.resolve("haproxy"), harness.proxyBaseUrl(), IDLE_TIMEOUT)) {
      releaser.submit(() -> {
        if (slow.awaitHeld(Duration.ofSeconds(60))) {
          Thread.sleep(HOLD.toMillis());
        }
        slow.release();
        return null;
      });
      String url = lb.baseUrl() + "/" + harness.upstream().baseUrl().substring("http://".length())
          + "/" + REPOSITORY;
      return git.run(tmp, "-c", "protocol.version=" + version, "clone", "--bare", "--progress",
          url, harness.dir("clone").toString());
    } finally {
      slow.release();
      releaser.shutdownNow();
    }
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void aCloneWaitingForASlowRestoreLivesOnKeepalivesAndShowsIt(int version) throws Exception {
    GitCli.Result clone = cloneDuringASlowRestore(true, version);

    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr()).containsPattern(
        "remote: goblet: restoring " + REPOSITORY + " from the snapshot store \\(\\d+ s\\)");
    assertThat(git.runOk(harness.dir("clone"), "for-each-ref").stdout())
        .isEqualTo(git.runOk(harness.dir("via-a"), "for-each-ref").stdout());
    git.runOk(harness.dir("clone"), "fsck", "--strict");
    assertThat(harness.counterCount("snapshots.restored")).isEqualTo(1);
    assertThat(harness.upstream().fetchCount()).isZero(); // the objects came from the store
  }

  @Test
  void withoutKeepalivesHaProxyCutsTheSameClone() throws Exception {
    GitCli.Result clone = cloneDuringASlowRestore(false, 2);

    assertThat(clone.succeeded()).isFalse();
    assertThat(clone.stderr()).doesNotContain("goblet: restoring");
  }
}
