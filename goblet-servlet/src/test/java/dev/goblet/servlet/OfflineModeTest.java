package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The offline plan's scenarios, end to end with the git CLI against a real upstream. */
class OfflineModeTest extends HarnessTestBase {
  private static final List<String> CLONE =
      List.of("peel", "symrefs", "ref-prefix HEAD", "ref-prefix refs/heads/", "ref-prefix refs/tags/");
  private static final List<String> LS_REMOTE = List.of("peel", "symrefs");

  private UpstreamRepo repo;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));
  private final MetricRegistry registry = new MetricRegistry();

  @BeforeEach
  void setUp() throws Exception {
    repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 10, 2);
    repo.commit("feature", "f.txt", "feature\n", "feature work");
    repo.tag("v1.0", "main", true);
  }

  private void startProxy() throws Exception {
    harness.startProxy(b -> b.clock(clock).metricRegistry(registry));
  }

  private Path cloneThroughProxy(String name) {
    Path dir = harness.dir(name);
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), dir.toString());
    return dir;
  }

  private long counter(String suffix) {
    return registry.counter(harness.proxy().metricName(suffix)).getCount();
  }

  @Test
  void warmCacheServesCloneAndFetchWithUpstreamSwitchedOffAndThenStopped() throws Exception {
    startProxy();
    Path first = cloneThroughProxy("first");
    String mainAtCaching = repo.resolve("main");

    harness.proxy().setUpstreamEnabled(false);
    repo.commit("main", "later.txt", "later\n", "commit the proxy cannot see");
    Path offline = cloneThroughProxy("offline");
    assertThat(git.runOk(offline, "rev-parse", "HEAD").stdout().trim()).isEqualTo(mainAtCaching);
    git.runOk(first, "fetch", "origin");
    assertThat(git.runOk(first, "rev-parse", "origin/main").stdout().trim())
        .isEqualTo(mainAtCaching);

    harness.proxy().setUpstreamEnabled(true);
    harness.upstream().stop();
    Path stopped = cloneThroughProxy("stopped");
    assertThat(git.runOk(stopped, "rev-parse", "HEAD").stdout().trim()).isEqualTo(mainAtCaching);
    git.runOk(stopped, "fsck");
    assertThat(counter("ls-refs-cache.hits")).isGreaterThanOrEqualTo(3);
    assertThat(registry.gauge(harness.proxy().metricName("upstream.available")).getValue())
        .isEqualTo(0);
  }

  @Test
  void coldCacheOfflineFailsWithAClearError() throws Exception {
    startProxy();
    harness.proxy().setUpstreamEnabled(false);
    GitCli.Result result =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("cold").toString());
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("no cached ls-refs available");
    assertThat(counter("ls-refs-cache.misses")).isEqualTo(1);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void staleCacheIsServedVisiblyAndCounted() throws Exception {
    startProxy();
    Path clone = cloneThroughProxy("clone");
    clock.advance(Duration.ofMinutes(6)); // past the 5-minute TTL
    harness.proxy().setUpstreamEnabled(false);

    git.runOk(clone, "fetch", "origin");
    HttpResponse<byte[]> raw = RawGit.lsRefs(harness.proxyUrl("owner/repo"), CLONE);

    assertThat(raw.headers().firstValue("X-Goblet-Ls-Refs")).hasValue(
        "stale-cache; age=360; withheld=0");
    assertThat(counter("ls-refs-cache.stale-serves")).isEqualTo(2);
    assertThat(Files.readString(Path.of("target", "test.log")))
        .contains("serving STALE ls-refs for 127.0.0.1_");
  }

  @Test
  void upstreamRecoveryShowsNewCommits() throws Exception {
    startProxy();
    Path clone = cloneThroughProxy("clone");
    harness.upstream().stop();
    git.runOk(clone, "fetch", "origin"); // served from cache; the breaker opens

    harness.upstream().restart();
    String newCommit = repo.commit("main", "new.txt", "new\n", "after the outage");
    clock.advance(Duration.ofSeconds(31)); // past the breaker's cool-down: the next call probes
    git.runOk(clone, "fetch", "origin");
    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().trim()).isEqualTo(newCommit);
    assertThat(registry.gauge(harness.proxy().metricName("upstream.available")).getValue())
        .isEqualTo(1);
  }

  @Test
  void concurrentClientsDuringAnOutageAllSucceed() throws Exception {
    startProxy();
    cloneThroughProxy("warm");
    harness.upstream().stop();
    for (GitCli.Result result : harness.cloneConcurrently("owner/repo", 8)) {
      assertThat(result.exitCode()).as(result.stderr()).isZero();
    }
  }

  @Test
  void aRestartedProxyServesFromDiskWithTheUpstreamDown() throws Exception {
    startProxy();
    cloneThroughProxy("before");
    harness.stopProxy();
    harness.upstream().stop();

    startProxy(); // a new proxy instance on the same cache root
    Path after = cloneThroughProxy("after");
    assertThat(git.runOk(after, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repo.resolve("main"));
  }

  @Test
  void aHangingUpstreamFallsBackWithinTheTimeoutAndLaterRequestsDoNotWait() throws Exception {
    harness.startProxy(b -> b.metricRegistry(registry).upstreamTimeout(Duration.ofSeconds(1)));
    Path clone = cloneThroughProxy("clone");
    harness.upstream().clearRequests();
    harness.upstream().hang(true);

    long start = System.nanoTime();
    git.runOk(clone, "fetch", "origin");
    Duration first = Duration.ofNanos(System.nanoTime() - start);
    git.runOk(clone, "fetch", "origin");
    git.runOk(clone, "fetch", "origin");
    harness.upstream().hang(false); // release what was held, so it gets recorded
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (harness.upstream().requests().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }

    // Only the first fetch's ls-refs went upstream; the breaker kept the others from waiting.
    assertThat(first).isLessThan(Duration.ofSeconds(20));
    assertThat(harness.upstream().requests()).hasSize(1);
    assertThat(counter("ls-refs-cache.hits")).isEqualTo(3);
  }

  @Test
  void cachedAnswersAreByteForByteWhatTheUpstreamAnswersForEachClientsPrefixes() throws Exception {
    startProxy();
    // Online: a clone-style and an ls-remote-style listing are relayed and remembered.
    RawGit.lsRefs(harness.proxyUrl("owner/repo"), CLONE);
    RawGit.lsRefs(harness.proxyUrl("owner/repo"), LS_REMOTE);
    cloneThroughProxy("mirror-warm"); // the mirror gets every object
    harness.proxy().setUpstreamEnabled(false);

    List<List<String>> clients =
        List.of(
            CLONE,
            LS_REMOTE,
            List.of("peel", "symrefs", "ref-prefix refs/heads/", "ref-prefix refs/tags/"),
            List.of(
                "peel", "symrefs", "ref-prefix main", "ref-prefix refs/main",
                "ref-prefix refs/tags/main", "ref-prefix refs/heads/main",
                "ref-prefix refs/remotes/main", "ref-prefix refs/remotes/main/HEAD",
                "ref-prefix refs/tags/"),
            List.of("ref-prefix refs/heads/"),
            List.of("symrefs", "ref-prefix HEAD"),
            List.of("peel", "ref-prefix refs/tags/v"));
    for (List<String> arguments : clients) {
      byte[] upstream = RawGit.lsRefs(harness.directUrl("owner/repo"), arguments).body();
      HttpResponse<byte[]> offline = RawGit.lsRefs(harness.proxyUrl("owner/repo"), arguments);
      assertThat(offline.headers().firstValue("X-Goblet-Ls-Refs")).isPresent();
      assertThat(new String(offline.body(), StandardCharsets.UTF_8))
          .as(arguments.toString())
          .isEqualTo(new String(upstream, StandardCharsets.UTF_8));
    }
  }

  @Test
  void aListingThatDoesNotCoverTheRequestIsNeverUsed() throws Exception {
    startProxy();
    RawGit.lsRefs(harness.proxyUrl("owner/repo"), List.of("ref-prefix refs/heads/main"));
    harness.proxy().setUpstreamEnabled(false);

    HttpResponse<byte[]> answer =
        RawGit.lsRefs(harness.proxyUrl("owner/repo"), List.of("ref-prefix refs/heads/"));
    assertThat(new String(answer.body(), StandardCharsets.UTF_8))
        .contains("ERR no cached ls-refs available");
  }

  @Test
  void aCorruptCacheFileIsSetAsideAndTheRestLoads() throws Exception {
    harness.newRepo("owner/other");
    startProxy();
    cloneThroughProxy("warm");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/other"), harness.dir("other").toString());
    harness.stopProxy();
    Path cacheDir = harness.config().lsRefsCachePath();
    Path otherDir;
    try (Stream<Path> dirs = Files.list(cacheDir)) {
      otherDir = dirs.filter(p -> p.toString().contains("other")).findFirst().orElseThrow();
    }
    List<Path> otherFiles; // one per listing the clone left
    try (Stream<Path> files = Files.list(otherDir)) {
      otherFiles = files.toList();
    }
    assertThat(otherFiles).isNotEmpty();
    for (Path file : otherFiles) {
      Files.writeString(file, "{ not json");
    }

    harness.upstream().stop();
    startProxy();
    cloneThroughProxy("after-corruption");
    try (Stream<Path> files = Files.list(otherDir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .hasSameSizeAs(otherFiles)
          .allMatch(name -> name.contains(".corrupt-"));
    }
    GitCli.Result other =
        git.run(tmp, "clone", harness.proxyUrl("owner/other"), harness.dir("other2").toString());
    assertThat(other.stderr()).contains("no cached ls-refs available");
  }

  @Test
  void refsPastTheMaxStalenessAreNeverServed() throws Exception {
    harness.startProxy(
        b -> b.clock(clock).metricRegistry(registry).lsRefsMaxStaleness(Duration.ofHours(1)));
    Path clone = cloneThroughProxy("clone");
    harness.proxy().setUpstreamEnabled(false);
    clock.advance(Duration.ofMinutes(59));
    git.runOk(clone, "fetch", "origin");

    clock.advance(Duration.ofMinutes(2));
    GitCli.Result late = git.run(clone, "fetch", "origin");
    assertThat(late.exitCode()).isNotZero();
    assertThat(late.stderr()).contains("no cached ls-refs available").contains("past this proxy's limit");
  }

  @Test
  void leastRecentlyUsedRepositoriesAreEvicted() throws Exception {
    harness.newRepo("owner/second");
    harness.startProxy(b -> b.clock(clock).lsRefsCacheMaxRepositories(1));
    cloneThroughProxy("first");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/second"), harness.dir("second").toString());
    harness.proxy().setUpstreamEnabled(false);

    git.runOk(tmp, "clone", harness.proxyUrl("owner/second"), harness.dir("second-off").toString());
    GitCli.Result evicted =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("first-off").toString());
    assertThat(evicted.stderr()).contains("no cached ls-refs available");
  }

  @Test
  void refsWhoseObjectsTheMirrorLacksAreNotAdvertised() throws Exception {
    startProxy();
    cloneThroughProxy("warm");
    GobletProxy proxy = harness.proxy();
    String key = proxy.lsRefsCache().entries().iterator().next().repoKey();
    proxy.setUpstreamEnabled(false); // first an offline answer the mirror serves whole...
    assertThat(RawGit.lsRefs(harness.proxyUrl("owner/repo"), List.of("ref-prefix refs/heads/"))
        .headers().firstValue("X-Goblet-Ls-Refs").orElseThrow()).contains("withheld=0");
    proxy.setUpstreamEnabled(true); // ...then, at the same instant, a listing it cannot
    String missing = "1111111111111111111111111111111111111111";
    List<String> lines = new ArrayList<>();
    lines.add(missing + " refs/heads/gone");
    lines.add(missing + " refs/heads/main");
    proxy.lsRefsCache().put(
        key,
        proxy.lsRefsCache().get(key).orElseThrow().upstream(),
        dev.goblet.cache.LsRefsArgs.parse(List.of("ref-prefix refs/heads/")),
        lines);
    proxy.setUpstreamEnabled(false);

    HttpResponse<byte[]> answer =
        RawGit.lsRefs(harness.proxyUrl("owner/repo"), List.of("ref-prefix refs/heads/"));
    String body = new String(answer.body(), StandardCharsets.UTF_8);
    assertThat(body).doesNotContain(missing).doesNotContain("refs/heads/gone")
        .contains(repo.resolve("main") + " refs/heads/main");
    assertThat(answer.headers().firstValue("X-Goblet-Ls-Refs").orElseThrow())
        .contains("withheld=2");
  }
}
