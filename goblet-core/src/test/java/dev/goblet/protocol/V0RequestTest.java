package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.Status;
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

  private static String pkt(String payload) {
    return String.format("%04x", payload.length() + 4) + payload;
  }

  private static byte[] bytes(String body) {
    return body.getBytes(StandardCharsets.UTF_8);
  }

  /** What git 2.39 sends for {@code git fetch --deepen 2} on a shallow clone, one round. */
  private static String deepenRequest(String depth, String caps) {
    return pkt("want " + A + " " + caps + "\n")
        + pkt("want " + B + "\n")
        + pkt("shallow " + S + "\n")
        + pkt("deepen " + depth + "\n")
        + "0000"
        + pkt("have " + H + "\n")
        + pkt("done\n");
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
    String body = pkt("want " + A + " " + CAPS + "\n") + "0000" + pkt("done\n");
    V0Request request = V0Request.parse(bytes(body));
    assertThat(request.isDeepenRelative()).isFalse();
    assertThat(request.depth()).isZero();
    assertThat(request.shallows()).isEmpty();
    // Lines after the first flush are not wants, whatever they look like.
    assertThat(V0Request.parse(bytes(body + pkt("want " + B + "\n"))).wants()).hasSize(1);
  }

  @Test
  void anEmptyBodyHasNoWants() throws Exception {
    assertThat(V0Request.parse(new byte[0]).wants()).isEmpty();
  }

  @Test
  void malformedRequestsAreBadRequests() {
    assertBad(pkt("want xyz\n") + "0000", "invalid object id in want: xyz");
    assertBad(pkt("want " + A + "\n") + pkt("shallow 12\n") + "0000",
        "invalid object id in shallow: 12");
    assertBad(pkt("want " + A + "\n") + pkt("deepen 0\n") + "0000", "invalid number in deepen: 0");
    assertBad(pkt("want " + A + "\n") + pkt("deepen 9999999999\n") + "0000",
        "invalid number in deepen: 9999999999");
    assertBad(pkt("want " + A + "\n") + pkt("deepen-since yesterday\n") + "0000",
        "invalid number in deepen-since: yesterday");
    assertBad("0032want " + A, "truncated request");
    assertBad("zzzz", "malformed pkt-line");
    assertBad(pkt("want " + A + "\n") + "0001", "a delimiter is not part of protocol v0");
  }

  private static void assertBad(String body, String message) {
    assertThatThrownBy(() -> V0Request.parse(bytes(body)))
        .isInstanceOf(GobletException.class)
        .hasMessageContaining(message)
        .satisfies(e -> assertThat(((GobletException) e).status()).isEqualTo(Status.BAD_REQUEST));
  }
}
