package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.StalledClient;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Clients that stop reading a big pack hold a spool file, not a pack-generation slot: with two
 * slots and two stalled clients, fetches of another repository all succeed. (Before the pack
 * spool, each stalled download held its slot, and these clones waited the whole limit and failed
 * with "the proxy is busy generating packs".) With and without the pack cache.
 */
class SlowClientTest extends HarnessTestBase {
  private static final int SLOTS = 2;
  private static final int HEALTHY_FETCHES = 20;

  @ParameterizedTest(name = "pack cache on: {0}")
  @ValueSource(booleans = {true, false})
  void stalledClientsDoNotHoldPackSlots(boolean packCache) throws Exception {
    UpstreamRepo big = harness.newRepo("team/big");
    String tip = big.commitRandom("main", 3, 4 << 20, 14);
    harness.newRepo("team/small");
    // Warm both mirrors, so that only pack generation and transfer are left.
    harness.startProxy();
    git.runOk(tmp, "clone", "-q", "--bare", harness.proxyUrl("team/big"),
        harness.dir("big-warm").toString());
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/small"),
        harness.dir("small-warm").toString());
    // A short wait limit: a fetch that had to wait for a slot held by a stalled client would fail.
    harness.startProxy(
        b ->
            b.maxConcurrentPackGenerations(SLOTS)
                .upstreamFetchTimeout(Duration.ofSeconds(5))
                .packCacheEnabled(packCache));

    List<StalledClient> stalled = new ArrayList<>();
    try {
      for (int i = 0; i < SLOTS; i++) {
        StalledClient client =
            StalledClient.fetchAndStall(harness.proxyUrl("team/big"), tip, 4096);
        assertThat(client.head()).startsWith("HTTP/1.1 200").contains("packfile");
        stalled.add(client);
      }
      for (int i = 0; i < HEALTHY_FETCHES; i++) {
        GitCli.Result clone =
            git.run(tmp, "clone", "-q", harness.proxyUrl("team/small"),
                harness.dir("small-" + i).toString());
        assertThat(clone.succeeded()).as("clone %d: %s", i, clone.stderr()).isTrue();
      }
    } finally {
      for (StalledClient client : stalled) {
        client.close();
      }
    }
    if (!packCache) {
      awaitSpoolEmpty(); // unshared spool files go once their stalled readers are gone
    }
  }

  private void awaitSpoolEmpty() throws Exception {
    Path spool = harness.config().cacheRoot().resolve(".pack-cache");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (System.nanoTime() < deadline && spoolFiles(spool) > 0) {
      Thread.onSpinWait();
    }
    assertThat(spoolFiles(spool)).isZero();
  }

  private static long spoolFiles(Path spool) throws Exception {
    try (Stream<Path> files = Files.list(spool)) {
      return files.count();
    }
  }
}
