package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Revocation is not an outage: when the upstream answers 401, then 404, for a warm repository,
 * clone, fetch and ls-remote fail with what the upstream said, the cached refs are dropped and
 * nothing is served from the mirror or the cache, even with the upstream switched off; once the
 * upstream serves the repository again, so does the proxy. An upstream 503 still falls back to the
 * cache ({@link UpstreamFaultTest} covers the other outages, hangs included).
 */
class RevocationTest extends HarnessTestBase {
  private static final String TOKEN = "proxy-token-8d21";

  private UpstreamRepo repo;
  private String main;
  private String key;
  private int attempts;

  @BeforeEach
  void setUp() throws Exception {
    repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 3, 1);
    main = repo.resolve("main");
    harness.upstream().requireBearerToken(TOKEN);
    harness.startProxy(b -> b.upstreamCredentials(UpstreamCredentials.bearer(() -> TOKEN)));
    git.runOk(tmp, "clone", url(), harness.dir("warm").toString());
    key = harness.proxy().repositoryStatuses().get(0).key();
    assertThat(harness.proxy().lsRefsCache().get(key)).isPresent();
  }

  private String url() {
    return harness.proxyUrl("owner/repo");
  }

  @Test
  void a401ThenA404EndServingUntilTheUpstreamServesAgain() throws Exception {
    harness.upstream().requireBearerToken("a-token-the-proxy-does-not-have");
    assertRefused("the upstream refused the proxy's credentials (HTTP 401: bearer token required)");

    harness.upstream().requireBearerToken(TOKEN);
    assertServed();

    Path onDisk = tmp.resolve("upstream/owner/repo.git");
    Path away = Files.move(onDisk, tmp.resolve("deleted-repo.git"));
    assertRefused("the upstream has no such repository, or does not show it to the proxy's"
        + " credentials (HTTP 404");

    Files.move(away, onDisk);
    assertServed();

    // A real outage is still an outage: the cache answers.
    long hits = harness.counterCount("ls-refs-cache.hits");
    harness.upstream().failNext(503, 1000);
    HttpResponse<byte[]> cached = RawGit.lsRefs(url(), List.of("ref-prefix refs/heads/"));
    assertThat(cached.headers().firstValue("X-Goblet-Ls-Refs")).hasValueSatisfying(
        value -> assertThat(value).startsWith("cache;"));
    git.runOk(tmp, "clone", url(), harness.dir("during-503").toString());
    assertThat(harness.counterCount("ls-refs-cache.hits")).isGreaterThan(hits);
  }

  /** Clone, fetch, ls-remote and a fetch of an object the mirror has all fail with the reason. */
  private void assertRefused(String reason) throws Exception {
    long hits = harness.counterCount("ls-refs-cache.hits");
    GitCli.Result clone =
        git.run(tmp, "clone", url(), harness.dir("refused-" + ++attempts).toString());
    assertThat(clone.exitCode()).isNotZero();
    assertThat(clone.stderr()).contains(reason);

    GitCli.Result fetch = git.run(harness.dir("warm"), "fetch", "origin");
    assertThat(fetch.exitCode()).isNotZero();
    assertThat(fetch.stderr()).contains(reason);

    GitCli.Result lsRemote = git.run(tmp, "ls-remote", url());
    assertThat(lsRemote.exitCode()).isNotZero();
    assertThat(lsRemote.stderr()).contains(reason);
    assertThat(lsRemote.stdout()).isEmpty();

    // The mirror has main's commit, and still does not serve it.
    HttpResponse<byte[]> pack = RawGit.fetch(url(), List.of(main));
    String answer = new String(pack.body(), StandardCharsets.ISO_8859_1);
    assertThat(answer).contains("ERR " + reason).doesNotContain("packfile");

    // Nor does the cache, with the upstream switched off.
    harness.proxy().setUpstreamEnabled(false);
    try {
      GitCli.Result offline = git.run(tmp, "ls-remote", url());
      assertThat(offline.exitCode()).isNotZero();
      assertThat(offline.stderr()).contains(reason);
      HttpResponse<byte[]> v0 = RawGit.infoRefs(url(), null);
      assertThat(v0.headers().firstValue("X-Goblet-Ls-Refs")).isEmpty();
      assertThat(new String(v0.body(), StandardCharsets.UTF_8)).contains("ERR " + reason);
    } finally {
      harness.proxy().setUpstreamEnabled(true);
    }
    assertThat(harness.proxy().lsRefsCache().get(key)).isEmpty();
    assertThat(harness.counterCount("ls-refs-cache.hits")).isEqualTo(hits);
  }

  private void assertServed() {
    Path clone = harness.dir("served-" + ++attempts);
    git.runOk(tmp, "clone", url(), clone.toString());
    assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(main);
    git.runOk(harness.dir("warm"), "fetch", "origin");
    assertThat(git.runOk(tmp, "ls-remote", url()).stdout())
        .contains(main + "\trefs/heads/main");
  }
}
