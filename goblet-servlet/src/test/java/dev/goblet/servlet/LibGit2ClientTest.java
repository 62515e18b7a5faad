package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.Requirements;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * libgit2 as a client of the proxy, through pygit2 from Debian's {@code python3-pygit2} (libgit2
 * speaks protocol v0 only): clone, fetch and ls-remote, online and with the upstream stopped.
 * Runs the system interpreter, {@code /usr/bin/python3}, which has the Debian package (a {@code
 * python3} earlier on the PATH may be another interpreter without it).
 */
class LibGit2ClientTest extends HarnessTestBase {
  private static final String PYTHON = "/usr/bin/python3";

  /** clone URL DIR | fetch DIR | ls-remote DIR (of origin): prints {@code <oid> <name>} lines. */
  private static final String SCRIPT =
      String.join(
          "\n",
          "import sys, pygit2",
          "op = sys.argv[1]",
          "if op == 'clone':",
          "    repo = pygit2.clone_repository(sys.argv[2], sys.argv[3])",
          "    print(repo.head.target, repo.head.name)",
          "elif op == 'fetch':",
          "    repo = pygit2.Repository(sys.argv[2])",
          "    repo.remotes['origin'].fetch()",
          "    main = 'refs/remotes/origin/main'",
          "    print(repo.references[main].target, main)",
          "elif op == 'ls-remote':",
          "    repo = pygit2.Repository(sys.argv[2])",
          "    for head in repo.remotes['origin'].ls_remotes():",
          "        print(head['oid'], head['name'])",
          "");

  private UpstreamRepo repo;

  @BeforeEach
  void setUp() throws Exception {
    Requirements.pythonModule(PYTHON, "pygit2", "python3-pygit2");
    repo = harness.newRepoWithBranchesAndTags("owner/repo");
    harness.startProxy();
  }

  /** Runs the script with {@code args}; fails the test when it fails. @return its output lines */
  private List<String> pygit2(String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(PYTHON, "-c", SCRIPT));
    command.addAll(List.of(args));
    Path out = Files.createTempFile(tmp, "pygit2", ".out");
    Path err = Files.createTempFile(tmp, "pygit2", ".err");
    ProcessBuilder builder =
        new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
    builder.environment().keySet().removeIf(LibGit2ClientTest::isScrubbed);
    builder.environment().put("HOME", git.home().toString()); // the tests' own .gitconfig
    Process process = builder.start();
    if (!process.waitFor(120, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("pygit2 " + args[0] + " did not finish in 120 s");
    }
    if (process.exitValue() != 0) {
      throw new AssertionError(
          "pygit2 " + String.join(" ", args) + " exited with " + process.exitValue() + ":\n"
              + Files.readString(err));
    }
    return Files.readAllLines(out);
  }

  private static boolean isScrubbed(String variable) {
    String name = variable.toUpperCase(java.util.Locale.ROOT);
    return name.startsWith("GIT_") || name.endsWith("_PROXY") || name.startsWith("PYTHON");
  }

  private String headOfDirectClone(String name) {
    Path direct = harness.dir(name);
    git.runOk(tmp, "clone", harness.directUrl("owner/repo"), direct.toString());
    return git.runOk(direct, "rev-parse", "HEAD").stdout().trim();
  }

  @Test
  void cloneGetsTheSameHeadAsADirectClone() throws Exception {
    Path clone = harness.dir("pygit2-clone");
    List<String> head = pygit2("clone", harness.proxyUrl("owner/repo"), clone.toString());

    assertThat(head).containsExactly(headOfDirectClone("direct") + " refs/heads/main");
    assertThat(git.runOk(clone, "rev-parse", "origin/feature").stdout().trim())
        .isEqualTo(repo.resolve("feature"));
    git.runOk(clone, "fsck");
    // libgit2 speaks v0: a ref advertisement (ls-refs) and a fetch, no v2 capability advertisement.
    assertThat(harness.timerCount(1, "inbound.ls-refs.queried-upstream.ok")).isEqualTo(1);
    assertThat(harness.timerCount(0, "inbound.not-a-command.none.ok")).isZero();
  }

  @Test
  void fetchGetsANewUpstreamCommit() throws Exception {
    Path clone = harness.dir("pygit2-clone");
    pygit2("clone", harness.proxyUrl("owner/repo"), clone.toString());
    String newCommit = repo.commit("main", "new.txt", "new\n", "second commit");

    assertThat(pygit2("fetch", clone.toString()))
        .containsExactly(newCommit + " refs/remotes/origin/main");
  }

  @Test
  void lsRemoteListsTheUpstreamsRefs() throws Exception {
    Path clone = harness.dir("pygit2-clone");
    pygit2("clone", harness.proxyUrl("owner/repo"), clone.toString());
    List<String> lines = pygit2("ls-remote", clone.toString());
    Map<String, String> listed = new TreeMap<>();
    lines.stream().filter(line -> !line.endsWith("^{}"))
        .forEach(line -> listed.put(line.substring(41), line.substring(0, 40)));
    assertThat(listed).isEqualTo(new TreeMap<>(repo.refs()));
    assertThat(lines).contains(repo.resolve("v1.0^{}") + " refs/tags/v1.0^{}");
  }

  @Test
  void withTheUpstreamStoppedAWarmCacheServesCloneAndFetch() throws Exception {
    Path warm = harness.dir("pygit2-warm");
    pygit2("clone", harness.proxyUrl("owner/repo"), warm.toString());
    String head = repo.resolve("main");
    harness.upstream().stop();

    Path offline = harness.dir("pygit2-offline");
    assertThat(pygit2("clone", harness.proxyUrl("owner/repo"), offline.toString()))
        .containsExactly(head + " refs/heads/main");
    assertThat(pygit2("fetch", warm.toString()))
        .containsExactly(head + " refs/remotes/origin/main");
    assertThat(harness.counterCount("ls-refs-cache.hits"))
        .isGreaterThanOrEqualTo(2);
  }
}
