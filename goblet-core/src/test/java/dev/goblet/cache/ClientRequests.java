package dev.goblet.cache;

import java.util.List;

/**
 * The {@code ls-refs} arguments real clients send, as traced from git 2.39.5 ({@code
 * GIT_TRACE_PACKET}) against a server advertising {@code ls-refs=unborn}.
 */
final class ClientRequests {

  /** {@code git clone}. */
  static final LsRefsArgs CLONE =
      LsRefsArgs.parse(
          List.of(
              "peel",
              "symrefs",
              "unborn",
              "ref-prefix HEAD",
              "ref-prefix refs/heads/",
              "ref-prefix refs/tags/"));

  /** {@code git fetch} in a clone whose {@code main} tracks {@code origin/main}. */
  static final LsRefsArgs FETCH =
      LsRefsArgs.parse(
          List.of(
              "peel",
              "symrefs",
              "unborn",
              "ref-prefix refs/heads/",
              "ref-prefix refs/heads/main",
              "ref-prefix refs/tags/"));

  /** {@code git fetch origin main}. */
  static final LsRefsArgs FETCH_MAIN =
      LsRefsArgs.parse(
          List.of(
              "peel",
              "symrefs",
              "unborn",
              "ref-prefix main",
              "ref-prefix refs/main",
              "ref-prefix refs/tags/main",
              "ref-prefix refs/heads/main",
              "ref-prefix refs/remotes/main",
              "ref-prefix refs/remotes/main/HEAD",
              "ref-prefix refs/tags/"));

  /** {@code git ls-remote}. */
  static final LsRefsArgs LS_REMOTE = LsRefsArgs.parse(List.of("peel", "symrefs", "unborn"));

  private ClientRequests() {}
}
