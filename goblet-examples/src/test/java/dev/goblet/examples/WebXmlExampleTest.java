package dev.goblet.examples;

import static dev.goblet.examples.ExampleClients.assertClonedMain;
import static dev.goblet.examples.ExampleClients.repoUrl;
import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.UpstreamRepo;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The README's {@code web.xml} (src/test/resources/web-xml-example/WEB-INF/web.xml): the no-argument
 * {@code GobletServlet} configured by init parameters, mounted at {@code /git/*}. Deployed as
 * written in Jetty 12 and Tomcat 11, with only its cache root and upstream list pointed at this
 * test's directory and upstream.
 */
class WebXmlExampleTest extends UpstreamTestBase {
  private static final String EXAMPLE = "/web-xml-example/WEB-INF/web.xml";
  private static final String EXAMPLE_CACHE_ROOT = "<param-value>/var/cache/goblet</param-value>";
  private static final String EXAMPLE_UPSTREAMS =
      "<param-value>https://github.com,https://gitlab.com</param-value>";

  @ParameterizedTest
  @EnumSource(Container.class)
  void theReadmeWebXmlServesClones(Container container) throws Exception {
    UpstreamRepo repo = harness.newRepo("team/project");
    Path cacheRoot = tmp.resolve("cache");
    Path docBase = webApp(cacheRoot);

    try (Deployment app =
        container.deploy(new WebApp(docBase, Map.of(), List.of(), tmp.resolve("container")))) {
      Path clone = harness.dir("clone");
      git.runOk(tmp, "clone",
          repoUrl(app.baseUrl() + "/git", harness.upstream(), "team/project"), clone.toString());

      assertClonedMain(git, clone, repo);
    }
    try (var mirrors = Files.list(cacheRoot)) {
      assertThat(mirrors).isNotEmpty();
    }
  }

  /** Writes the example's web.xml into a new web app directory, pointed at this test's upstream. */
  private Path webApp(Path cacheRoot) throws Exception {
    String webXml;
    try (InputStream in = WebXmlExampleTest.class.getResourceAsStream(EXAMPLE)) {
      webXml = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(webXml).contains(EXAMPLE_CACHE_ROOT, EXAMPLE_UPSTREAMS);
    webXml =
        webXml
            .replace(EXAMPLE_CACHE_ROOT, "<param-value>" + cacheRoot + "</param-value>")
            .replace(EXAMPLE_UPSTREAMS,
                "<param-value>" + harness.upstream().baseUrl() + "</param-value>");
    Path docBase = tmp.resolve("webapp");
    Files.createDirectories(docBase.resolve("WEB-INF"));
    Files.writeString(docBase.resolve("WEB-INF/web.xml"), webXml, StandardCharsets.UTF_8);
    return docBase;
  }
}
