package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.HaProxy;
import dev.goblet.testing.Requirements;
import dev.goblet.testing.GitCli;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A waiting fetch keeps its connection alive and its user informed. Through a real HAProxy with 3 s
 * idle timeouts, a cold clone whose upstream fetch takes 10 s succeeds and shows the proxy's
 * progress lines; with keepalives switched off the same clone is cut by HAProxy (the proof that
 * the test can fail). (The 90 s fetch behind 30 s timeouts is the same proof, scaled down
 * by ten for CI.) And when the upstream is down, the clone says that refs came from the cache.
 */
class KeepaliveTest extends HarnessTestBase {
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(3);
  private static final Duration UPSTREAM_FETCH = Duration.ofSeconds(10);

  private GitCli.Result slowColdClone(boolean keepalives) throws Exception {
    Requirements.command("haproxy", "haproxy");
    harness.newRepoWithBranchesAndTags("team/slow");
    harness.startProxy(
        b -> b.clientKeepalives(keepalives).clientKeepaliveInterval(Duration.ofSeconds(1)));
    harness.upstream().delayFetches(UPSTREAM_FETCH);
    try (HaProxy lb = HaProxy.start(tmp.resolve("haproxy"), harness.proxyBaseUrl(), IDLE_TIMEOUT)) {
      String url = harness.proxyUrl("team/slow").replace(harness.proxyBaseUrl(), lb.baseUrl());
      return git.run(tmp, "clone", "--progress", url, harness.dir("clone").toString());
    } finally {
      harness.upstream().delayFetches(Duration.ZERO);
    }
  }

  @Test
  void aSlowColdCloneThroughHaProxyLivesOnKeepalivesAndShowsProgress() throws Exception {
    GitCli.Result clone = slowColdClone(true);
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr())
        .containsPattern("remote: goblet: fetching team/slow from 127\\.0\\.0\\.1:\\d+ \\(\\d+ s\\)");
    assertThat(git.runOk(harness.dir("clone"), "rev-parse", "HEAD").stdout().strip())
        .isEqualTo(git.runOk(tmp, "ls-remote", harness.directUrl("team/slow"), "HEAD")
            .stdout().split("\t")[0]);
  }

  @Test
  void withoutKeepalivesHaProxyCutsTheSameClone() throws Exception {
    GitCli.Result clone = slowColdClone(false);
    assertThat(clone.succeeded()).isFalse();
    assertThat(clone.stderr()).doesNotContain("goblet: fetching");
  }

  @Test
  void aCloneWhileTheUpstreamIsDownSaysRefsCameFromTheCache() throws Exception {
    harness.newRepoWithBranchesAndTags("team/cached");
    harness.startProxy();
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/cached"), harness.dir("warm").toString());
    harness.upstream().stop();
    GitCli.Result clone =
        git.run(tmp, "clone", "--progress", harness.proxyUrl("team/cached"),
            harness.dir("offline").toString());
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr())
        .containsPattern(
            "remote: goblet: 127\\.0\\.0\\.1:\\d+ is unavailable; refs served from cache, \\d+"
                + " (s|min) old");
  }
}
