package dev.goblet.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.nio.file.Path;

/** What the example tests do as a client: address a repository through a proxy, check a clone. */
final class ExampleClients {
  private ExampleClients() {}

  /**
   * @param proxyBase where the proxy servlet is mounted, such as {@code http://127.0.0.1:8080/git}
   * @param upstream the upstream the repository lives on
   * @param name the repository's name on the upstream
   * @return {@code <proxyBase>/<upstream host:port>/<name>}
   */
  static String repoUrl(String proxyBase, GitUpstreamServer upstream, String name) {
    return proxyBase + "/" + URI.create(upstream.baseUrl()).getAuthority() + "/" + name;
  }

  /** Checks that {@code clone} is a sound, checked-out clone of {@code repo}'s main branch. */
  static void assertClonedMain(GitCli git, Path clone, UpstreamRepo repo) {
    assertThat(git.runOk(clone, "rev-parse", "HEAD").stdout().strip())
        .isEqualTo(repo.resolve("main"));
    assertThat(clone.resolve("README.md")).exists();
    git.runOk(clone, "fsck", "--strict");
  }
}
