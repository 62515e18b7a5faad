package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.HaProxy;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.Requirements;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A waiting fetch keeps its connection alive and its user informed. Through a real HAProxy with 3 s
 * idle timeouts, a cold clone whose upstream fetch takes 10 s succeeds and shows the proxy's
 * progress lines; with keepalives switched off the same clone is cut by HAProxy (the proof that
 * the test can fail). And when the upstream is down, the clone says that refs came from the cache.
 *
 * <p>CI runs the proof scaled down by ten, with an upstream that is silent for 10 s before it
 * answers. {@code -Dgoblet.test.keepaliveFullScale=true} runs it at the scale: 30 s idle
 * timeouts, the default keepalive interval (5 s), and a repository whose 18 KB pack trickles from
 * the upstream at 200 bytes a second, about 90 s (a silent upstream would be cancelled as stalled
 * after 60 s, as documented).
 */
class KeepaliveTest extends HarnessTestBase {
  private static final boolean FULL_SCALE = Boolean.getBoolean("goblet.test.keepaliveFullScale");
  private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(FULL_SCALE ? 30 : 3);
  private static final Duration UPSTREAM_FETCH = Duration.ofSeconds(FULL_SCALE ? 90 : 10);
  private static final Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(FULL_SCALE ? 5 : 1);

  private GitCli.Result slowColdClone(boolean keepalives) throws Exception {
    Requirements.command("haproxy", "haproxy");
    if (FULL_SCALE) {
      harness.newRepo("team/slow").commitRandom("main", 1, 18_000, 7);
    } else {
      harness.newRepoWithBranchesAndTags("team/slow");
    }
    try (FaultInjectingProxy trickle = FaultInjectingProxy.start(harness.upstream().baseUrl())) {
      harness.startProxy(
          b -> b.allowedUpstreams(harness.upstream().baseUrl(), trickle.baseUrl())
              .clientKeepalives(keepalives)
              .clientKeepaliveInterval(KEEPALIVE_INTERVAL));
      String upstream = harness.upstream().baseUrl();
      if (FULL_SCALE) {
        trickle.inject(new FaultInjectingProxy.Fault.Trickle(5));
        upstream = trickle.baseUrl();
      } else {
        harness.upstream().delayFetches(UPSTREAM_FETCH);
      }
      try (HaProxy lb =
          HaProxy.start(tmp.resolve("haproxy"), harness.proxyBaseUrl(), IDLE_TIMEOUT)) {
        String url = lb.baseUrl() + "/" + upstream.substring("http://".length()) + "/team/slow";
        return git.run(tmp, "clone", "--progress", url, harness.dir("clone").toString());
      } finally {
        harness.upstream().delayFetches(Duration.ZERO);
      }
    }
  }

  @Test
  void aSlowColdCloneThroughHaProxyLivesOnKeepalivesAndShowsProgress() throws Exception {
    GitCli.Result clone = slowColdClone(true);
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(clone.stderr())
        .containsPattern("remote: goblet: fetching team/slow from 127\\.0\\.0\\.1:\\d+ \\(\\d+ s\\)");
    if (FULL_SCALE) {
      System.out.println(clone.stderr()); // the progress lines, for the closing note
    }
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
