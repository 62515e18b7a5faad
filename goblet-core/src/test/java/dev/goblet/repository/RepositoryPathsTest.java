package dev.goblet.repository;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RepositoryPathsTest {
  private static final Path ROOT = Path.of("/var/cache/goblet");

  @Test
  void mapsHostPortAndPathUnderTheRoot() {
    assertThat(RepositoryPaths.key(URI.create("https://GitHub.com/owner/repo")))
        .isEqualTo("github.com/owner/repo");
    assertThat(RepositoryPaths.directory(ROOT, URI.create("http://127.0.0.1:9000/a/b")))
        .isEqualTo(ROOT.resolve("127.0.0.1_9000/a/b.git"));
  }

  @Test
  void refusesAnythingThatCouldLeaveTheRoot() {
    for (String bad :
        new String[] {
          "https://github.com/../etc", "https://github.com/a/./b", "https://github.com/",
          "https://github.com/a//b", "https://github.com/.ssh/x", "https://github.com/a/b.lock",
          "https://user@github.com/a", "https://github.com/a?x=1", "file:///etc/passwd",
          "https://github.com/a%2fb", "https://github.com/a/b.git"
        }) {
      assertThatThrownBy(() -> RepositoryPaths.directory(ROOT, URI.create(bad)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void recognizesWellFormedKeysOnly() {
    assertThat(RepositoryPaths.isValidKey("github.com/owner/repo")).isTrue();
    assertThat(RepositoryPaths.isValidKey("127.0.0.1_9000/a/b/c")).isTrue();
    assertThat(RepositoryPaths.isValidKey(RepositoryPaths.key(URI.create("http://h:1/x")))).isTrue();
    for (String bad :
        new String[] {
          "", "github.com", "github.com/", "github.com/owner/", "/owner/repo", "github.com//repo",
          "github.com/../etc", "github.com/./x", "github.com/.ssh", "github.com/a/repo.git",
          "GitHub.com/owner/repo", "host_0/a", "host_65536/a", "host_123456/a", "host_x/a", "-host/a",
          "github.com/a\\b", "github.com/a b", "github.com/a/-/ls-refs"
        }) {
      assertThat(RepositoryPaths.isValidKey(bad)).as(bad).isFalse();
    }
  }
}
