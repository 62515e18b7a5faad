package dev.goblet.cache;

import java.util.List;

/**
 * {@code ls-refs} answers recorded from {@code git upload-pack} 2.39.5 (pkt-line payloads without
 * their LF), for a repository with HEAD on {@code main}, a symbolic branch {@code alias}, an
 * annotated tag named like a branch ({@code main}), a lightweight tag, Gerrit-style {@code
 * refs/changes/}, and refs outside heads and tags.
 */
final class UpstreamAnswers {

  private static final String ONE = "43ca9813ecfe1ae251e0bb9372528400c730785d";
  private static final String TWO = "e477cfa3da12f918e4f165206295f696f62a4509";
  private static final String TAG_MAIN = "c5cd31157b56353b7acf8e9601d8b0976a54c80b";
  private static final String TAG_V1 = "87ff748100e9f24894a082d6508d53946c1f9af4";

  /** {@code symrefs peel unborn}, no prefixes: {@code git ls-remote}. */
  static final List<String> FULL =
      List.of(
          TWO + " HEAD symref-target:refs/heads/main",
          ONE + " refs/changes/01/1/1",
          TWO + " refs/changes/01/1/meta",
          TWO + " refs/heads/alias symref-target:refs/heads/main",
          ONE + " refs/heads/feature/x",
          TWO + " refs/heads/main",
          ONE + " refs/main",
          ONE + " refs/remotes/main/HEAD",
          TWO + " refs/tags/light",
          TAG_MAIN + " refs/tags/main peeled:" + TWO,
          TAG_V1 + " refs/tags/v1.0 peeled:" + ONE);

  /** {@link ClientRequests#CLONE}. */
  static final List<String> CLONE =
      List.of(
          TWO + " HEAD symref-target:refs/heads/main",
          TWO + " refs/heads/alias symref-target:refs/heads/main",
          ONE + " refs/heads/feature/x",
          TWO + " refs/heads/main",
          TWO + " refs/tags/light",
          TAG_MAIN + " refs/tags/main peeled:" + TWO,
          TAG_V1 + " refs/tags/v1.0 peeled:" + ONE);

  /** {@link ClientRequests#FETCH}. */
  static final List<String> FETCH = CLONE.subList(1, CLONE.size());

  /** {@link ClientRequests#FETCH_MAIN}. */
  static final List<String> FETCH_MAIN =
      List.of(
          TWO + " refs/heads/main",
          ONE + " refs/main",
          ONE + " refs/remotes/main/HEAD",
          TWO + " refs/tags/light",
          TAG_MAIN + " refs/tags/main peeled:" + TWO,
          TAG_V1 + " refs/tags/v1.0 peeled:" + ONE);

  /** {@code ref-prefix refs/heads/} alone. */
  static final List<String> HEADS_PLAIN =
      List.of(TWO + " refs/heads/alias", ONE + " refs/heads/feature/x", TWO + " refs/heads/main");

  /** {@code symrefs ref-prefix HEAD}. */
  static final List<String> HEAD_SYMREFS = List.of(TWO + " HEAD symref-target:refs/heads/main");

  /** {@code peel ref-prefix refs/tags/m}. */
  static final List<String> TAGS_M_PEELED = List.of(TAG_MAIN + " refs/tags/main peeled:" + TWO);

  /** {@code symrefs peel unborn}, no prefixes, once HEAD points at a missing {@code trunk}. */
  static final List<String> UNBORN_FULL =
      List.of(
          "unborn HEAD symref-target:refs/heads/trunk",
          TWO + " refs/heads/alias",
          ONE + " refs/heads/feature/x",
          TWO + " refs/heads/main",
          TWO + " refs/tags/light",
          TAG_MAIN + " refs/tags/main peeled:" + TWO,
          TAG_V1 + " refs/tags/v1.0 peeled:" + ONE);

  /** {@code peel symrefs unborn ref-prefix HEAD ref-prefix refs/heads/} on the unborn HEAD. */
  static final List<String> UNBORN_HEAD_AND_HEADS = UNBORN_FULL.subList(0, 4);

  /**
   * {@code peel symrefs ref-prefix HEAD ref-prefix refs/heads/} (and the same with {@code unborn}
   * instead of {@code symrefs}) on the unborn HEAD: no HEAD line at all.
   */
  static final List<String> BORN_HEADS_ONLY = UNBORN_FULL.subList(1, 4);

  private UpstreamAnswers() {}
}
