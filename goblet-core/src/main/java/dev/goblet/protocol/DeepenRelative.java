package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevFlag;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Translates {@code deepen-relative} ({@code git fetch --deepen N}), which JGit's UploadPack does
 * not implement, into the absolute {@code deepen} it does.
 *
 * <p>git deepens each of the client's shallow commits that the wants reach by {@code N} more
 * generations. A shallow commit {@code d} generations below a want (shortest path, as JGit's depth
 * walk counts) gets {@code N} more generations from an absolute depth of {@code d + 1 + N}; the
 * translation uses the largest such depth over the reachable shallow commits. For a linear history
 * (a shallow clone of one branch, with or without new upstream commits) the answer is git's own.
 * Where shallow commits sit at different distances from the wants, the client gets the history it
 * asked for plus, on the shorter paths, some more; the server's {@code shallow} lines tell it where
 * its history now ends, so the result is always a consistent shallow repository. When the wants
 * reach none of the client's shallow commits, git deepens nothing and sends all history the client
 * lacks; so does the translation, with an unlimited depth.
 *
 * <p>The walk is bounded ({@link #MAX_COMMITS} commits); beyond it the request is refused with a
 * clear message. It runs inside the pack generation, under the proxy's CPU ration for packs.
 *
 * <p>Stateless; thread-safe.
 */
final class DeepenRelative {
  /** The capability (v0) or argument (v2) line. */
  static final String KEYWORD = "deepen-relative";

  /** The most commits one translation walks. */
  static final int MAX_COMMITS = 1_000_000;

  private DeepenRelative() {}

  /**
   * @param repo the mirror
   * @param wants the objects the client wants (non-commits are peeled or ignored)
   * @param clientShallows the commits the client's history is cut at
   * @param relativeDepth how many generations to add below each shallow commit; 0 when the request
   *     named no depth
   * @return the depth counted from the wants that gives the client those generations, {@link
   *     Integer#MAX_VALUE} (no limit) when the wants reach none of the shallow commits, or 0 when
   *     {@code relativeDepth} is 0 (there is no depth to translate)
   * @throws IOException when the mirror cannot be read
   * @throws GobletException ({@link Status#BAD_REQUEST}) when the walk would pass {@link
   *     #MAX_COMMITS} commits
   */
  static int absoluteDepth(
      Repository repo,
      Collection<? extends AnyObjectId> wants,
      Collection<? extends AnyObjectId> clientShallows,
      int relativeDepth)
      throws IOException, GobletException {
    return absoluteDepth(repo, wants, clientShallows, relativeDepth, MAX_COMMITS);
  }

  /** {@link #absoluteDepth(Repository, Collection, Collection, int)} with a given walk bound. */
  static int absoluteDepth(
      Repository repo,
      Collection<? extends AnyObjectId> wants,
      Collection<? extends AnyObjectId> clientShallows,
      int relativeDepth,
      int maxCommits)
      throws IOException, GobletException {
    if (relativeDepth <= 0) {
      return 0;
    }
    Set<ObjectId> unseen = new HashSet<>();
    clientShallows.forEach(id -> unseen.add(id.toObjectId()));
    int deepest = -1;
    int walked = 0;
    try (RevWalk walk = new RevWalk(repo)) {
      RevFlag queued = walk.newFlag("queued");
      List<RevCommit> level = new ArrayList<>();
      for (AnyObjectId want : wants) {
        RevCommit commit = commitOf(walk, want);
        if (commit != null && !commit.has(queued)) {
          commit.add(queued);
          level.add(commit);
        }
      }
      // Breadth first, so a commit is first met at its shortest distance from the wants.
      for (int distance = 0; !level.isEmpty() && !unseen.isEmpty(); distance++) {
        List<RevCommit> next = new ArrayList<>();
        for (RevCommit commit : level) {
          if (unseen.remove(commit)) {
            deepest = distance;
          }
          if (++walked > maxCommits) {
            throw new GobletException(
                Status.BAD_REQUEST,
                "deepen-relative would walk more than " + maxCommits + " commits to find the"
                    + " client's shallow commits; fetch with --depth <n> instead");
          }
          walk.parseHeaders(commit);
          for (RevCommit parent : commit.getParents()) {
            if (!parent.has(queued)) {
              parent.add(queued);
              next.add(parent);
            }
          }
        }
        level = next;
      }
    }
    if (deepest < 0) {
      return Integer.MAX_VALUE;
    }
    return (int) Math.min(Integer.MAX_VALUE, (long) deepest + 1 + relativeDepth);
  }

  private static RevCommit commitOf(RevWalk walk, AnyObjectId id) throws IOException {
    try {
      RevObject object = walk.peel(walk.parseAny(id));
      return object instanceof RevCommit commit ? commit : null;
    } catch (MissingObjectException e) {
      return null;
    }
  }
}
