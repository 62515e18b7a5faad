package dev.goblet.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEditor;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * A bare repository under a {@link GitUpstreamServer}'s project root, with helpers to give it
 * history and refs. {@code <projectRoot>/<name>.git} is served at {@code
 * server.repoUrl(name)}; the repository allows filters and any SHA-1 in wants, and refuses pushes
 * over HTTP.
 *
 * <p>Commits are made in a private work clone kept in a hidden temporary directory beside the bare
 * repository and pushed to it; {@link #commitMany} writes straight into the bare repository with
 * {@code git fast-import}. A branch that does not exist yet starts at the bare repository's {@code
 * HEAD} commit, or as a root commit if {@code HEAD} is unborn.
 *
 * <p>Thread-safe (methods are serialized).
 */
public final class UpstreamRepo {
  private final GitCli git;
  private final String name;
  private final Path dir;
  private final Path work;

  private UpstreamRepo(GitCli git, String name, Path dir, Path work) {
    this.git = git;
    this.name = name;
    this.dir = dir;
    this.work = work;
  }

  /**
   * Creates the bare repository {@code <projectRoot>/<name>.git} and its work clone.
   *
   * @param name the repository's path below the project root, may contain slashes, e.g. {@code
   *     owner/repo}
   */
  public static UpstreamRepo create(GitCli git, Path projectRoot, String name) {
    Path dir = projectRoot.resolve(name + ".git").toAbsolutePath();
    Path work;
    try {
      Files.createDirectories(dir.getParent());
      work = Files.createTempDirectory(dir.getParent(), "." + dir.getFileName() + "-work-");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create directories for " + dir, e);
    }
    git.runOk(dir.getParent(), "init", "-q", "--bare", dir.toString());
    git.runOk(dir, "config", "uploadpack.allowFilter", "true");
    git.runOk(dir, "config", "uploadpack.allowAnySHA1InWant", "true");
    git.runOk(dir, "config", "http.receivepack", "false");
    git.runOk(work, "init", "-q");
    git.runOk(work, "remote", "add", "origin", dir.toString());
    return new UpstreamRepo(git, name, dir, work);
  }

  /** @return the repository's name below the project root, e.g. {@code owner/repo} */
  public String name() {
    return name;
  }

  /** @return the bare repository's directory, {@code <projectRoot>/<name>.git} */
  public Path dir() {
    return dir;
  }

  /**
   * Commits {@code content} at {@code path} on {@code branch} (creating the branch if needed) and
   * pushes it to the bare repository. The commit is made even if the content is unchanged.
   *
   * @param path a slash-separated path in the tree; parent directories are created
   * @return the new commit id
   */
  public synchronized String commit(String branch, String path, String content, String message) {
    checkOutStartPoint(branch);
    try {
      Path file = work.resolve(path);
      Files.createDirectories(file.getParent());
      Files.writeString(file, content, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + path, e);
    }
    git.runOk(work, "add", "--", path);
    git.runOk(work, "commit", "-q", "--allow-empty", "-m", message);
    git.runOk(work, "push", "-q", "origin", "HEAD:refs/heads/" + branch);
    return git.runOk(work, "rev-parse", "HEAD").stdout().strip();
  }

  /**
   * Like {@link #commit} but without starting a process: JGit writes the blob, trees and commit
   * straight into the bare repository (loose objects) and moves {@code refs/heads/<branch>} from
   * the tip it read, so a test can make hundreds of upstream commits quickly. The branch starts
   * where {@link #commit} would start it.
   *
   * @param path a slash-separated path in the tree; the rest of the parent's tree is kept
   * @return the new commit id
   */
  public synchronized String commitInProcess(
      String branch, String path, String content, String message) {
    try (Repository repo = new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true)
            .build();
        ObjectInserter inserter = repo.newObjectInserter();
        RevWalk walk = new RevWalk(repo)) {
      ObjectId tip = repo.resolve("refs/heads/" + branch + "^{commit}");
      ObjectId parent = tip != null ? tip : repo.resolve("HEAD^{commit}");
      DirCache index = DirCache.newInCore();
      DirCacheBuilder builder = index.builder();
      if (parent != null) {
        builder.addTree(
            new byte[0], 0, walk.getObjectReader(), walk.parseCommit(parent).getTree());
      }
      builder.finish();
      ObjectId blob =
          inserter.insert(Constants.OBJ_BLOB, content.getBytes(StandardCharsets.UTF_8));
      DirCacheEditor editor = index.editor();
      editor.add(new DirCacheEditor.PathEdit(path) {
        @Override
        public void apply(DirCacheEntry entry) {
          entry.setFileMode(FileMode.REGULAR_FILE);
          entry.setObjectId(blob);
        }
      });
      editor.finish();
      CommitBuilder commit = new CommitBuilder();
      commit.setTreeId(index.writeTree(inserter));
      if (parent != null) {
        commit.setParentId(parent);
      }
      PersonIdent ident = new PersonIdent(GitCli.USER_NAME, GitCli.USER_EMAIL);
      commit.setAuthor(ident);
      commit.setCommitter(ident);
      commit.setMessage(message + "\n");
      ObjectId id = inserter.insert(commit);
      inserter.flush();
      RefUpdate update = repo.updateRef("refs/heads/" + branch);
      update.setExpectedOldObjectId(tip != null ? tip : ObjectId.zeroId());
      update.setNewObjectId(id);
      RefUpdate.Result result = update.update(walk);
      if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FAST_FORWARD) {
        throw new IllegalStateException("cannot move refs/heads/" + branch + ": " + result);
      }
      return id.name();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot commit to " + dir, e);
    }
  }

  /** Makes the work clone's branch {@code branch} match where a commit on it must start. */
  private void checkOutStartPoint(String branch) {
    git.runOk(work, "fetch", "-q", "--prune", "origin", "+refs/heads/*:refs/remotes/origin/*");
    Optional<String> start = startPoint(branch);
    if (start.isPresent()) {
      git.runOk(work, "checkout", "-q", "-f", "-B", branch, start.get());
    } else {
      git.runOk(work, "symbolic-ref", "HEAD", "refs/heads/" + branch);
      git.runOk(work, "read-tree", "--empty");
    }
    git.runOk(work, "clean", "-q", "-f", "-d", "-x");
  }

  /** @return the commit a new commit on {@code branch} gets as parent, if any */
  private Optional<String> startPoint(String branch) {
    Optional<String> tip = tryResolve("refs/heads/" + branch);
    return tip.isPresent() ? tip : tryResolve("HEAD");
  }

  /**
   * Quickly adds {@code commits} commits to {@code branch} (created if needed) with {@code git
   * fast-import}. Commit {@code i} sets {@code many/file-<j>.txt}, {@code j < filesPerCommit}, to
   * a content naming {@code i} and {@code j}; commit times are one second apart, ending now.
   *
   * @return the new tip of the branch
   */
  public synchronized String commitMany(String branch, int commits, int filesPerCommit) {
    if (commits < 1 || filesPerCommit < 1) {
      throw new IllegalArgumentException("commits and filesPerCommit must be positive");
    }
    byte[] stream =
        fastImportStream(branch, commits, filesPerCommit).getBytes(StandardCharsets.UTF_8);
    git.runOkWithInput(dir, stream, "fast-import", "--quiet");
    return resolve("refs/heads/" + branch);
  }

  /**
   * Adds one commit to {@code branch} (created if needed) with {@code files} files of {@code
   * bytesPerFile} random, incompressible bytes each ({@code random/file-<j>.bin}), through {@code
   * git fast-import}: a repository whose pack is as big as its content.
   *
   * @param seed seeds the content, so that the same seed gives the same files
   * @return the new tip of the branch
   */
  public synchronized String commitRandom(String branch, int files, int bytesPerFile, long seed) {
    ByteArrayOutputStream stream = new ByteArrayOutputStream();
    StringBuilder head = new StringBuilder();
    head.append("commit refs/heads/").append(branch).append('\n');
    head.append("committer ").append(GitCli.USER_NAME).append(" <").append(GitCli.USER_EMAIL)
        .append("> ").append(Instant.now().getEpochSecond()).append(" +0000\n");
    appendData(head, files + " random files\n");
    startPoint(branch).ifPresent(parent -> head.append("from ").append(parent).append('\n'));
    stream.writeBytes(head.toString().getBytes(StandardCharsets.UTF_8));
    Random random = new Random(seed);
    byte[] content = new byte[bytesPerFile];
    for (int j = 0; j < files; j++) {
      random.nextBytes(content);
      String file = "M 100644 inline random/file-" + j + ".bin\ndata " + bytesPerFile + "\n";
      stream.writeBytes(file.getBytes(StandardCharsets.UTF_8));
      stream.writeBytes(content);
      stream.write('\n');
    }
    stream.write('\n');
    git.runOkWithInput(dir, stream.toByteArray(), "fast-import", "--quiet");
    return resolve("refs/heads/" + branch);
  }

  private String fastImportStream(String branch, int commits, int filesPerCommit) {
    StringBuilder stream = new StringBuilder();
    long firstTime = Instant.now().getEpochSecond() - commits;
    Optional<String> parent = startPoint(branch);
    for (int i = 1; i <= commits; i++) {
      stream.append("commit refs/heads/").append(branch).append('\n');
      stream.append("committer ").append(GitCli.USER_NAME).append(" <").append(GitCli.USER_EMAIL)
          .append("> ").append(firstTime + i).append(" +0000\n");
      appendData(stream, "commit " + i + " of " + commits + "\n");
      if (i == 1 && parent.isPresent()) {
        stream.append("from ").append(parent.get()).append('\n');
      }
      for (int j = 0; j < filesPerCommit; j++) {
        stream.append("M 100644 inline many/file-").append(j).append(".txt\n");
        appendData(stream, "commit " + i + ", file " + j + "\n");
      }
      stream.append('\n');
    }
    return stream.toString();
  }

  private static void appendData(StringBuilder stream, String data) {
    stream.append("data ").append(data.getBytes(StandardCharsets.UTF_8).length).append('\n');
    stream.append(data).append('\n');
  }

  /**
   * Creates the tag {@code refs/tags/<name>} at {@code target}.
   *
   * @param target any revision, e.g. a commit id or branch name
   * @param annotated whether to make an annotated tag object (its message is the name)
   */
  public synchronized void tag(String name, String target, boolean annotated) {
    if (annotated) {
      git.runOk(dir, "tag", "-a", "-m", name, name, target);
    } else {
      git.runOk(dir, "tag", name, target);
    }
  }

  /** Deletes {@code ref}, a full ref name such as {@code refs/heads/topic}. */
  public synchronized void deleteRef(String ref) {
    git.runOk(dir, "update-ref", "-d", ref);
  }

  /** Points {@code HEAD} at {@code refs/heads/<branch>} (a full {@code refs/} name works too). */
  public synchronized void setHead(String branch) {
    String ref = branch.startsWith("refs/") ? branch : "refs/heads/" + branch;
    git.runOk(dir, "symbolic-ref", "HEAD", ref);
  }

  /**
   * @return every ref name mapped to its object id ({@code refs/tags/...} map to the tag object for
   *     annotated tags), preceded by {@code HEAD} mapped to its commit if {@code HEAD} is born
   */
  public synchronized Map<String, String> refs() {
    Map<String, String> refs = new LinkedHashMap<>();
    tryResolve("HEAD").ifPresent(head -> refs.put("HEAD", head));
    String listing =
        git.runOk(dir, "for-each-ref", "--format=%(objectname) %(refname)").stdout();
    listing.lines().filter(line -> !line.isBlank()).forEach(line -> {
      int space = line.indexOf(' ');
      refs.put(line.substring(space + 1), line.substring(0, space));
    });
    return Collections.unmodifiableMap(refs);
  }

  /**
   * @param rev any revision, e.g. {@code HEAD}, {@code main}, {@code v1^{}}
   * @return its object id
   * @throws AssertionError if it does not resolve
   */
  public synchronized String resolve(String rev) {
    return git.runOk(dir, "rev-parse", "--verify", "--quiet", rev).stdout().strip();
  }

  private Optional<String> tryResolve(String rev) {
    GitCli.Result result = git.run(dir, "rev-parse", "--verify", "--quiet", rev + "^{commit}");
    return result.succeeded() ? Optional.of(result.stdout().strip()) : Optional.empty();
  }

  @Override
  public String toString() {
    return "UpstreamRepo[" + name + " at " + dir + "]";
  }
}
