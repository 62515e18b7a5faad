package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.cache.LsRefsCache;
import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The ls-refs hot path end to end with the git CLI and a real upstream: relayed answers are
 * persisted off the request path, coalesced, and complete once the proxy is closed.
 */
class LsRefsWriteBehindTest extends HarnessTestBase {
  private static final int CLIENTS = 12;

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-12-01T10:00:00Z"));
  private UpstreamRepo repo;

  @BeforeEach
  void setUp() {
    repo = harness.newRepoWithBranchesAndTags("owner/repo");
  }

  /** Runs {@code git ls-remote} of the proxy's repository from {@value #CLIENTS} clients at once. */
  private List<String> lsRemoteConcurrently() throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
    try {
      List<Future<GitCli.Result>> results = new ArrayList<>();
      for (int i = 0; i < CLIENTS; i++) {
        results.add(clients.submit(() -> git.run(tmp, "ls-remote", harness.proxyUrl("owner/repo"))));
      }
      List<String> outputs = new ArrayList<>();
      for (Future<GitCli.Result> result : results) {
        GitCli.Result done = result.get();
        assertThat(done.exitCode()).as(done.stderr()).isZero();
        outputs.add(done.stdout());
      }
      return outputs;
    } finally {
      clients.shutdownNow();
    }
  }

  private String direct() {
    return git.runOk(tmp, "ls-remote", harness.directUrl("owner/repo")).stdout();
  }

  /** @return the one entry the files hold, as a new cache loads them */
  private Entry persisted() {
    LsRefsCache files = new LsRefsCache(harness.config().lsRefsCachePath(), clock, 10);
    assertThat(files.load()).isEqualTo(1);
    return files.entries().iterator().next();
  }

  @Test
  void burstsOfListingsAreAnsweredCorrectlyAndTheFileEndsAtTheLastAnswer() throws Exception {
    harness.startProxy(b -> b.clock(clock));

    assertThat(lsRemoteConcurrently()).containsOnly(direct());
    String moved = repo.commit("main", "later.txt", "later\n", "a commit after the first burst");
    clock.advance(Duration.ofMinutes(1));
    assertThat(lsRemoteConcurrently()).containsOnly(direct()).allMatch(out -> out.contains(moved));

    LsRefsCache cache = harness.proxy().lsRefsCache();
    Entry lastAnswer = cache.entries().iterator().next();
    harness.stopProxy(); // no wait, no flush by the test: closing must leave the last answer

    // Two bursts of identical answers (the clock stands still within each): one write each at
    // most, however the requests interleave with the writer; the rest are coalesced or skipped.
    assertThat(cache.fileWrites()).isBetween(1L, 2L);
    assertThat(cache.persistFailures()).isZero();
    assertThat(persisted()).isEqualTo(lastAnswer);
    assertThat(persisted().newestTime()).isEqualTo(clock.instant());
    assertThat(persisted().listings().get(0).refs()).containsEntry("refs/heads/main", moved);
  }

  @Test
  void aListingAboveTheByteBudgetIsServedButNotCached() throws Exception {
    harness.startProxy(b -> b.clock(clock).lsRefsCacheMaxBytes(1_000));

    assertThat(git.runOk(tmp, "ls-remote", harness.proxyUrl("owner/repo")).stdout())
        .isEqualTo(direct());

    LsRefsCache cache = harness.proxy().lsRefsCache();
    assertThat(cache.oversizedListings()).isPositive();
    assertThat(cache.size()).isZero();
    assertThat(cache.retainedBytes()).isZero();
    harness.proxy().setUpstreamEnabled(false);
    GitCli.Result offline = git.run(tmp, "ls-remote", harness.proxyUrl("owner/repo"));
    assertThat(offline.exitCode()).isNotZero();
    assertThat(offline.stderr()).contains("no cached ls-refs available");
    harness.stopProxy();
    try (Stream<Path> files = Files.walk(harness.config().lsRefsCachePath())) {
      assertThat(files.filter(f -> f.toString().endsWith(".json"))).isEmpty();
    }
  }

  @Test
  void aFullListingAboveTheByteBudgetIsNotAskedForOnEveryRequest() throws Exception {
    String direct = git.runOk(tmp, "ls-remote", "--heads", harness.directUrl("owner/repo")).stdout();
    // about 1,350 bytes for the two branches, about 2,800 for the full listing
    harness.startProxy(b -> b.clock(clock).lsRefsCacheMaxBytes(2_300));
    harness.upstream().clearRequests();

    LsRefsCache cache = harness.proxy().lsRefsCache();
    for (int i = 0; i < 3; i++) {
      assertThat(
              git.runOk(tmp, "ls-remote", "--heads", harness.proxyUrl("owner/repo")).stdout())
          .isEqualTo(direct);
      // let the first request's background full listing end (refused: too large) before the next
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (cache.oversizedListings() == 0 && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
    }
    harness.stopProxy(); // waits for any background refresh

    // three relayed listings, and one background full listing that did not fit, not three
    assertThat(cache.oversizedListings()).isEqualTo(1);
    assertThat(cache.size()).isEqualTo(1); // the small listing fits
    assertThat(harness.upstream().commandCount("ls-refs")).isEqualTo(4);
  }

  @Test
  void aRestartedProxyAnswersOfflineFromTheEntryWrittenBehind() throws Exception {
    harness.startProxy(b -> b.clock(clock));
    Path clone = harness.dir("clone");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), clone.toString());
    String online = git.runOk(tmp, "ls-remote", harness.proxyUrl("owner/repo")).stdout();
    harness.stopProxy();
    harness.upstream().stop();

    harness.startProxy(b -> b.clock(clock));
    assertThat(git.runOk(tmp, "ls-remote", harness.proxyUrl("owner/repo")).stdout())
        .isEqualTo(online);
    git.runOk(clone, "fetch", harness.proxyUrl("owner/repo"), "main"); // the proxy's new port
    assertThat(harness.proxy().lsRefsCache().fileWrites()).isZero(); // loaded, nothing changed
  }
}
