package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.AdminAuthorizer;
import dev.goblet.PublishReport;
import dev.goblet.SnapshotStore;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.Http;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Two upstreams with different tokens: each receives only its own, read from its request log,
 * across ls-refs, clones and fetches, admin-triggered fetches, and snapshots restored at start by
 * a fresh replica that then fetches the delta.
 */
class PerUpstreamCredentialsTest extends HarnessTestBase {
  private static final String TOKEN_ONE = "token-of-upstream-one-2b7c";
  private static final String TOKEN_TWO = "token-of-upstream-two-9e4f";

  private GitUpstreamServer two;
  private UpstreamRepo repoOne;
  private UpstreamRepo repoTwo;

  @BeforeEach
  void setUp() throws Exception {
    repoOne = harness.newRepo("owner/one");
    two = GitUpstreamServer.start(Files.createDirectories(tmp.resolve("upstream-two")));
    repoTwo = UpstreamRepo.create(git, tmp.resolve("upstream-two"), "owner/two");
    repoTwo.commit("main", "README.md", "two\n", "initial commit");
    harness.upstream().requireBearerToken(TOKEN_ONE);
    two.requireBearerToken(TOKEN_TWO);
    harness.mount("/admin/*", GobletAdminServlet::new);
  }

  @AfterEach
  void closeSecondUpstream() {
    two.close();
  }

  private void startProxy(String cacheRoot) throws Exception {
    String one = harness.upstream().baseUrl();
    harness.startProxy(
        b -> b.cacheRoot(tmp.resolve(cacheRoot))
            .allowedUpstreams(one, two.baseUrl())
            .upstreamCredentials(
                UpstreamCredentials.perUpstream(
                    Map.of(
                        URI.create(one), UpstreamCredentials.bearer(() -> TOKEN_ONE),
                        URI.create(two.baseUrl()), UpstreamCredentials.bearer(() -> TOKEN_TWO))))
            .adminAuthorizer(AdminAuthorizer.ALLOW_ALL)
            .snapshotStore(SnapshotStore.filesystem(tmp.resolve("store")))
            .restoreAllAtStart(true));
    harness.proxy().whenReady().get(60, TimeUnit.SECONDS);
  }

  private String urlTwo() {
    return harness.proxyBaseUrl() + "/" + URI.create(two.baseUrl()).getAuthority() + "/owner/two";
  }

  private void cloneBoth(String suffix) {
    git.runOk(tmp, "clone", harness.proxyUrl("owner/one"), harness.dir("one-" + suffix).toString());
    git.runOk(tmp, "clone", urlTwo(), harness.dir("two-" + suffix).toString());
    git.runOk(tmp, "ls-remote", harness.proxyUrl("owner/one"));
    git.runOk(tmp, "ls-remote", urlTwo());
  }

  @Test
  void eachUpstreamReceivesOnlyItsOwnToken() throws Exception {
    startProxy("cache-a");
    cloneBoth("first");
    repoOne.commit("main", "one.txt", "1\n", "new on one");
    repoTwo.commit("main", "two.txt", "2\n", "new on two");
    for (var status : harness.proxy().repositoryStatuses()) {
      HttpResponse<String> refresh =
          Http.send("POST", harness.url("/admin/repositories/" + status.key() + "/-/refresh"
              + "?wait=true"), null);
      assertThat(refresh.statusCode()).as(refresh.body()).isEqualTo(200);
    }
    PublishReport published = harness.proxy().publishSnapshotsNow();
    assertThat(published.failed()).isEmpty();
    List<String> stored = new ArrayList<>(published.published()); // or the schedule's run did
    stored.addAll(published.upToDate());
    assertThat(stored).hasSize(2);

    // A fresh replica restores both at start, then fetches what is new upstream.
    harness.stopProxy();
    startProxy("cache-b");
    assertThat(harness.proxy().repositoryStatuses()).hasSize(2);
    repoOne.commit("main", "one-again.txt", "1\n", "newer on one");
    repoTwo.commit("main", "two-again.txt", "2\n", "newer on two");
    cloneBoth("restored");
    assertThat(git.runOk(harness.dir("two-restored"), "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repoTwo.resolve("main"));

    assertOnly(harness.upstream(), TOKEN_ONE);
    assertOnly(two, TOKEN_TWO);
  }

  private static void assertOnly(GitUpstreamServer upstream, String token) {
    assertThat(upstream.count("POST", "/git-upload-pack")).as("ls-refs and fetches").isPositive();
    assertThat(upstream.count("GET", "/info/refs")).as("JGit's mirror fetches").isPositive();
    assertThat(upstream.requests())
        .allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer " + token));
  }
}
