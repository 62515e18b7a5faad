package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.goblet.AdminAuthorizer;
import dev.goblet.RequestAuthorizer;
import dev.goblet.ServerConfig;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every admin endpoint through Jetty, and its refusal without the admin authorizer's consent: with
 * none configured, with no or a wrong token, and with the token of a client that may clone.
 */
class AdminApiTest {
  private static final String TOKEN = "client-token-7f3e";
  private static final String ADMIN_TOKEN = "admin-token-2a94";
  private static final String[] AUTH = {"Authorization", "Bearer " + ADMIN_TOKEN};

  @TempDir Path tmp;
  private ProxyHarness harness;
  private GitCli git;
  private UpstreamRepo repo;
  private String key;

  @BeforeEach
  void setUp() throws Exception {
    harness = ProxyHarness.create(tmp).mount("/admin/*", GobletAdminServlet::new);
    git = harness.git().withEnv("GIT_CONFIG_COUNT", "1")
        .withEnv("GIT_CONFIG_KEY_0", "http.extraHeader")
        .withEnv("GIT_CONFIG_VALUE_0", "Authorization: Bearer " + TOKEN);
    repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 3, 1);
    repo.tag("v1.0", "main", true);
    harness.startProxy(this::authorizers);
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("warm").toString());
    key = harness.upstream().baseUrl().substring("http://".length()).replace(':', '_')
        + "/owner/repo";
  }

  private ServerConfig.Builder authorizers(ServerConfig.Builder builder) {
    // A clock that stands still: the ages in two answers compared below cannot differ.
    return builder.requestAuthorizer(RequestAuthorizer.bearerToken(TOKEN))
        .adminAuthorizer(AdminAuthorizer.bearerToken(ADMIN_TOKEN))
        .clock(FakeClock.at(Instant.parse("2026-06-01T12:00:00Z")));
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private HttpResponse<String> admin(String method, String path, String body) throws Exception {
    return Http.send(method, harness.url("/admin" + path), body, AUTH);
  }

  private static void assertError(HttpResponse<String> response, int status, String message) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
    assertThat(Http.json(response).get("error").getAsString()).contains(message);
  }

  private List<String[]> routes() {
    return List.of(
            new String[] {"GET", "/repositories"},
            new String[] {"GET", "/repositories/" + key},
            new String[] {"GET", "/repositories/" + key + "/-/ls-refs"},
            new String[] {"POST", "/repositories/" + key + "/-/refresh"},
            new String[] {"DELETE", "/ls-refs-cache/" + key},
            new String[] {"DELETE", "/ls-refs-cache"},
            new String[] {"GET", "/upstream"},
            new String[] {"PUT", "/upstream"},
            new String[] {"POST", "/backup"},
            new String[] {"GET", "/no-such-route"});
  }

  /** Sends every route with each of the headers (or none) and expects {@code status}. */
  private void assertEveryRouteRefused(int status, String... tokens) throws Exception {
    for (String[] route : routes()) {
      String url = harness.url("/admin" + route[1]);
      String body = route[0].equals("PUT") ? "{\"enabled\":false}" : null;
      List<HttpResponse<String>> answers = new ArrayList<>();
      answers.add(Http.send(route[0], url, body));
      for (String token : tokens) {
        answers.add(Http.send(route[0], url, body, "Authorization", "Bearer " + token));
      }
      for (HttpResponse<String> refused : answers) {
        assertThat(refused.statusCode()).as(route[0] + " " + route[1]).isEqualTo(status);
        assertThat(refused.body()).doesNotContain(key);
        if (status == 401) {
          assertThat(refused.headers().allValues("WWW-Authenticate")).contains("Bearer");
        }
      }
    }
    assertThat(harness.proxy().isUpstreamEnabled()).isTrue();
    assertThat(harness.proxy().lsRefsCache().get(key)).isPresent();
  }

  @Test
  void everyEndpointRefusesRequestsWithoutTheAdminToken() throws Exception {
    // The client token may clone (setUp did), and is still refused here.
    assertEveryRouteRefused(401, "wrong-token", TOKEN);
  }

  @Test
  void withoutAnAdminAuthorizerEveryEndpointIsClosed() throws Exception {
    harness.startProxy(b -> b.requestAuthorizer(RequestAuthorizer.bearerToken(TOKEN)));
    assertEveryRouteRefused(403, ADMIN_TOKEN, TOKEN);
    HttpResponse<String> closed = admin("GET", "/repositories", null);
    assertError(closed, 403, "the admin API is closed");
  }

  @Test
  void listsAndShowsRepositories() throws Exception {
    HttpResponse<String> list = admin("GET", "/repositories", null);
    assertThat(list.statusCode()).isEqualTo(200);
    JsonArray repositories = Http.json(list).getAsJsonArray("repositories");
    assertThat(repositories).hasSize(1);
    JsonObject repository = repositories.get(0).getAsJsonObject();
    assertThat(repository.get("key").getAsString()).isEqualTo(key);
    assertThat(repository.get("upstream").getAsString())
        .isEqualTo(harness.directUrl("owner/repo"));
    assertThat(Path.of(repository.get("path").getAsString()))
        .isEqualTo(harness.config().cacheRoot().resolve(key + ".git"));
    assertThat(repository.get("last_update").isJsonNull()).isFalse();
    assertThat(repository.get("ls_refs_cached_at").isJsonNull()).isFalse();
    assertThat(repository.get("ls_refs_age_seconds").getAsLong()).isNotNegative();
    assertThat(repository.get("ref_count").getAsInt()) // refs/heads/main and refs/tags/v1.0
        .isEqualTo(repo.refs().keySet().stream().filter(ref -> ref.startsWith("refs/")).count());

    HttpResponse<String> one = admin("GET", "/repositories/" + key, null);
    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(Http.json(one)).isEqualTo(repository);
  }

  @Test
  void unknownRepositoriesAre404AndMalformedKeysAre400() throws Exception {
    String otherKey = key.replace("owner/repo", "owner/missing");
    assertError(admin("GET", "/repositories/" + otherKey, null), 404, "no repository " + otherKey);
    assertError(admin("GET", "/repositories/" + otherKey + "/-/ls-refs", null), 404,
        "no repository");
    assertError(admin("POST", "/repositories/" + otherKey + "/-/refresh", null), 404,
        "no repository");
    assertError(admin("DELETE", "/ls-refs-cache/" + otherKey, null), 404, "no cached ls-refs");
    for (String bad :
        List.of("nohost", key + "/", key + ".git", key.replace("owner", ".owner"),
            "127.0.0.1_99999/owner/repo", "Host/owner/repo", key.replace("owner", "-owner"))) {
      assertError(admin("GET", "/repositories/" + bad, null), 400, "not a repository key");
      assertError(admin("DELETE", "/ls-refs-cache/" + bad, null), 400, "not a repository key");
    }
    // An empty segment is refused by the container as ambiguous before the servlet sees it.
    assertThat(admin("GET", "/repositories/" + key.replace("/owner", "//owner"), null)
        .statusCode()).isEqualTo(400);
    assertError(admin("GET", "/repositories/" + key + "/-/unknown", null), 404, "no such");
    assertError(admin("GET", "/nothing", null), 404, "no such admin resource");
    HttpResponse<String> wrongMethod = admin("POST", "/repositories", null);
    assertError(wrongMethod, 405, "GET");
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET");
  }

  @Test
  void showsAndInvalidatesTheCachedLsRefsEntry() throws Exception {
    HttpResponse<String> entry = admin("GET", "/repositories/" + key + "/-/ls-refs", null);
    assertThat(entry.statusCode()).isEqualTo(200);
    JsonObject json = Http.json(entry);
    assertThat(json.get("key").getAsString()).isEqualTo(key);
    assertThat(json.get("stale").getAsBoolean()).isFalse();
    JsonArray listings = json.getAsJsonArray("listings");
    assertThat(listings).isNotEmpty();
    assertThat(listings.toString())
        .contains(repo.resolve("main") + " refs/heads/main")
        .contains("refs/tags/v1.0");

    HttpResponse<String> deleted = admin("DELETE", "/ls-refs-cache/" + key, null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(Http.json(deleted).get("invalidated").getAsInt()).isEqualTo(1);
    assertError(admin("GET", "/repositories/" + key + "/-/ls-refs", null), 404,
        "no cached ls-refs");
    assertError(admin("DELETE", "/ls-refs-cache/" + key, null), 404, "no cached ls-refs");

    // With the entry gone, an offline clone has nothing to answer ls-refs from.
    harness.proxy().setUpstreamEnabled(false);
    GitCli.Result offline =
        git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("off").toString());
    assertThat(offline.stderr()).contains("no cached ls-refs available");
  }

  @Test
  void invalidatesEveryEntry() throws Exception {
    harness.newRepo("owner/second");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/second"), harness.dir("second").toString());
    assertThat(harness.proxy().lsRefsCache().size()).isEqualTo(2);

    HttpResponse<String> deleted = admin("DELETE", "/ls-refs-cache", null);
    assertThat(deleted.statusCode()).isEqualTo(200);
    assertThat(Http.json(deleted).get("invalidated").getAsInt()).isEqualTo(2);
    assertThat(harness.proxy().lsRefsCache().size()).isZero();
  }

  @Test
  void refreshFetchesTheMirrorFromTheUpstream() throws Exception {
    String newCommit = repo.commit("main", "new.txt", "new\n", "after the clone");
    Path mirror = harness.config().cacheRoot().resolve(key + ".git");

    HttpResponse<String> refresh = admin("POST", "/repositories/" + key + "/-/refresh", null);
    assertThat(refresh.statusCode()).isEqualTo(202);
    assertThat(Http.json(refresh).get("refresh").getAsString()).isEqualTo("started");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String main = "";
    while (!main.equals(newCommit) && System.nanoTime() < deadline) {
      main = git.runOk(tmp, "--git-dir", mirror.toString(), "rev-parse", "refs/heads/main")
          .stdout().trim();
      Thread.sleep(20);
    }
    assertThat(main).isEqualTo(newCommit);

    harness.proxy().setUpstreamEnabled(false);
    assertError(admin("POST", "/repositories/" + key + "/-/refresh", null), 409, "switched off");
  }

  @Test
  void switchesTheUpstreamOffAndOn() throws Exception {
    HttpResponse<String> state = admin("GET", "/upstream", null);
    assertThat(state.statusCode()).isEqualTo(200);
    assertThat(Http.json(state).get("enabled").getAsBoolean()).isTrue();
    assertThat(Http.json(state).get("upstream_status").getAsString()).isEqualTo("available");

    HttpResponse<String> off = admin("PUT", "/upstream", "{\"enabled\": false}");
    assertThat(off.statusCode()).isEqualTo(200);
    assertThat(Http.json(off).get("enabled").getAsBoolean()).isFalse();
    assertThat(Http.json(off).get("upstream_status").getAsString()).isEqualTo("disabled");
    assertThat(harness.proxy().isUpstreamEnabled()).isFalse();
    harness.upstream().clearRequests();
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("offline").toString());
    assertThat(harness.upstream().requests()).isEmpty();

    HttpResponse<String> on = admin("PUT", "/upstream", "{\"enabled\":true}");
    assertThat(Http.json(on).get("enabled").getAsBoolean()).isTrue();
    assertThat(harness.proxy().isUpstreamEnabled()).isTrue();
  }

  @Test
  void badUpstreamBodiesAreRefused() throws Exception {
    for (String bad :
        List.of("", "nope", "[]", "{}", "{\"enabled\":\"false\"}", "{\"enabled\":0}",
            "{\"enabled\":null}", "{\"enabled\":true")) {
      assertError(admin("PUT", "/upstream", bad), 400, "{\"enabled\": true}");
    }
    assertError(admin("PUT", "/upstream", "{\"enabled\":false," + " ".repeat(5000) + "}"), 413,
        "larger than");
    HttpResponse<String> wrongMethod = admin("POST", "/upstream", "{\"enabled\":false}");
    assertThat(wrongMethod.statusCode()).isEqualTo(405);
    assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("GET, PUT");
    assertThat(harness.proxy().isUpstreamEnabled()).isTrue();
  }

  @Test
  void theBackupRoutePublishesSnapshotsWhenAStoreIsConfigured() throws Exception {
    assertError(admin("POST", "/backup", null), 409, "no snapshot store");

    harness.startProxy(
        b -> authorizers(b).snapshotStore(SnapshotStore.filesystem(tmp.resolve("store"))));
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("published").toString());
    HttpResponse<String> backup = admin("POST", "/backup", null);
    assertThat(backup.statusCode()).as(backup.body()).isEqualTo(200);
    JsonObject report = Http.json(backup);
    assertThat(report.getAsJsonArray("published").toString()
        + report.getAsJsonArray("up_to_date")).contains(key); // or the schedule's run published it
    assertThat(report.getAsJsonArray("failed")).isEmpty();
    assertThat(report.get("ls_refs_entries").getAsInt()).isBetween(0, 1);
    assertThat(harness.counterCount("snapshots.ls-refs-written")).isEqualTo(1); // here or before

    JsonObject again = Http.json(admin("POST", "/snapshots", null));
    assertThat(again.getAsJsonArray("published")).isEmpty();
    assertThat(again.getAsJsonArray("up_to_date").toString()).contains(key);
    assertThat(harness.counterCount("snapshots.published")).isEqualTo(1);
  }
}
