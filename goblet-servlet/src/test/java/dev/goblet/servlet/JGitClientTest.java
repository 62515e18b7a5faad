package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.UpstreamRepo;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.api.Git;
import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * JGit as a client of the proxy ({@code Git.cloneRepository()}, fetch, ls-remote), with protocol
 * v0 and v2. JGit takes the protocol version from {@code protocol.version} in the configuration a
 * new repository inherits, the user configuration; each test points JGit's {@link SystemReader} at
 * a user configuration of its own (the seam JGit's own tests use) and restores it afterwards.
 */
class JGitClientTest extends HarnessTestBase {
  private UpstreamRepo repo;
  private SystemReader previousReader;

  @BeforeEach
  void setUp() throws Exception {
    repo = harness.newRepoWithBranchesAndTags("owner/repo");
    harness.startProxy();
    previousReader = SystemReader.getInstance();
  }

  @AfterEach
  void tearDown() throws Exception {
    SystemReader.setInstance(previousReader);
  }

  /** Makes JGit's user configuration a file holding only {@code protocol.version=<version>}. */
  private void useProtocol(int version) throws IOException {
    Path home = Files.createDirectories(tmp.resolve("jgit-home-v" + version));
    Files.writeString(home.resolve(".gitconfig"), "[protocol]\n\tversion = " + version + "\n");
    File userConfig = home.resolve(".gitconfig").toFile();
    File none = home.resolve("no-such-config").toFile();
    SystemReader.setInstance(
        new SystemReader.Delegate(previousReader) {
          @Override
          public FileBasedConfig openUserConfig(Config parent, FS fs) {
            return new FileBasedConfig(parent, userConfig, fs);
          }

          @Override
          public FileBasedConfig openSystemConfig(Config parent, FS fs) {
            return new FileBasedConfig(parent, none, fs);
          }

          @Override
          public FileBasedConfig openJGitConfig(Config parent, FS fs) {
            return new FileBasedConfig(parent, none, fs);
          }
        });
  }

  private Git cloneThroughProxy(String name, int depth) throws Exception {
    var clone =
        Git.cloneRepository()
            .setURI(harness.proxyUrl("owner/repo"))
            .setDirectory(harness.dir(name).toFile());
    if (depth > 0) {
      clone.setDepth(depth);
    }
    return clone.call();
  }


  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void cloneGetsTheUpstreamsHeadBranchesAndTags(int version) throws Exception {
    useProtocol(version);
    try (Git clone = cloneThroughProxy("clone", 0)) {
      Repository local = clone.getRepository();
      assertThat(local.getConfig().getString("protocol", null, "version"))
          .isEqualTo(String.valueOf(version));
      assertThat(local.resolve(Constants.HEAD).name()).isEqualTo(repo.resolve("main"));
      assertThat(local.exactRef(Constants.HEAD).getTarget().getName()).isEqualTo("refs/heads/main");
      assertThat(local.resolve("refs/remotes/origin/feature").name())
          .isEqualTo(repo.resolve("feature"));
      assertThat(local.resolve("refs/tags/v1.0").name()).isEqualTo(repo.resolve("v1.0"));
      assertThat(local.resolve("refs/tags/light").name()).isEqualTo(repo.resolve("feature"));
    }
    // A v2 client starts with the capability advertisement (no command); a v0 client with the
    // ref advertisement, which is an ls-refs.
    int capabilityAdvertisements = version == 2 ? 1 : 0;
    assertThat(harness.timerCount(capabilityAdvertisements, "inbound.not-a-command.none.ok"))
        .isEqualTo(capabilityAdvertisements);
    assertThat(harness.timerCount(1, "inbound.ls-refs.queried-upstream.ok")).isEqualTo(1);
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void fetchGetsANewUpstreamCommit(int version) throws Exception {
    useProtocol(version);
    try (Git clone = cloneThroughProxy("clone", 0)) {
      String newCommit = repo.commit("main", "new.txt", "new\n", "second commit");
      clone.fetch().call();
      assertThat(clone.getRepository().resolve("refs/remotes/origin/main").name())
          .isEqualTo(newCommit);
    }
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void shallowCloneHasOneCommit(int version) throws Exception {
    useProtocol(version);
    try (Git clone = cloneThroughProxy("shallow", 1);
        RevWalk walk = new RevWalk(clone.getRepository())) {
      walk.markStart(walk.parseCommit(clone.getRepository().resolve(Constants.HEAD)));
      int commits = 0;
      while (walk.next() != null) {
        commits++;
      }
      assertThat(commits).isEqualTo(1);
      assertThat(clone.getRepository().getObjectDatabase().getShallowCommits())
          .extracting(id -> id.name())
          .containsExactlyInAnyOrder(repo.resolve("main"), repo.resolve("feature"));
    }
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void lsRemoteListsTheUpstreamsRefs(int version) throws Exception {
    useProtocol(version);
    try (Git clone = cloneThroughProxy("clone", 0)) {
      Map<String, String> listed = new TreeMap<>();
      for (Ref ref : clone.lsRemote().setRemote(harness.proxyUrl("owner/repo")).call()) {
        listed.put(ref.getName(), ref.getObjectId().name());
      }
      assertThat(listed).isEqualTo(new TreeMap<>(repo.refs()));
    }
  }

  @ParameterizedTest(name = "protocol v{0}")
  @ValueSource(ints = {0, 2})
  void withTheUpstreamStoppedAWarmCacheServesCloneAndFetch(int version) throws Exception {
    useProtocol(version);
    try (Git warm = cloneThroughProxy("warm", 0)) {
      harness.upstream().stop();
      try (Git offline = cloneThroughProxy("offline", 0)) {
        assertThat(offline.getRepository().resolve(Constants.HEAD).name())
            .isEqualTo(repo.resolve("main"));
      }
      warm.fetch().call();
    }
    assertThat(harness.timerCount(2, "inbound.ls-refs.served-from-cache.ok"))
        .isGreaterThanOrEqualTo(2);
  }
}
