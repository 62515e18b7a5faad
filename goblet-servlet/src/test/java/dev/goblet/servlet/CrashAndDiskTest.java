package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.GitCli;
import dev.goblet.testing.OpenFiles;
import dev.goblet.testing.Requirements;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Crashes mid-write, a full disk and a read-only cache root: the last good state loads, errors are
 * clear, and what can still be served is served. The disk tests mount a small tmpfs as the cache
 * root, so they need root (as CI has); without it they are skipped, see {@link Requirements}.
 */
class CrashAndDiskTest extends HarnessTestBase {
  private Path cacheRoot;
  private boolean mounted;

  @BeforeEach
  void setUp() throws Exception {
    harness.newRepo("owner/warm").commitMany("main", 5, 2);
    harness.newRepo("owner/cold");
    cacheRoot = tmp.resolve("cache");
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
    if (mounted) {
      run("umount", "-l", cacheRoot.toString());
    }
  }

  private void mountSmallDisk() {
    Requirements.root("mounts a small tmpfs as the cache root");
    try {
      Files.createDirectories(cacheRoot);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    run("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", cacheRoot.toString());
    mounted = true;
  }

  /** Runs a command, which must succeed (for mounting test disks). */
  static void run(String... command) {
    try {
      Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
      String output = new String(process.getInputStream().readAllBytes());
      assertThat(process.waitFor()).as(String.join(" ", command) + ": " + output).isZero();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private Path clone(String name, String dir) {
    Path target = harness.dir(dir);
    git.runOk(tmp, "clone", harness.proxyUrl(name), target.toString());
    return target;
  }

  private GitCli.Result tryClone(String name, String dir) {
    return git.run(tmp, "clone", harness.proxyUrl(name), harness.dir(dir).toString());
  }

  @Test
  void leftoversOfACrashedWriteAreCleanedAndTheLastGoodStateLoads() throws Exception {
    harness.startProxy();
    clone("owner/warm", "before");
    harness.stopProxy();
    Path cacheFiles = harness.config().lsRefsCachePath();
    Path goodFile; // a listing file, in its repository's directory
    try (Stream<Path> files = Files.walk(cacheFiles, 2)) {
      goodFile = files.filter(p -> p.toString().endsWith(".json")).findFirst().orElseThrow();
    }
    Path partialTemp = goodFile.resolveSibling(goodFile.getFileName() + "12345.tmp");
    Files.writeString(partialTemp, "{\"version\":2,\"repository\":\"owner/wa"); // cut mid-write
    Path mirrorParent;
    try (Stream<Path> dirs = Files.walk(cacheRoot, 4)) {
      mirrorParent =
          dirs.filter(p -> p.getFileName().toString().equals("warm.git")).findFirst().orElseThrow()
              .getParent();
    }
    Path halfMadeMirror = Files.createDirectories(mirrorParent.resolve(".tmp-42"));
    Files.writeString(halfMadeMirror.resolve("HEAD"), "ref: refs/heads/main\n");

    harness.upstream().stop();
    harness.startProxy();
    Path after = clone("owner/warm", "after");

    git.runOk(after, "fsck");
    assertThat(partialTemp).doesNotExist();
    assertThat(halfMadeMirror).doesNotExist();
    assertThat(goodFile).exists();
  }

  @Test
  void aFullDiskGivesAClearErrorAndWarmRepositoriesAreStillServed() throws Exception {
    mountSmallDisk();
    harness.startProxy();
    clone("owner/warm", "before");
    Path filler = cacheRoot.resolve("filler");
    try (OutputStream out = Files.newOutputStream(filler)) {
      byte[] block = new byte[1 << 16];
      while (true) {
        out.write(block);
      }
    } catch (IOException full) {
      // the disk is full now
    }

    clone("owner/warm", "during");
    GitCli.Result cold = tryClone("owner/cold", "cold");
    assertThat(cold.exitCode()).isNotZero();
    assertThat(cold.stderr()).contains("remote error").contains("No space left on device")
        .doesNotContain("internal server error");

    Files.delete(filler);
    clone("owner/cold", "cold-after");
  }

  @Test
  void aReadOnlyCacheRootGivesAClearErrorAndWarmRepositoriesAreStillServed() throws Exception {
    mountSmallDisk();
    harness.startProxy();
    clone("owner/warm", "before");
    harness.stopProxy();
    // What made the remount fail ("mount point is busy") when the proxy's background work outlived
    // close(): a file still open under the root, for writing or deleted.
    assertThat(OpenFiles.under(cacheRoot)).isEmpty();
    run("mount", "-o", "remount,ro", cacheRoot.toString());
    harness.startProxy(); // starts on the read-only root, serving what it holds

    clone("owner/warm", "during");
    GitCli.Result cold = tryClone("owner/cold", "cold");
    assertThat(cold.exitCode()).isNotZero();
    assertThat(cold.stderr()).contains("remote error").contains("Read-only file system");
    assertThat(
            List.of(Files.readString(Path.of("target", "test.log")).split("\n")).stream()
                .filter(line -> line.contains("cannot persist") || line.contains("Read-only"))
                .count())
        .isPositive();
  }
}
