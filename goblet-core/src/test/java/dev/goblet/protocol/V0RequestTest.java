package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.testing.PktLine;
import java.nio.charset.StandardCharsets;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

class V0RequestTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);
  private static final String S = "5".repeat(40);
  private static final String H = "4".repeat(40);
  private static final String CAPS =
      "multi_ack_detailed no-done side-band-64k thin-pack ofs-delta agent=git/2.39.5";


  private static byte[] bytes(String body) {
    return body.getBytes(StandardCharsets.UTF_8);
  }

  /** What git 2.39 sends for {@code git fetch --deepen 2} on a shallow clone, one round. */
  private static String deepenRequest(String depth, String caps) {
    return PktLine.of("want " + A + " " + caps + "\n")
        + PktLine.of("want " + B + "\n")
        + PktLine.of("shallow " + S + "\n")
        + PktLine.of("deepen " + depth + "\n")
        + PktLine.FLUSH
        + PktLine.of("have " + H + "\n")
        + PktLine.of("done\n");
  }

  @Test
  void readsWantsShallowsDepthAndDeepenRelative() throws Exception {
    String body = deepenRequest("2", CAPS + " deepen-relative");
    V0Request request = V0Request.parse(bytes(body));
    assertThat(request.wants()).containsExactly(ObjectId.fromString(A), ObjectId.fromString(B));
    assertThat(request.shallows()).containsExactly(ObjectId.fromString(S));
    assertThat(request.depth()).isEqualTo(2);
    assertThat(request.isDeepenRelative()).isTrue();
    assertThat(request.body()).isEqualTo(bytes(body));
  }

  @Test
  void anAbsoluteDepthReplacesTheRelativeOneAndNothingElseChanges() throws Exception {
    V0Request request = V0Request.parse(bytes(deepenRequest("2", CAPS + " deepen-relative")));
    assertThat(new String(request.withAbsoluteDepth(7), StandardCharsets.UTF_8))
        .isEqualTo(deepenRequest("7", CAPS));
  }

  @Test
  void aPlainCloneRequestIsNotDeepenRelative() throws Exception {
    String body =
        PktLine.of("want " + A + " " + CAPS + "\n") + PktLine.FLUSH + PktLine.of("done\n");
    V0Request request = V0Request.parse(bytes(body));
    assertThat(request.isDeepenRelative()).isFalse();
    assertThat(request.depth()).isZero();
    assertThat(request.shallows()).isEmpty();
    // Lines after the first flush are not wants, whatever they look like.
    assertThat(V0Request.parse(bytes(body + PktLine.of("want " + B + "\n"))).wants()).hasSize(1);
  }

  @Test
  void theShallowListRoundOfADeepenByTimeOrRefIsRecognisedAndGetsAnEmptyHaveSection()
      throws Exception {
    String want = PktLine.of("want " + A + " " + CAPS + "\n");
    for (String deepen : new String[] {"deepen-since 1700000000\n", "deepen-not refs/tags/v1\n"}) {
      String round = want + PktLine.of(deepen) + PktLine.FLUSH;
      V0Request request = V0Request.parse(bytes(round));
      assertThat(request.isShallowListRound()).as(deepen).isTrue();
      assertThat(request.withEmptyHaves()).isEqualTo(bytes(round + PktLine.FLUSH));
      // The later rounds carry haves or done.
      assertThat(V0Request.parse(bytes(round + PktLine.of("done\n"))).isShallowListRound())
          .isFalse();
    }
    // deepen <n> alone is answered by UploadPack as it is.
    assertThat(
            V0Request.parse(bytes(want + PktLine.of("deepen 1\n") + PktLine.FLUSH))
                .isShallowListRound())
        .isFalse();
  }

  @Test
  void aCloneWithSideBandIsAnsweredNakThenThePackWhateverTheMirrorHolds() throws Exception {
    String tail = PktLine.FLUSH + PktLine.of("done\n");
    String clone = PktLine.of("want " + A + " " + CAPS + "\n") + PktLine.of("want " + B + "\n");
    V0Request request = V0Request.parse(bytes(clone + tail));
    assertThat(request.answersNakThenSideBandPack()).isTrue();
    assertThat(request.wantsProgress()).isTrue();
    // git clone --quiet, and the old side-band: the same, without progress.
    V0Request quiet =
        V0Request.parse(
            bytes(PktLine.of("want " + A + " side-band no-progress ofs-delta\n") + tail));
    assertThat(quiet.answersNakThenSideBandPack()).isTrue();
    assertThat(quiet.wantsProgress()).isFalse();
    // A filter does not change the NAK.
    assertThat(
            V0Request.parse(bytes(clone + PktLine.of("filter blob:none\n") + tail))
                .answersNakThenSideBandPack())
        .isTrue();
  }

  @Test
  void haveShallowDeepenNoDoneNoSideBandOrNoWantKeepTheAnswerOpenToTheMirror() throws Exception {
    String want = PktLine.of("want " + A + " " + CAPS + "\n");
    String done = PktLine.of("done\n");
    String[] notKnownEarly = {
      want + PktLine.FLUSH + PktLine.of("have " + H + "\n") + done, // ACK or NAK: the mirror says
      want + PktLine.FLUSH + PktLine.of("have " + H + "\n") + PktLine.FLUSH, // a round, no done
      want + PktLine.FLUSH, // the first round of a stateless negotiation
      want + PktLine.of("shallow " + S + "\n") + PktLine.FLUSH + done, // a shallow list first
      want + PktLine.of("deepen 1\n") + PktLine.FLUSH + done,
      want + PktLine.of("deepen-since 1700000000\n") + PktLine.FLUSH + done,
      want + PktLine.of("deepen-not refs/tags/v1\n") + PktLine.FLUSH + done,
      deepenRequest("1", CAPS + " deepen-relative"),
      PktLine.of("want " + A + " multi_ack_detailed ofs-delta\n") + PktLine.FLUSH + done,
      PktLine.FLUSH + done, // UploadPack answers nothing at all
    };
    for (String body : notKnownEarly) {
      assertThat(V0Request.parse(bytes(body)).answersNakThenSideBandPack()).as(body).isFalse();
    }
  }

  @Test
  void anEmptyBodyHasNoWants() throws Exception {
    assertThat(V0Request.parse(new byte[0]).wants()).isEmpty();
  }

  @Test
  void malformedRequestsAreBadRequests() {
    assertBad(PktLine.of("want xyz\n") + PktLine.FLUSH, "invalid object id in want: xyz");
    assertBad(PktLine.of("want " + A + "\n") + PktLine.of("shallow 12\n") + PktLine.FLUSH,
        "invalid object id in shallow: 12");
    assertBad(PktLine.of("want " + A + "\n") + PktLine.of("deepen 0\n") + PktLine.FLUSH,
        "invalid number in deepen: 0");
    assertBad(PktLine.of("want " + A + "\n") + PktLine.of("deepen 9999999999\n") + PktLine.FLUSH,
        "invalid number in deepen: 9999999999");
    assertBad(
        PktLine.of("want " + A + "\n") + PktLine.of("deepen-since yesterday\n") + PktLine.FLUSH,
        "invalid number in deepen-since: yesterday");
    assertBad("0032want " + A, "truncated request");
    assertBad("zzzz", "malformed pkt-line");
    assertBad(
        PktLine.of("want " + A + "\n") + PktLine.DELIM, "a delimiter is not part of protocol v0");
  }

  private static void assertBad(String body, String message) {
    assertThatThrownBy(() -> V0Request.parse(bytes(body)))
        .isInstanceOf(GobletException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((GobletException) e).status()).isEqualTo(Status.BAD_REQUEST));
  }
}
