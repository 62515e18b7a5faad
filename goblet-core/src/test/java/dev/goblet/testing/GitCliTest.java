package dev.goblet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitCliTest {
  @TempDir Path tmp;

  private GitCli git;

  @BeforeEach
  void setUp() {
    git = GitCli.create(tmp.resolve("home"));
  }

  @Test
  void runsInAnIsolatedHome() {
    assertThat(git.home()).isEqualTo(tmp.resolve("home"));
    assertThat(globalConfig("user.name")).isEqualTo(GitCli.USER_NAME);
    assertThat(globalConfig("user.email")).isEqualTo(GitCli.USER_EMAIL);
    assertThat(globalConfig("init.defaultBranch")).isEqualTo("main");
    assertThat(globalConfig("protocol.version")).isEqualTo("2");
    assertThat(git.runOk(tmp, "config", "--show-origin", "--get", "user.name").stdout())
        .contains(tmp.resolve("home/.gitconfig").toString());
  }

  @Test
  void withEnvAddsAVariableToACopy() {
    GitCli other = git.withEnv("GIT_AUTHOR_NAME", "Someone Else");

    assertThat(other.runOk(tmp, "var", "GIT_AUTHOR_IDENT").stdout()).startsWith("Someone Else <");
    assertThat(git.runOk(tmp, "var", "GIT_AUTHOR_IDENT").stdout()).startsWith(GitCli.USER_NAME + " <");
  }

  @Test
  void feedsStandardInput() {
    git.runOk(tmp, "init", "-q", "repo");

    String id =
        git.runOkWithInput(
                tmp.resolve("repo"), "hello\n".getBytes(StandardCharsets.UTF_8),
                "hash-object", "-w", "--stdin")
            .stdout()
            .strip();

    assertThat(git.runOk(tmp.resolve("repo"), "cat-file", "-p", id).stdout()).isEqualTo("hello\n");
  }

  @Test
  void runOkReportsAFailedCommand() {
    GitCli.Result failed = git.run(tmp, "rev-parse", "--verify", "HEAD");
    assertThat(failed.succeeded()).isFalse();
    assertThat(failed.exitCode()).isEqualTo(128);

    assertThatThrownBy(() -> git.runOk(tmp, "rev-parse", "--verify", "HEAD"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("git rev-parse --verify HEAD")
        .hasMessageContaining("exited with 128")
        .hasMessageContaining("not a git repository");
  }

  @Test
  void killsACommandThatOutlivesItsTimeout() {
    GitCli impatient = git.withTimeout(Duration.ofSeconds(1));
    long started = System.nanoTime();

    // A shell alias: git starts sh, which starts sleep; all of them must die.
    assertThatThrownBy(() -> impatient.run(tmp, "-c", "alias.nap=!sleep 60", "nap"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("did not finish within PT1S");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
  }

  private String globalConfig(String key) {
    return git.runOk(tmp, "config", "--global", "--get", key).stdout().strip();
  }
}
