package dev.goblet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UpstreamRepoTest {
  @TempDir Path tmp;

  private GitCli git;
  private UpstreamRepo repo;

  @BeforeEach
  void setUp() {
    git = GitCli.create(tmp.resolve("home"));
    repo = UpstreamRepo.create(git, tmp.resolve("upstream"), "owner/repo");
  }

  @Test
  void createsAConfiguredBareRepositoryUnderTheProjectRoot() {
    assertThat(repo.dir()).isEqualTo(tmp.resolve("upstream/owner/repo.git").toAbsolutePath());
    assertThat(repo.name()).isEqualTo("owner/repo");
    assertThat(config("core.bare")).isEqualTo("true");
    assertThat(config("uploadpack.allowFilter")).isEqualTo("true");
    assertThat(config("uploadpack.allowAnySHA1InWant")).isEqualTo("true");
    assertThat(config("http.receivepack")).isEqualTo("false");
    assertThat(repo.refs()).isEmpty();
  }

  @Test
  void commitManyBuildsTheRequestedHistory() {
    String tip = repo.commitMany("main", 200, 3);

    assertThat(revListCount(tip)).isEqualTo(200);
    assertThat(repo.resolve("main")).isEqualTo(tip);
    assertThat(git.runOk(repo.dir(), "ls-tree", "-r", "--name-only", tip).stdout().lines())
        .containsExactly("many/file-0.txt", "many/file-1.txt", "many/file-2.txt");

    String next = repo.commit("main", "README.md", "more\n", "after the bulk");
    assertThat(revListCount(next)).isEqualTo(201);
    assertThat(repo.resolve(next + "^")).isEqualTo(tip);
  }

  @Test
  void commitsOnBranchesStartFromHead() {
    String first = repo.commit("main", "a.txt", "a\n", "first");
    String topic = repo.commit("topic", "dir/b.txt", "b\n", "on topic");
    String second = repo.commit("main", "a.txt", "a2\n", "second");

    assertThat(repo.resolve(topic + "^")).isEqualTo(first);
    assertThat(repo.resolve(second + "^")).isEqualTo(first);
    assertThat(git.runOk(repo.dir(), "show", second + ":a.txt").stdout()).isEqualTo("a2\n");
    assertThat(git.run(repo.dir(), "cat-file", "-e", second + ":dir/b.txt").succeeded()).isFalse();
    assertThat(repo.commit("main", "a.txt", "a2\n", "unchanged")).isNotEqualTo(second);
  }

  @Test
  void inProcessCommitsKeepTheRestOfTheTreeAndAreFsckClean() {
    assertThat(repo.commitInProcess("main", "a.txt", "a\n", "root")).isEqualTo(repo.resolve("main"));
    String first = repo.commit("main", "dir/b.txt", "b\n", "first");
    String topic = repo.commitInProcess("topic", "dir/c.txt", "c\n", "on topic");
    String second = repo.commitInProcess("main", "a.txt", "a2\n", "second");

    assertThat(repo.resolve(topic + "^")).isEqualTo(first);
    assertThat(repo.resolve(second + "^")).isEqualTo(first);
    assertThat(repo.resolve("main")).isEqualTo(second);
    assertThat(git.runOk(repo.dir(), "ls-tree", "-r", "--name-only", second).stdout().lines())
        .containsExactly("a.txt", "dir/b.txt");
    assertThat(git.runOk(repo.dir(), "show", second + ":a.txt").stdout()).isEqualTo("a2\n");
    assertThat(git.runOk(repo.dir(), "show", topic + ":dir/c.txt").stdout()).isEqualTo("c\n");
    assertThat(git.runOk(repo.dir(), "log", "-1", "--format=%s", second).stdout().strip())
        .isEqualTo("second");
    git.runOk(repo.dir(), "fsck", "--strict");
    // The work clone of commit() starts from what was committed in process.
    assertThat(repo.resolve(repo.commit("main", "d.txt", "d\n", "after") + "^")).isEqualTo(second);
  }

  @Test
  void annotatedTagsPeelToTheirCommit() {
    String commit = repo.commit("main", "a.txt", "a\n", "first");

    repo.tag("v1", commit, true);
    repo.tag("light", commit, false);

    String tagObject = repo.resolve("v1");
    assertThat(tagObject).isNotEqualTo(commit);
    assertThat(git.runOk(repo.dir(), "cat-file", "-t", "v1").stdout().strip()).isEqualTo("tag");
    assertThat(repo.resolve("v1^{}")).isEqualTo(commit);
    assertThat(repo.resolve("light")).isEqualTo(commit);
    assertThat(repo.refs())
        .containsEntry("HEAD", commit)
        .containsEntry("refs/heads/main", commit)
        .containsEntry("refs/tags/v1", tagObject)
        .containsEntry("refs/tags/light", commit);
  }

  @Test
  void movesHeadAndDeletesRefs() {
    String main = repo.commit("main", "a.txt", "a\n", "first");
    String topic = repo.commit("topic", "b.txt", "b\n", "second");

    repo.setHead("topic");
    assertThat(repo.resolve("HEAD")).isEqualTo(topic);

    repo.setHead("main");
    repo.deleteRef("refs/heads/topic");
    assertThat(repo.refs()).containsOnlyKeys("HEAD", "refs/heads/main").containsEntry("HEAD", main);
    assertThatThrownBy(() -> repo.resolve("topic")).isInstanceOf(AssertionError.class);
  }

  private String config(String key) {
    return git.runOk(repo.dir(), "config", "--get", key).stdout().strip();
  }

  private int revListCount(String rev) {
    return Integer.parseInt(git.runOk(repo.dir(), "rev-list", "--count", rev).stdout().strip());
  }
}
