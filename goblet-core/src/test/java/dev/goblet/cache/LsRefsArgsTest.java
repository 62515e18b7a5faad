package dev.goblet.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Collections;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class LsRefsArgsTest {

  @Test
  void parsesTheArgumentsOfGitClone() {
    LsRefsArgs clone = ClientRequests.CLONE;

    assertThat(clone.prefixes()).containsExactly("HEAD", "refs/heads/", "refs/tags/");
    assertThat(clone.symrefs()).isTrue();
    assertThat(clone.peel()).isTrue();
    assertThat(clone.unborn()).isTrue();
    assertThat(clone.isFull()).isFalse();
  }

  @Test
  void parsingIgnoresOneTrailingLineFeedAsGitsPacketReaderDoes() {
    LsRefsArgs args = LsRefsArgs.parse(List.of("peel\n", "ref-prefix refs/heads/\n"));

    assertThat(args).isEqualTo(LsRefsArgs.of(List.of("refs/heads/"), false, true, false));
  }

  @Test
  void parsingRejectsAnArgumentGitRejects() {
    assertThatThrownBy(() -> LsRefsArgs.parse(List.of("symrefs", "filter blob:none")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("unexpected ls-refs argument: 'filter blob:none'");
    assertThatThrownBy(() -> LsRefsArgs.parse(List.of("ref-prefix")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'ref-prefix'");
  }

  @Test
  void prefixesAreSortedAndDistinctSoThatOrderDoesNotMatter() {
    LsRefsArgs args =
        LsRefsArgs.of(
            List.of("refs/tags/", "HEAD", "refs/tags/", "refs/heads/"), true, true, false);

    assertThat(args.prefixes()).containsExactly("HEAD", "refs/heads/", "refs/tags/");
    assertThat(args)
        .isEqualTo(LsRefsArgs.of(List.of("HEAD", "refs/heads/", "refs/tags/"), true, true, false));
  }

  @Test
  void anEmptyPrefixMatchesEverythingSoTheRequestIsFull() {
    LsRefsArgs args = LsRefsArgs.parse(List.of("ref-prefix refs/heads/", "ref-prefix "));

    assertThat(args.isFull()).isTrue();
    assertThat(args.prefixes()).isEmpty();
  }

  @Test
  void likeGitSixtyFiveThousandFiveHundredThirtySixPrefixesOrMoreMeanAllRefs() {
    List<String> justBelow =
        IntStream.range(0, LsRefsArgs.TOO_MANY_PREFIXES - 1).mapToObj(i -> "refs/zz/" + i).toList();
    List<String> atLimitCountingDuplicates =
        Collections.nCopies(LsRefsArgs.TOO_MANY_PREFIXES, "refs/heads/");

    assertThat(LsRefsArgs.of(justBelow, false, false, false).prefixes())
        .hasSize(LsRefsArgs.TOO_MANY_PREFIXES - 1);
    assertThat(LsRefsArgs.of(atLimitCountingDuplicates, false, false, false).isFull()).isTrue();
  }

  @Test
  void matchesRefsStartingWithAPrefix() {
    LsRefsArgs args = ClientRequests.CLONE;

    assertThat(args.matches("HEAD")).isTrue();
    assertThat(args.matches("refs/heads/main")).isTrue();
    assertThat(args.matches("refs/tags/v1.0")).isTrue();
    assertThat(args.matches("refs/changes/01/1/1")).isFalse();
    assertThat(args.matches("refs/heads")).isFalse();
  }

  @Test
  void aFullRequestMatchesEveryRef() {
    assertThat(ClientRequests.LS_REMOTE.isFull()).isTrue();
    assertThat(ClientRequests.LS_REMOTE.matches("refs/changes/01/1/1")).isTrue();
    assertThat(ClientRequests.LS_REMOTE.matches("HEAD")).isTrue();
  }
}
