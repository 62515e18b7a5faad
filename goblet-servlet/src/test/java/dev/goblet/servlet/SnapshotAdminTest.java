package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import dev.goblet.AdminAuthorizer;
import dev.goblet.RequestAuthorizer;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.Http;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The admin API's snapshot routes and the snapshot metrics. */
class SnapshotAdminTest extends HarnessTestBase {
  private static final String TOKEN = "admin-token-51ab";
  private static final String[] AUTH = {"Authorization", "Bearer " + TOKEN};
  private String key;

  @BeforeEach
  void setUp() throws Exception {
    harness.mount("/admin/*", GobletAdminServlet::new);
    harness.newRepo("owner/repo").commitMany("main", 3, 1);
    git = git.withEnv("GIT_CONFIG_COUNT", "1")
        .withEnv("GIT_CONFIG_KEY_0", "http.extraHeader")
        .withEnv("GIT_CONFIG_VALUE_0", "Authorization: Bearer " + TOKEN);
    key = harness.upstream().baseUrl().substring("http://".length()).replace(':', '_')
        + "/owner/repo";
  }

  private HttpResponse<String> admin(String method) throws Exception {
    return Http.send(method, harness.url("/admin/snapshots"), null, AUTH);
  }

  @Test
  void publishesOnRequestAndListsWhatWasPublished() throws Exception {
    harness.startProxy(b -> b.requestAuthorizer(RequestAuthorizer.bearerToken(TOKEN))
        .adminAuthorizer(AdminAuthorizer.bearerToken(TOKEN))
        .snapshotStore(SnapshotStore.filesystem(tmp.resolve("store"))));
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("c").toString());

    HttpResponse<String> published = admin("POST");
    assertThat(published.statusCode()).as(published.body()).isEqualTo(200);
    HttpResponse<String> listed = admin("GET");
    JsonObject repository =
        Http.json(listed).getAsJsonArray("repositories").get(0).getAsJsonObject();
    assertThat(repository.get("key").getAsString()).isEqualTo(key);
    assertThat(repository.get("generation").getAsLong()).isEqualTo(1);
    assertThat(repository.has("last_published")).isTrue();

    assertThat(harness.counterCount("snapshots.published")).isEqualTo(1);
    assertThat(harness.proxy().metricRegistry()
        .meter(harness.proxy().metricName("snapshots.published-bytes")).getCount())
        .isPositive();
    assertThat(harness.proxy().metricRegistry()
        .timer(harness.proxy().metricName("snapshots.publish")).getCount()).isEqualTo(1);
    assertThat(harness.counterCount("snapshots.ls-refs-written")).isEqualTo(1);
    assertThat(Http.send("GET", harness.url("/admin/snapshots"), null).statusCode())
        .isEqualTo(401);
  }

  @Test
  void withoutAStoreTheRoutesAnswerConflict() throws Exception {
    harness.startProxy(b -> b.requestAuthorizer(RequestAuthorizer.bearerToken(TOKEN))
        .adminAuthorizer(AdminAuthorizer.bearerToken(TOKEN)));
    HttpResponse<String> response = admin("GET");
    assertThat(response.statusCode()).isEqualTo(409);
    assertThat(response.body()).contains("no snapshot store");
    assertThat(admin("DELETE").statusCode()).isEqualTo(405);
  }
}
