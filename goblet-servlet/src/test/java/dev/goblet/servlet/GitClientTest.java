package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.RecordedRequest;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The git CLI with protocol v0, v1 and v2 ({@code -c protocol.version=N}) through the proxy: clone,
 * fetch, shallow, partial clone and ls-remote, online and with the upstream stopped. (Deepen is in
 * {@link DeepenTest}.)
 */
class GitClientTest extends HarnessTestBase {
  private UpstreamRepo repo;

  @BeforeEach
  void setUp() throws Exception {
    repo = harness.newRepoWithBranchesAndTags("owner/repo");
    harness.startProxy();
  }

  /** Runs git with the protocol version forced; fails the test when git fails. */
  private GitCli.Result gitV(int version, Path dir, String... args) {
    return git.runOk(dir, withVersion(version, args));
  }

  private static String[] withVersion(int version, String... args) {
    List<String> all = new ArrayList<>(List.of("-c", "protocol.version=" + version));
    all.addAll(List.of(args));
    return all.toArray(String[]::new);
  }

  private String proxyUrl() {
    return harness.proxyUrl("owner/repo");
  }


  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void cloneEqualsDirectClone(int version) throws Exception {
    Path viaProxy = harness.dir("proxy.git");
    Path direct = harness.dir("direct.git");
    gitV(version, tmp, "clone", "--bare", proxyUrl(), viaProxy.toString());
    List<RecordedRequest> proxyToUpstream = harness.upstream().requests();
    gitV(version, tmp, "clone", "--bare", harness.directUrl("owner/repo"), direct.toString());

    assertThat(refs(viaProxy)).isEqualTo(refs(direct)).anyMatch(r -> r.endsWith(" refs/tags/v1.0"));
    assertThat(objects(viaProxy)).isEqualTo(objects(direct));
    assertThat(git.runOk(viaProxy, "symbolic-ref", "HEAD").stdout().trim())
        .isEqualTo("refs/heads/main");
    git.runOk(viaProxy, "fsck", "--strict");
    // The proxy speaks v2 to the upstream whatever the client speaks.
    assertThat(proxyToUpstream)
        .isNotEmpty()
        .allMatch(GitClientTest::isV2, "upstream requests are v2");
    assertThat(harness.timerCount(1, "inbound.ls-refs.queried-upstream.ok")).isEqualTo(1);
    assertThat(
            harness.timerCount(
                1, "inbound.fetch.queried-upstream.ok", "inbound.fetch.served-locally.ok"))
        .isPositive();
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void fetchAfterNewUpstreamCommitGetsItAndTheTagsThatPointIntoIt(int version) {
    Path clone = harness.dir("clone");
    gitV(version, tmp, "clone", proxyUrl(), clone.toString());

    String newCommit = repo.commit("main", "new.txt", "new\n", "second commit");
    repo.tag("v2.0", "main", true);
    gitV(version, clone, "fetch", "origin");

    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().trim()).isEqualTo(newCommit);
    assertThat(git.runOk(clone, "rev-parse", "v2.0").stdout().trim())
        .isEqualTo(repo.resolve("v2.0"));
    git.runOk(clone, "fsck");
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void shallowAndPartialClonesWork(int version) {
    Path shallow = harness.dir("shallow");
    gitV(version, tmp, "clone", "--depth", "1", proxyUrl(), shallow.toString());
    assertThat(git.runOk(shallow, "rev-list", "--count", "HEAD").stdout().trim()).isEqualTo("1");
    assertThat(git.runOk(shallow, "rev-parse", "HEAD").stdout().trim())
        .isEqualTo(repo.resolve("main"));
    gitV(version, shallow, "fetch", "--depth", "5", "origin", "main");
    assertThat(git.runOk(shallow, "rev-list", "--count", "origin/main").stdout().trim())
        .isEqualTo("5");

    Path partial = harness.dir("partial");
    gitV(version, tmp, "clone", "--filter=blob:none", "--no-checkout", proxyUrl(),
        partial.toString());
    assertThat(git.runOk(partial, "rev-list", "--objects", "--missing=print", "HEAD").stdout())
        .contains("?"); // blobs were left out by the filter
    gitV(version, partial, "checkout", "main"); // and are fetched lazily through the proxy
    assertThat(partial.resolve("README.md")).exists();
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void shallowSinceAndShallowExcludeGiveWhatTheUpstreamGives(int version) {
    repo.tag("old", "main~5", false);
    repo.tag("older", "main~9", false);
    String[][] cloneThenFetch = {
      {"--shallow-since=" + commitTime("main~5"), "--shallow-since=" + commitTime("main~9")},
      {"--shallow-exclude=old", "--shallow-exclude=older"}
    };
    for (int i = 0; i < cloneThenFetch.length; i++) {
      String[] options = cloneThenFetch[i];
      Path viaProxy = harness.dir("proxy-" + i);
      Path direct = harness.dir("direct-" + i);
      gitV(version, tmp, "clone", options[0], harness.directUrl("owner/repo"), direct.toString());
      gitV(version, tmp, "clone", options[0], proxyUrl(), viaProxy.toString());
      List<String> cloned = commits(viaProxy);
      assertThat(cloned).as(options[0]).isEqualTo(commits(direct)).hasSizeBetween(5, 6);
      gitV(version, direct, "fetch", options[1], "origin", "main");
      gitV(version, viaProxy, "fetch", options[1], "origin", "main");
      assertThat(commits(viaProxy)).as(options[1]).isEqualTo(commits(direct))
          .hasSizeGreaterThan(cloned.size());
    }
  }

  private String commitTime(String rev) {
    return git.runOk(repo.dir(), "log", "-1", "--format=%ct", rev).stdout().trim();
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 1, 2})
  void lsRemoteEqualsTheUpstreams(int version) {
    String viaProxy = gitV(version, tmp, "ls-remote", "--symref", proxyUrl()).stdout();
    String direct =
        gitV(version, tmp, "ls-remote", "--symref", harness.directUrl("owner/repo")).stdout();
    assertThat(viaProxy).isEqualTo(direct).contains("ref: refs/heads/main\tHEAD")
        .contains("refs/tags/v1.0^{}");
  }

  @Test
  void theRefAdvertisementListsWhatGitHttpBackendListsWithCapabilitiesTheProxyServes()
      throws Exception {
    for (String gitProtocol : new String[] {null, "version=1"}) {
      HttpResponse<byte[]> viaProxy = RawGit.infoRefs(proxyUrl(), gitProtocol);
      HttpResponse<byte[]> direct = RawGit.infoRefs(harness.directUrl("owner/repo"), gitProtocol);
      assertThat(viaProxy.headers().firstValue("Content-Type"))
          .hasValue("application/x-git-upload-pack-advertisement");
      List<String> proxyLines = RawGit.pktLines(viaProxy.body());
      List<String> directLines = RawGit.pktLines(direct.body());
      assertThat(withoutCapabilities(proxyLines)).isEqualTo(withoutCapabilities(directLines));
      String first = proxyLines.get(gitProtocol == null ? 2 : 3);
      assertThat(first.substring(first.indexOf('\0') + 1).split(" "))
          .contains("symref=HEAD:refs/heads/main", "multi_ack_detailed", "side-band-64k",
              "shallow", "deepen-relative", "filter", "include-tag", "no-done")
          .anyMatch(c -> c.startsWith("agent=goblet-java/"));
    }
  }

  @Test
  void concurrentColdV0ClonesShareTheUpstreamFetch() throws Exception {
    for (GitCli.Result result :
        harness.cloneConcurrently("owner/repo", 8, "-c", "protocol.version=0")) {
      assertThat(result.exitCode()).as(result.stderr()).isZero();
    }
    assertThat(harness.upstream().fetchCount()).isBetween(1L, 2L);
  }

  @Test
  void anEmptyRepositoryClonesAsEmpty() {
    harness.newEmptyRepo("owner/empty");
    for (int version : new int[] {0, 2}) {
      Path clone = harness.dir("empty-v" + version);
      GitCli.Result result =
          gitV(version, tmp, "clone", harness.proxyUrl("owner/empty"), clone.toString());
      assertThat(result.stderr()).contains("cloned an empty repository");
    }
  }

  @Test
  void withTheUpstreamStoppedAWarmCacheServesCloneFetchShallowAndLsRemote() throws Exception {
    Path warm = harness.dir("warm");
    gitV(0, tmp, "clone", proxyUrl(), warm.toString());
    String lsRemoteOnline = gitV(0, tmp, "ls-remote", proxyUrl()).stdout();
    harness.upstream().stop();

    for (int version : new int[] {0, 1, 2}) {
      Path clone = harness.dir("offline-v" + version);
      gitV(version, tmp, "clone", proxyUrl(), clone.toString());
      assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().trim())
          .isEqualTo(repo.resolve("main"));
      git.runOk(clone, "fsck");
      gitV(version, warm, "fetch", "origin");
      Path shallow = harness.dir("offline-shallow-v" + version);
      gitV(version, tmp, "clone", "--depth", "1", proxyUrl(), shallow.toString());
      assertThat(git.runOk(shallow, "rev-list", "--count", "HEAD").stdout().trim())
          .isEqualTo("1");
      assertThat(gitV(version, tmp, "ls-remote", proxyUrl()).stdout()).isEqualTo(lsRemoteOnline);
    }
    HttpResponse<byte[]> advertisement = RawGit.infoRefs(proxyUrl(), null);
    assertThat(advertisement.headers().firstValue("X-Goblet-Ls-Refs").orElseThrow())
        .startsWith("cache; age=");
    assertThat(harness.counterCount("ls-refs-cache.hits"))
        .isGreaterThanOrEqualTo(10);
    assertThat(harness.timerCount(10, "inbound.ls-refs.served-from-cache.ok"))
        .isGreaterThanOrEqualTo(10);
  }

  @Test
  void withTheUpstreamSwitchedOffNewUpstreamCommitsStayInvisibleAndNothingReachesIt() {
    Path clone = harness.dir("clone");
    gitV(0, tmp, "clone", proxyUrl(), clone.toString());
    String mainAtCaching = repo.resolve("main");
    harness.proxy().setUpstreamEnabled(false);
    repo.commit("main", "later.txt", "later\n", "commit the proxy cannot see");
    harness.upstream().clearRequests();

    gitV(0, clone, "fetch", "origin");
    assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().trim())
        .isEqualTo(mainAtCaching);
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aColdCacheWithTheUpstreamDownFailsWithTheV2Message() throws Exception {
    harness.upstream().stop();
    GitCli.Result result =
        git.run(tmp, withVersion(0, "clone", proxyUrl(), harness.dir("cold").toString()));
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("remote error: no cached ls-refs available");
    assertThat(harness.timerCount(1, "inbound.ls-refs.none.unavailable")).isEqualTo(1);
  }

  private static List<String> withoutCapabilities(List<String> lines) {
    return lines.stream().map(l -> l.contains("\0") ? l.substring(0, l.indexOf('\0')) : l).toList();
  }

  private List<String> refs(Path repository) {
    return git.runOk(repository, "for-each-ref", "--format=%(objectname) %(refname)").stdout()
        .lines().sorted().toList();
  }

  private List<String> commits(Path repository) {
    return git.runOk(repository, "rev-list", "--all").stdout().lines().sorted().toList();
  }

  private List<String> objects(Path repository) {
    return git.runOk(repository, "rev-list", "--all", "--objects").stdout().lines().sorted()
        .toList();
  }

  private static boolean isV2(RecordedRequest request) {
    return "version=2".equals(request.header("Git-Protocol"));
  }
}
