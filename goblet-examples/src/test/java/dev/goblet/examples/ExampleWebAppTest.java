package dev.goblet.examples;

import static dev.goblet.examples.ExampleClients.assertClonedMain;
import static dev.goblet.examples.ExampleClients.repoUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.io.FileTrees;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.RecordedRequest;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The example WAR ({@code src/main/webapp}, {@link ExampleWebApp}) deployed in Jetty 12 and in
 * Tomcat 11 the way a container deploys it, configured by context parameters as an operator
 * would, and used by the real {@code git} CLI against a real upstream.
 */
class ExampleWebAppTest extends UpstreamTestBase {
  private static final Path WAR = Path.of("src/main/webapp");

  private Path cacheRoot() {
    return tmp.resolve("cache");
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void clonesThroughTheWarIntoItsCacheRoot(Container container) throws Exception {
    UpstreamRepo repo = harness.newRepo("team/project");
    repo.commitMany("main", 20, 2);

    Map<String, String> settings = settings();
    settings.put("goblet.adminToken",
        "file:" + Files.writeString(tmp.resolve("admin-token"), "adm1n-t0ken\n"));

    try (Deployment app = container.deploy(war(settings))) {
      Path clone = harness.dir("clone");
      git.runOk(tmp, "clone", repoUrl(app.baseUrl(), harness.upstream(), "team/project"),
          clone.toString());

      assertClonedMain(git, clone, repo);

      HttpResponse<String> health = get(app.baseUrl() + "/healthz");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"status\":\"healthy\"").contains("\"ready\":true");
      assertThat(get(app.baseUrl() + "/metrics").body())
          .contains("goblet.inbound.ls-refs.queried-upstream.ok");
      assertThat(get(app.baseUrl() + "/admin/repositories").statusCode()).isEqualTo(401);
      assertThat(get(app.baseUrl() + "/admin/repositories", "Bearer adm1n-t0ken").body())
          .contains("team/project").contains("\"ref_count\"");
    }
    String hostDir = "127.0.0.1_" + URI.create(harness.upstream().baseUrl()).getPort();
    assertThat(cacheRoot().resolve(hostDir).resolve("team/project.git")).isDirectory();
    assertThat(harness.upstream().fetchCount()).isPositive();
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void keepsTheCacheWithinTheBudgetSetting(Container container) throws Exception {
    int repositories = 10;
    for (int i = 0; i < repositories; i++) {
      harness.newRepo("team/repo-" + i).commitRandom("main", 1, 300_000, i);
    }
    long budget = 1_100_000; // room for about three of these mirrors
    Map<String, String> settings = settings();
    settings.put("goblet.cacheMaxBytes", Long.toString(budget));
    String hostDir = "127.0.0.1_" + URI.create(harness.upstream().baseUrl()).getPort();
    Path mirrors = cacheRoot().resolve(hostDir).resolve("team");

    try (Deployment app = container.deploy(war(settings))) {
      for (int i = 0; i < repositories; i++) {
        git.runOk(tmp, "clone", "-q", repoUrl(app.baseUrl(), harness.upstream(), "team/repo-" + i),
            harness.dir("clone-" + i).toString());
      }
      // Maintenance after each fetch evicts the least recently served; wait for the last one.
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (FileTrees.sizeOf(mirrors) > budget && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertThat(FileTrees.sizeOf(mirrors)).isLessThanOrEqualTo(budget);
      assertThat(mirrors.resolve("repo-0.git")).doesNotExist();
      assertThat(mirrors.resolve("repo-9.git")).isDirectory();

      // An evicted repository is simply cold again.
      Path again = harness.dir("again");
      git.runOk(tmp, "clone", "-q", repoUrl(app.baseUrl(), harness.upstream(), "team/repo-0"),
          again.toString());
      git.runOk(again, "fsck", "--strict");
    }
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void refusesAnUpstreamThatIsNotAllowed(Container container) throws Exception {
    harness.newRepo("team/project");
    Map<String, String> settings = settings();
    settings.put("goblet.upstreams", "https://github.com");

    try (Deployment app = container.deploy(war(settings))) {
      GitCli.Result refused =
          git.run(tmp, "clone", repoUrl(app.baseUrl(), harness.upstream(), "team/project"),
              harness.dir("refused").toString());

      assertThat(refused.exitCode()).isNotZero();
      assertThat(refused.stderr()).contains("403");
    }
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void presentsTheUpstreamTokenSetting(Container container) throws Exception {
    UpstreamRepo repo = harness.newRepo("team/project");
    harness.upstream().requireBearerToken("upstream-t0ken");
    Map<String, String> settings = settings();
    Path tokenFile = Files.writeString(tmp.resolve("upstream-token"), "upstream-t0ken\n");
    settings.put("goblet.upstreamTokens", harness.upstream().baseUrl() + "=file:" + tokenFile);

    try (Deployment app = container.deploy(war(settings))) {
      Path clone = harness.dir("clone");
      git.runOk(tmp, "clone", repoUrl(app.baseUrl(), harness.upstream(), "team/project"),
          clone.toString());

      assertClonedMain(git, clone, repo);
    }
    List<RecordedRequest> requests = harness.upstream().requests();
    assertThat(requests).isNotEmpty()
        .allSatisfy(r -> assertThat(r.header("Authorization")).isEqualTo("Bearer upstream-t0ken"));
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void withoutAnAdminTokenTheAdminApiIsClosed(Container container) throws Exception {
    try (Deployment app = container.deploy(war(settings()))) {
      HttpResponse<String> closed = get(app.baseUrl() + "/admin/repositories");
      assertThat(closed.statusCode()).isEqualTo(403);
      assertThat(closed.body()).contains("the admin API is closed");
      assertThat(get(app.baseUrl() + "/admin/upstream", "Bearer anything").statusCode())
          .isEqualTo(403);
    }
  }

  @ParameterizedTest
  @EnumSource(Container.class)
  void aBadSettingFailsTheDeployment(Container container) {
    Map<String, String> settings = settings();
    settings.put("goblet.offlineMode", "sometimes");

    assertThatThrownBy(() -> container.deploy(war(settings)).close()).isInstanceOf(Exception.class);
  }

  private static HttpResponse<String> get(String url) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static HttpResponse<String> get(String url, String authorization) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", authorization).build(),
            HttpResponse.BodyHandlers.ofString());
  }

  private Map<String, String> settings() {
    Map<String, String> settings = new HashMap<>();
    settings.put("goblet.cacheRoot", cacheRoot().toString());
    settings.put("goblet.upstreams", harness.upstream().baseUrl());
    return settings;
  }

  private WebApp war(Map<String, String> contextParameters) {
    return new WebApp(WAR, contextParameters, List.of(), tmp.resolve("container"));
  }
}
