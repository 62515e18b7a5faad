package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.AdminAuthorizer;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * An allowed upstream that answers every request with a redirect to a host that is not on the
 * allow-list: ls-refs (JDK client), mirror fetches (JGit, whose default would follow the first
 * redirect with the {@code Authorization} header) and the admin API's fetch all fail with an error
 * naming only the target's host, and the target receives no request at all.
 */
class RedirectRefusalTest extends HarnessTestBase {
  private static final String TOKEN = "upstream-token-for-the-allowed-host-3c9d";
  private static final String ADMIN_TOKEN = "admin-token-51e0";

  private GitUpstreamServer elsewhere;
  private UpstreamRepo repo;
  private String target;

  @BeforeEach
  void setUp() throws Exception {
    elsewhere = GitUpstreamServer.start(Files.createDirectories(tmp.resolve("elsewhere")));
    target = URI.create(elsewhere.baseUrl()).getAuthority();
    repo = harness.newRepo("owner/repo");
    harness.mount("/admin/*", GobletAdminServlet::new);
    harness.startProxy(
        b -> b.upstreamCredentials(
                UpstreamCredentials.perUpstream(
                    Map.of(URI.create(harness.upstream().baseUrl()),
                        UpstreamCredentials.bearer(() -> TOKEN))))
            .adminAuthorizer(AdminAuthorizer.bearerToken(ADMIN_TOKEN)));
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("warm").toString());
    harness.upstream().redirectTo(elsewhere.baseUrl() + "/stolen?token=in-the-query");
  }

  @AfterEach
  void closeElsewhere() {
    elsewhere.close();
  }

  private void assertNamesOnlyTheTargetHost(String message) {
    assertThat(message)
        .contains("redirect to " + target)
        .contains("follows no redirects")
        .doesNotContain("stolen")
        .doesNotContain("in-the-query");
  }

  @Test
  void cloneFetchAndLsRemoteFailAndTheTargetHearsNothing() throws Exception {
    GitCli.Result clone =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("cold").toString());
    assertThat(clone.exitCode()).isNotZero();
    assertNamesOnlyTheTargetHost(clone.stderr());

    repo.commit("main", "new.txt", "new\n", "after the redirect began");
    GitCli.Result fetch = git.run(harness.dir("warm"), "fetch", "origin");
    assertThat(fetch.exitCode()).isNotZero();
    assertNamesOnlyTheTargetHost(fetch.stderr());

    GitCli.Result lsRemote = git.run(tmp, "ls-remote", harness.proxyUrl("owner/repo"));
    assertThat(lsRemote.exitCode()).isNotZero();
    assertNamesOnlyTheTargetHost(lsRemote.stderr());

    assertThat(elsewhere.requests()).isEmpty();
  }

  @Test
  void aMirrorFetchThroughJGitFailsAndTheTargetHearsNothing() throws Exception {
    // A want the mirror lacks makes the proxy fetch from the upstream with JGit.
    String newCommit = repo.commit("main", "new.txt", "new\n", "only upstream has this");
    HttpResponse<byte[]> fetch = RawGit.fetch(harness.proxyUrl("owner/repo"), List.of(newCommit));
    String answer = new String(fetch.body(), StandardCharsets.UTF_8);
    // An ERR packet, or, once keepalives have opened the packfile section, an error on side-band 3.
    assertThat(answer)
        .containsAnyOf(
            "ERR fetching from the upstream failed", "\u0003fetching from the upstream failed");
    assertNamesOnlyTheTargetHost(answer);

    assertThat(harness.upstream().requests())
        .anyMatch(r -> r.path().endsWith("/info/refs") && r.status() == 302);
    assertThat(elsewhere.requests()).isEmpty();
  }

  @Test
  void theAdminFetchFailsAndTheTargetHearsNothing() throws Exception {
    String key = harness.proxy().repositoryStatuses().get(0).key();
    HttpResponse<String> refresh =
        Http.send("POST", harness.url("/admin/repositories/" + key + "/-/refresh?wait=true"), null,
            "Authorization", "Bearer " + ADMIN_TOKEN);
    assertThat(refresh.statusCode()).as(refresh.body()).isEqualTo(502);
    assertNamesOnlyTheTargetHost(Http.json(refresh).get("error").getAsString());

    assertThat(elsewhere.requests()).isEmpty();
  }
}
