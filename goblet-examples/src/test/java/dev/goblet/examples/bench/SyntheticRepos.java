package dev.goblet.examples.bench;

import dev.goblet.testing.GitCli;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Random;

/**
 * Builds the benchmark repositories with {@code git fast-import}, deterministically (fixed seeds),
 * and keeps them between runs: a history of realistic shape (many commits over thousands of files,
 * mostly incompressible content, repacked with bitmaps) and a variant with tens of thousands of
 * Gerrit-style refs.
 */
final class SyntheticRepos {
  private final GitCli git;
  private final Path dataDir;

  SyntheticRepos(GitCli git, Path dataDir) {
    this.git = git.withTimeout(Duration.ofMinutes(30));
    this.dataDir = dataDir;
  }

  /** The shape of the repositories of one benchmark scale. */
  record Shape(int commits, int files, int fileBytes, int filesPerCommit, int changeBytes, int refs) {}

  /**
   * @return {@code <dataDir>/<name>.git}, built if it is not there yet: {@code commits} commits on
   *     main touching {@code filesPerCommit} of {@code files} files each, then repacked with bitmaps
   */
  Path history(String name, Shape shape) {
    Path repo = dataDir.resolve(name + ".git");
    if (Files.isRegularFile(repo.resolve("bench-complete"))) {
      return repo;
    }
    init(repo);
    Random random = new Random(7);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    for (int c = 1; c <= shape.commits(); c++) {
      commitHeader(stream, "refs/heads/main", c, c > 1 ? c - 1 : 0, "commit " + c);
      int touched = c == 1 ? shape.files() : shape.filesPerCommit();
      int size = c == 1 ? shape.fileBytes() : shape.changeBytes();
      for (int f = 0; f < touched; f++) {
        int file = c == 1 ? f : random.nextInt(shape.files());
        modify(stream, "src/dir" + (file % 64) + "/file" + file + ".txt", randomText(random, size));
      }
    }
    write(stream, "reset refs/heads/release\nfrom :" + (shape.commits() / 2) + "\n\n");
    write(stream, "reset refs/tags/v1.0\nfrom :" + (shape.commits() / 4) + "\n\n");
    importAndRepack(repo, stream);
    return repo;
  }

  /**
   * @return a repository with a short history and {@code shape.refs()} refs: Gerrit-style {@code
   *     refs/changes/NN/NNNN/P}, plus branches and tags
   */
  Path manyRefs(String name, Shape shape) {
    Path repo = dataDir.resolve(name + ".git");
    if (Files.isRegularFile(repo.resolve("bench-complete"))) {
      return repo;
    }
    init(repo);
    Random random = new Random(11);
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    int commits = Math.max(10, shape.refs() / 10);
    for (int c = 1; c <= commits; c++) {
      commitHeader(stream, "refs/heads/main", c, c > 1 ? c - 1 : 0, "commit " + c);
      modify(stream, "file" + (c % 50) + ".txt", randomText(random, 64));
    }
    int heads = Math.max(1, shape.refs() / 500);
    int tags = Math.max(1, shape.refs() / 100);
    int changes = shape.refs() - heads - tags;
    for (int i = 0; i < changes; i++) {
      int change = 1 + i / 3;
      String ref = String.format("refs/changes/%02d/%d/%d", change % 100, change, 1 + i % 3);
      write(stream, "reset " + ref + "\nfrom :" + (1 + random.nextInt(commits)) + "\n\n");
    }
    for (int i = 0; i < heads; i++) {
      write(stream, "reset refs/heads/branch-" + i + "\nfrom :" + (1 + random.nextInt(commits))
          + "\n\n");
    }
    for (int i = 0; i < tags; i++) {
      write(stream, "reset refs/tags/v" + i + "\nfrom :" + (1 + random.nextInt(commits)) + "\n\n");
    }
    importAndRepack(repo, stream);
    return repo;
  }

  private void init(Path repo) {
    git.runOk(dataDir, "init", "--bare", "--quiet", repo.toString());
    git.runOk(repo, "config", "uploadpack.allowFilter", "true");
    git.runOk(repo, "config", "uploadpack.allowAnySHA1InWant", "true");
    git.runOk(repo, "config", "http.receivepack", "false");
  }

  private void importAndRepack(Path repo, ByteArrayOutputStream stream) {
    git.runOkWithInput(repo, stream.toByteArray(), "fast-import", "--quiet");
    git.runOk(repo, "symbolic-ref", "HEAD", "refs/heads/main");
    git.runOk(repo, "repack", "-a", "-d", "-b", "-q");
    git.runOk(repo, "pack-refs", "--all");
    try {
      Files.writeString(repo.resolve("bench-complete"), "built\n");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static void commitHeader(
      ByteArrayOutputStream out, String ref, int mark, int parent, String message) {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    write(out, "commit " + ref + "\nmark :" + mark + "\n");
    write(out, "committer Bench <bench@goblet.dev> " + (1_700_000_000L + mark * 60L) + " +0000\n");
    write(out, "data " + text.length + "\n");
    out.writeBytes(text);
    write(out, "\n");
    if (parent > 0) {
      write(out, "from :" + parent + "\n");
    }
  }

  private static void modify(ByteArrayOutputStream out, String path, byte[] content) {
    write(out, "M 100644 inline " + path + "\ndata " + content.length + "\n");
    out.writeBytes(content);
    write(out, "\n");
  }

  /** Base64 of random bytes: text, like source, but barely compressible, like real history. */
  private static byte[] randomText(Random random, int size) {
    byte[] raw = new byte[Math.max(1, size * 3 / 4)];
    random.nextBytes(raw);
    return Base64.getMimeEncoder().encode(raw);
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }
}
