package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.RequestAuthorizer;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The proxy end to end: real upstream (git http-backend), the proxy in Jetty, the git CLI. */
class ProxyEndToEndTest extends HarnessTestBase {

  @Test
  void cloneThroughProxyEqualsDirectClone() throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 30, 3);
    repo.commit("feature", "f.txt", "feature\n", "feature work");
    repo.tag("v1.0", "main", true);
    repo.tag("light", "feature", false);
    harness.startProxy();

    Path viaProxy = harness.dir("proxy.git");
    Path direct = harness.dir("direct.git");
    git.runOk(tmp, "clone", "--bare", harness.proxyUrl("owner/repo"), viaProxy.toString());
    git.runOk(tmp, "clone", "--bare", harness.directUrl("owner/repo"), direct.toString());

    assertThat(refs(viaProxy)).isEqualTo(refs(direct)).anyMatch(r -> r.endsWith(" refs/tags/v1.0"));
    assertThat(objects(viaProxy)).isEqualTo(objects(direct));
    assertThat(git.runOk(viaProxy, "symbolic-ref", "HEAD").stdout().trim())
        .isEqualTo("refs/heads/main");
    git.runOk(viaProxy, "fsck", "--strict");
  }

  @Test
  void theMirrorTakesTheUpstreamsDefaultBranch() throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    repo.commit("develop", "d.txt", "develop\n", "on develop");
    repo.setHead("develop");
    harness.startProxy();

    Path clone = harness.dir("clone");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), clone.toString());

    assertThat(git.runOk(clone, "symbolic-ref", "HEAD").stdout().trim())
        .isEqualTo("refs/heads/develop");
    Path mirror =
        harness.proxy().findRepository(java.net.URI.create(harness.directUrl("owner/repo")))
            .orElseThrow().localPath();
    assertThat(git.runOk(mirror, "symbolic-ref", "HEAD").stdout().trim())
        .isEqualTo("refs/heads/develop");
  }

  @Test
  void fetchAfterNewUpstreamCommitGetsIt() throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    harness.startProxy();
    Path clone = harness.dir("clone");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), clone.toString());

    String newCommit = repo.commit("main", "new.txt", "new\n", "second commit");
    git.runOk(clone, "fetch", "origin");

    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().trim()).isEqualTo(newCommit);
    git.runOk(clone, "fsck");
  }

  @Test
  void shallowPartialAndRefPrefixFetchesWork() throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 20, 2);
    String feature = repo.commit("feature", "f.txt", "feature\n", "feature work");
    harness.startProxy();

    Path shallow = harness.dir("shallow");
    git.runOk(tmp, "clone", "--depth", "1", harness.proxyUrl("owner/repo"), shallow.toString());
    assertThat(git.runOk(shallow, "rev-list", "--count", "HEAD").stdout().trim()).isEqualTo("1");
    assertThat(git.runOk(shallow, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repo.resolve("main"));

    Path partial = harness.dir("partial");
    git.runOk(
        tmp, "clone", "--filter=blob:none", "--no-checkout", harness.proxyUrl("owner/repo"),
        partial.toString());
    String missing = git.runOk(partial, "rev-list", "--objects", "--missing=print", "HEAD")
        .stdout();
    assertThat(missing).contains("?"); // blobs were left out by the filter
    git.runOk(partial, "checkout", "main"); // and are fetched lazily through the proxy
    assertThat(partial.resolve("README.md")).exists();

    git.runOk(shallow, "fetch", "origin", "feature");
    assertThat(git.runOk(shallow, "rev-parse", "FETCH_HEAD").stdout().trim()).isEqualTo(feature);
  }

  @Test
  void secondCloneIsServedWithoutUpstreamFetch() throws Exception {
    harness.newRepo("owner/repo").commitMany("main", 10, 2);
    harness.startProxy();
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("first").toString());
    harness.upstream().clearRequests();

    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("second").toString());

    assertThat(harness.upstream().fetchCount()).isZero();
    assertThat(harness.upstream().commandCount("ls-refs")).isPositive();
  }

  @Test
  void concurrentColdClonesShareUpstreamFetches() throws Exception {
    harness.newRepo("owner/repo").commitMany("main", 50, 3);
    harness.startProxy();
    for (GitCli.Result result : harness.cloneConcurrently("owner/repo", 10)) {
      assertThat(result.exitCode()).as(result.stderr()).isZero();
    }
    assertThat(harness.upstream().fetchCount()).isBetween(1L, 2L);
  }

  @Test
  void unauthorizedRequestNeverReachesUpstream() throws Exception {
    harness.newRepo("owner/repo");
    harness.startProxy(b -> b.requestAuthorizer(RequestAuthorizer.bearerToken("s3cret")));

    GitCli.Result denied =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("denied").toString());
    assertThat(denied.exitCode()).isNotZero();
    assertThat(harness.upstream().requests()).isEmpty();

    git.runOk(
        tmp, "-c", "http.extraHeader=Authorization: Bearer s3cret", "clone",
        harness.proxyUrl("owner/repo"), harness.dir("allowed").toString());
  }

  private List<String> refs(Path repo) {
    return git.runOk(repo, "for-each-ref", "--format=%(objectname) %(refname)").stdout().lines()
        .sorted().toList();
  }

  private List<String> objects(Path repo) {
    return git.runOk(repo, "rev-list", "--all", "--objects").stdout().lines().sorted().toList();
  }
}
