package dev.goblet.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RefListingTest {

  private static final Instant TIME = Instant.parse("2026-03-01T12:00:00Z");

  private static RefListing listing(LsRefsArgs args, List<String> lines) {
    return new RefListing(TIME, args, lines);
  }

  private static LsRefsArgs args(List<String> argumentLines) {
    return LsRefsArgs.parse(argumentLines);
  }

  private static final RefListing FULL = listing(ClientRequests.LS_REMOTE, UpstreamAnswers.FULL);
  private static final RefListing UNBORN_FULL =
      listing(ClientRequests.LS_REMOTE, UpstreamAnswers.UNBORN_FULL);

  /** Requests, and what git answered to each on the repository of {@link #FULL}. */
  static Stream<Arguments> recordedAnswers() {
    return Stream.of(
        Arguments.of("clone", ClientRequests.CLONE, UpstreamAnswers.CLONE),
        Arguments.of("fetch", ClientRequests.FETCH, UpstreamAnswers.FETCH),
        Arguments.of("fetch origin main", ClientRequests.FETCH_MAIN, UpstreamAnswers.FETCH_MAIN),
        Arguments.of("ls-remote", ClientRequests.LS_REMOTE, UpstreamAnswers.FULL),
        Arguments.of(
            "ref-prefix refs/heads/",
            args(List.of("ref-prefix refs/heads/")),
            UpstreamAnswers.HEADS_PLAIN),
        Arguments.of(
            "symrefs ref-prefix HEAD",
            args(List.of("symrefs", "ref-prefix HEAD")),
            UpstreamAnswers.HEAD_SYMREFS),
        Arguments.of(
            "peel ref-prefix refs/tags/m",
            args(List.of("peel", "ref-prefix refs/tags/m")),
            UpstreamAnswers.TAGS_M_PEELED));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recordedAnswers")
  void derivesWhatGitAnsweredFromAFullListing(
      String name, LsRefsArgs request, List<String> gitAnswer) {
    assertThat(FULL.covers(request)).isTrue();
    assertThat(FULL.derive(request)).containsExactlyElementsOf(gitAnswer);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recordedAnswers")
  void derivingWithItsOwnArgumentsReturnsTheLinesUnchanged(
      String name, LsRefsArgs request, List<String> gitAnswer) {
    RefListing listing = listing(request, gitAnswer);

    assertThat(listing.derive(request)).isEqualTo(gitAnswer);
  }

  @Test
  void derivesFetchFromACloneListing() {
    RefListing clone = listing(ClientRequests.CLONE, UpstreamAnswers.CLONE);

    assertThat(clone.derive(ClientRequests.FETCH)).isEqualTo(UpstreamAnswers.FETCH);
  }

  @Test
  void refusesToDeriveARequestItDoesNotCover() {
    RefListing clone = listing(ClientRequests.CLONE, UpstreamAnswers.CLONE);

    assertThat(clone.covers(ClientRequests.FETCH_MAIN)).isFalse();
    assertThatThrownBy(() -> clone.derive(ClientRequests.FETCH_MAIN))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cannot answer");
  }

  @Test
  void listsAnUnbornHeadOnlyWhenUnbornAndSymrefsAreBothRequested() {
    LsRefsArgs headAndHeads =
        args(List.of("peel", "symrefs", "unborn", "ref-prefix HEAD", "ref-prefix refs/heads/"));
    LsRefsArgs withoutUnborn = headAndHeads.withUnborn(false);
    LsRefsArgs withoutSymrefs =
        args(List.of("peel", "unborn", "ref-prefix HEAD", "ref-prefix refs/heads/"));

    assertThat(UNBORN_FULL.derive(headAndHeads)).isEqualTo(UpstreamAnswers.UNBORN_HEAD_AND_HEADS);
    assertThat(UNBORN_FULL.derive(withoutUnborn)).isEqualTo(UpstreamAnswers.BORN_HEADS_ONLY);
    assertThat(UNBORN_FULL.derive(withoutSymrefs)).isEqualTo(UpstreamAnswers.BORN_HEADS_ONLY);
  }

  @Test
  void aListingWithoutUnbornCoversUnbornRequestsOnlyIfItShowsHeadBorn() {
    LsRefsArgs withoutUnborn = ClientRequests.LS_REMOTE.withUnborn(false);
    RefListing headBorn = listing(withoutUnborn, UpstreamAnswers.FULL);
    RefListing headUnbornOrMissing = listing(withoutUnborn, UpstreamAnswers.BORN_HEADS_ONLY);

    assertThat(headBorn.args().covers(ClientRequests.CLONE)).isFalse();
    assertThat(headBorn.covers(ClientRequests.CLONE)).isTrue();
    assertThat(headBorn.derive(ClientRequests.CLONE)).isEqualTo(UpstreamAnswers.CLONE);
    assertThat(headUnbornOrMissing.covers(ClientRequests.CLONE)).isFalse();
  }

  @Test
  void parsesRefsSymrefTargetsAndPeeledTags() {
    assertThat(FULL.refs())
        .hasSize(UpstreamAnswers.FULL.size())
        .containsEntry("HEAD", "e477cfa3da12f918e4f165206295f696f62a4509")
        .containsEntry("refs/tags/v1.0", "87ff748100e9f24894a082d6508d53946c1f9af4");
    assertThat(FULL.symrefTarget("HEAD")).contains("refs/heads/main");
    assertThat(FULL.symrefTarget("refs/heads/alias")).contains("refs/heads/main");
    assertThat(FULL.symrefTarget("refs/heads/main")).isEmpty();
    assertThat(FULL.peeled("refs/tags/v1.0")).contains("43ca9813ecfe1ae251e0bb9372528400c730785d");
    assertThat(FULL.peeled("refs/tags/light")).isEmpty();
    assertThat(FULL.peeled("refs/tags/absent")).isEmpty();
  }

  @Test
  void anUnbornHeadHasATargetButIsNotARef() {
    assertThat(UNBORN_FULL.refs()).doesNotContainKey("HEAD").hasSize(6);
    assertThat(UNBORN_FULL.symrefTarget("HEAD")).contains("refs/heads/trunk");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "e477cfa3da12f918e4f165206295f696f62a4509",
        "oid  refs/heads/main",
        "oid refs/heads/main\n"
      })
  void rejectsLinesThatAreNotLsRefsAnswerLines(String line) {
    assertThatThrownBy(() -> listing(ClientRequests.LS_REMOTE, List.of(line)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ls-refs line");
  }
}
