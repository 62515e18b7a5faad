package dev.goblet.examples;

import static dev.goblet.examples.ExampleClients.assertClonedMain;
import static dev.goblet.examples.ExampleClients.repoUrl;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import dev.goblet.GobletException;
import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.Status;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The README's code example, {@link ProgrammaticExample}, run as a host runs it: mounted from a
 * {@code ServletContainerInitializer} in Jetty 12 and Tomcat 11, cloned through with the real
 * {@code git} CLI from an upstream that demands the upstream token.
 */
class ProgrammaticExampleTest extends UpstreamTestBase {
  private static final String CLIENT_TOKEN = "client-s3cret";
  private static final String UPSTREAM_TOKEN = "upstream-s3cret";

  @ParameterizedTest
  @EnumSource(Container.class)
  void mountedFromCodeServesAuthorizedClones(Container container) throws Exception {
    UpstreamRepo repo = harness.newRepo("team/project");
    harness.upstream().requireBearerToken(UPSTREAM_TOKEN);
    MetricRegistry metrics = new MetricRegistry();
    HealthCheckRegistry health = new HealthCheckRegistry();
    ServerConfig config =
        ProgrammaticExample.config(
            tmp.resolve("cache"),
            List.of(URI.create(harness.upstream().baseUrl())),
            CLIENT_TOKEN,
            Map.of(URI.create(harness.upstream().baseUrl()), () -> UPSTREAM_TOKEN),
            metrics);
    AtomicReference<GobletProxy> proxy = new AtomicReference<>();
    Path docBase = Files.createDirectories(tmp.resolve("webapp"));
    WebApp host =
        new WebApp(
            docBase,
            Map.of(),
            List.of((classes, context) -> proxy.set(ProgrammaticExample.mount(context, config, health))),
            tmp.resolve("container"));

    try (Deployment app = container.deploy(host)) {
      String url = repoUrl(app.baseUrl() + "/git", harness.upstream(), "team/project");
      GitCli.Result anonymous = git.run(tmp, "clone", url, harness.dir("anonymous").toString());
      assertThat(anonymous.exitCode()).isNotZero();
      assertThat(harness.upstream().requests()).isEmpty();

      Path clone = harness.dir("clone");
      git.runOk(tmp, "-c", "http.extraHeader=Authorization: Bearer " + CLIENT_TOKEN,
          "clone", url, clone.toString());

      assertClonedMain(git, clone, repo);
      assertThat(harness.upstream().requests())
          .allSatisfy(r -> assertThat(r.status()).isNotEqualTo(401));
      assertThat(metrics.getNames()).anyMatch(name -> name.startsWith("goblet."));
      assertThat(health.runHealthCheck("goblet.upstream").isHealthy()).isTrue();

      proxy.get().setUpstreamEnabled(false); // offline mode: still healthy, says why
      HealthCheck.Result offline = health.runHealthCheck("goblet.offline-mode");
      assertThat(offline.isHealthy()).isTrue();
      assertThat(health.runHealthCheck("goblet.upstream").getMessage())
          .isEqualTo("the upstream is switched off");
    } finally {
      if (proxy.get() != null) {
        proxy.get().close();
      }
    }
  }

  @Test
  void gitHubPathsShareOneMirrorWhateverTheirCase() throws Exception {
    UrlCanonicalizer canonicalizer =
        ProgrammaticExample.caseInsensitiveGitHub(
            UrlCanonicalizer.allowList(
                List.of(URI.create("https://github.com"), URI.create("http://127.0.0.1:9000"))));

    assertThat(canonicalizer.canonicalize("/github.com/Owner/Repo.git"))
        .isEqualTo(URI.create("https://github.com/owner/repo"));
    assertThat(canonicalizer.canonicalize("/127.0.0.1:9000/Owner/Repo"))
        .isEqualTo(URI.create("http://127.0.0.1:9000/Owner/Repo"));
    assertThatThrownBy(() -> canonicalizer.canonicalize("/example.com/owner/repo"))
        .isInstanceOfSatisfying(
            GobletException.class, e -> assertThat(e.status()).isEqualTo(Status.FORBIDDEN));
  }
}
