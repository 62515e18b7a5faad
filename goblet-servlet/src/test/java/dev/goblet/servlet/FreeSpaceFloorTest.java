package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.OperationLogger;
import dev.goblet.testing.Requirements;
import dev.goblet.testing.UpstreamRepo;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The free-space floor ({@code cacheMinFreeBytes}) through the real proxy, on real disks: a small
 * tmpfs as the cache root (needs root, as CI has; skipped otherwise, see {@link Requirements}),
 * whose usable space falls as mirrors arrive, and the test machine's own disk with a floor it can
 * never reach.
 */
class FreeSpaceFloorTest extends HarnessTestBase {
  private MirrorEvictionChecks checks;

  @BeforeEach
  void checks() {
    checks = new MirrorEvictionChecks(harness);
  }

  private Path mounted;
  private volatile CountDownLatch maintenanceGate = new CountDownLatch(0);

  @AfterEach
  void unmount() throws Exception {
    harness.close();
    if (mounted != null) {
      CrashAndDiskTest.run("umount", "-l", mounted.toString());
    }
  }

  @Test
  void evictsTheLeastRecentlyServedIdleMirrorsUntilTheDiskHasTheFloorAgain() throws Exception {
    Requirements.root("mounts a small tmpfs as the cache root");
    List<UpstreamRepo> repos = checks.noiseRepositories(4, 11);
    long one = checks.probeMirrorSize(tmp);

    Path cacheRoot = tmp.resolve("cache");
    Files.createDirectories(cacheRoot);
    CrashAndDiskTest.run("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", cacheRoot.toString());
    mounted = cacheRoot;
    // Room for two mirrors and a half above the floor. The pack cache is off: its spool files
    // share the disk but are bounded on their own (packCacheMaxBytes), not by evicting mirrors.
    long floor = usable(cacheRoot) - one * 5 / 2;
    // Each clone's maintenance (its first repack, then the floor) waits until the clone is served,
    // so the floor is checked on a quiet disk, not beside the answer being spooled.
    OperationLogger heldUntilServed =
        (name, upstream) -> {
          if (name.equals("maintain")) {
            try {
              assertThat(maintenanceGate.await(2, TimeUnit.MINUTES)).isTrue();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return OperationLogger.Operation.NONE;
        };
    harness.startProxy(
        b -> b.cacheRoot(cacheRoot).cacheMinFreeBytes(floor).packCacheEnabled(false)
            .operationLogger(heldUntilServed));
    long base = checks.fetchCommands();

    cloneAndMaintain(0, base);
    cloneAndMaintain(1, base);
    assertThat(checks.registeredKeys()).containsExactly(checks.key("team/repo-0"), checks.key("team/repo-1"));
    assertThat(harness.counterCount("mirrors.evictions.free-space")).isZero();
    cloneAndMaintain(2, base); // under the floor: repo-0, the least recently served, goes
    assertThat(checks.registeredKeys()).containsExactly(checks.key("team/repo-1"), checks.key("team/repo-2"));
    assertThat(usable(cacheRoot)).isGreaterThanOrEqualTo(floor);
    assertThat(cacheRoot.resolve(checks.key("team/repo-0") + ".git")).doesNotExist();
    assertThat(harness.counterCount("mirrors.evictions.free-space")).isEqualTo(1);

    // A slow client clones repo-1, now the least recently served, while repo-3 arrives: repo-1 is
    // in use and stays; repo-2 goes (and repo-3 too if the slow clone's spooled answer still
    // takes the room).
    checks.whileStalledCloning("team/repo-1", harness.dir("slow"), repos.get(1).resolve("main"),
        () -> {
          cloneAndMaintain(3, base);
          assertThat(checks.registeredKeys()).contains(checks.key("team/repo-1"))
              .doesNotContain(checks.key("team/repo-2"));
        });

    // An evicted repository is cold again: cloned from the upstream anew, fsck-clean, and the
    // floor holds once its maintenance has run.
    checks.awaitServed(base + 5);
    long upstreamFetches = harness.upstream().fetchCount();
    cloneAndMaintain(0, base + 5);
    git.runOk(harness.dir("c0-again"), "fsck", "--no-dangling");
    assertThat(harness.upstream().fetchCount()).isGreaterThan(upstreamFetches);
    assertThat(checks.registeredKeys()).contains(checks.key("team/repo-0"));
    assertThat(usable(cacheRoot)).isGreaterThanOrEqualTo(floor);
    assertThat(harness.counterCount("mirrors.evictions.free-space"))
        .isEqualTo(harness.counterCount("mirrors.evictions"))
        .isGreaterThanOrEqualTo(2);
  }

  @Test
  void aFloorTheDiskCannotReachEvictsEveryIdleMirrorAndServesThemColdAgain() throws Exception {
    harness.newRepo("team/one").commitMany("main", 20, 2);
    // More than any disk here has free: every mirror goes as soon as nobody uses it.
    harness.startProxy(b -> b.cacheMinFreeBytes(Long.MAX_VALUE));
    long base = checks.fetchCommands();
    for (int round = 1; round <= 2; round++) {
      Path clone = harness.dir("one-" + round);
      git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/one"), clone.toString());
      git.runOk(clone, "fsck", "--no-dangling");
      checks.awaitServed(base + round);
      checks.maintain("team/one");
      assertThat(checks.registeredKeys()).isEmpty();
      assertThat(harness.config().cacheRoot().resolve(checks.key("team/one") + ".git")).doesNotExist();
      assertThat(harness.counterCount("mirrors.evictions.free-space")).isEqualTo(round);
    }
  }

  /**
   * Clones repo-{@code i} through the proxy with maintenance held, then lets maintenance run once
   * the clone is served, and runs it again in turn (the floor is checked after each run).
   */
  private void cloneAndMaintain(int i, long base) throws Exception {
    maintenanceGate = new CountDownLatch(1);
    Path dir = harness.dir(Files.exists(harness.dir("c" + i)) ? "c" + i + "-again" : "c" + i);
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/repo-" + i), dir.toString());
    checks.awaitServed(base + 1 + i);
    maintenanceGate.countDown();
    checks.maintain("team/repo-" + i);
  }

  private static long usable(Path dir) throws IOException {
    return Files.getFileStore(dir).getUsableSpace();
  }
}
