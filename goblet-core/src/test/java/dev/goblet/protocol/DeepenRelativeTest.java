package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The translation of deepen-relative into an absolute depth, on a real repository. */
class DeepenRelativeTest {
  @TempDir Path tmp;
  private GitCli git;
  private UpstreamRepo upstream;
  private FileRepository repo;

  @BeforeEach
  void setUp() throws Exception {
    git = GitCli.create(tmp.resolve("home"));
    upstream = UpstreamRepo.create(git, tmp.resolve("projects"), "owner/repo");
    upstream.commitMany("main", 10, 1);
    repo = new FileRepository(upstream.dir().toFile());
  }

  @AfterEach
  void tearDown() {
    repo.close();
  }

  private ObjectId id(String rev) {
    return ObjectId.fromString(upstream.resolve(rev));
  }

  private int absolute(List<ObjectId> wants, List<ObjectId> shallows, int relative)
      throws Exception {
    return DeepenRelative.absoluteDepth(repo, wants, shallows, relative);
  }

  @Test
  void aShallowCommitDGenerationsBelowTheWantGetsDPlusOnePlusN() throws Exception {
    assertThat(absolute(List.of(id("main")), List.of(id("main")), 2)).isEqualTo(3);
    assertThat(absolute(List.of(id("main")), List.of(id("main~3")), 2)).isEqualTo(6);
    // Shallow commits at several distances: the deepest decides.
    assertThat(absolute(List.of(id("main")), List.of(id("main~1"), id("main~4")), 1))
        .isEqualTo(6);
  }

  @Test
  void annotatedTagsArePeeledAndMissingOrUnreachableObjectsAreIgnored() throws Exception {
    upstream.tag("v1", "main~2", true);
    ObjectId tag = id("refs/tags/v1");
    assertThat(absolute(List.of(tag), List.of(id("main~2")), 2)).isEqualTo(3);

    ObjectId missing = ObjectId.fromString("1".repeat(40));
    assertThat(absolute(List.of(missing, id("main")), List.of(id("main")), 1)).isEqualTo(2);

    String feature = upstream.commit("feature", "f.txt", "f\n", "feature");
    assertThat(absolute(List.of(id("main")), List.of(ObjectId.fromString(feature)), 1))
        .as("no shallow commit is reachable: no limit, as git does")
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void distancesAreTheShortestPathThroughMerges() throws Exception {
    Path work = tmp.resolve("work");
    git.runOk(tmp, "clone", "-q", upstream.dir().toString(), work.toString());
    git.runOk(work, "checkout", "-q", "-b", "side", "main~6");
    git.runOk(work, "commit", "-q", "--allow-empty", "-m", "side");
    git.runOk(work, "checkout", "-q", "main");
    git.runOk(work, "merge", "-q", "--no-ff", "-m", "merge", "side");
    git.runOk(work, "push", "-q", "origin", "main");

    // main~6 is 7 generations below the merge along main, 2 along the side branch.
    assertThat(absolute(List.of(id("main")), List.of(id("main^2~1")), 1)).isEqualTo(2 + 1 + 1);
  }

  @Test
  void withoutADepthThereIsNothingToTranslate() throws Exception {
    assertThat(absolute(List.of(id("main")), List.of(id("main")), 0)).isZero();
  }

  @Test
  void hugeDepthsDoNotOverflow() throws Exception {
    assertThat(absolute(List.of(id("main")), List.of(id("main~3")), Integer.MAX_VALUE))
        .isEqualTo(Integer.MAX_VALUE);
  }

  @Test
  void aWalkPastTheBoundIsRefusedWithAClearMessage() throws Exception {
    ObjectId unreachable = ObjectId.fromString("1".repeat(40));
    assertThatThrownBy(
            () -> DeepenRelative.absoluteDepth(repo, List.of(id("main")), List.of(unreachable), 1, 5))
        .isInstanceOfSatisfying(
            GobletException.class, e -> assertThat(e.status()).isEqualTo(Status.BAD_REQUEST))
        .hasMessage(
            "deepen-relative would walk more than 5 commits to find the client's shallow commits;"
                + " fetch with --depth <n> instead");
    assertThat(DeepenRelative.absoluteDepth(repo, List.of(id("main")), List.of(unreachable), 1, 10))
        .isEqualTo(Integer.MAX_VALUE);
  }
}
