package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.PktLine;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class V0AdvertisementTest {
  private static final String A = "a".repeat(40);
  private static final String B = "b".repeat(40);
  private static final String TAG = "c".repeat(40);
  private static final String ZERO = "0".repeat(40);
  private static final String CAPABILITIES =
      "multi_ack thin-pack side-band side-band-64k ofs-delta shallow deepen-since deepen-not"
          + " deepen-relative no-progress include-tag multi_ack_detailed allow-tip-sha1-in-want"
          + " allow-reachable-sha1-in-want no-done symref=HEAD:refs/heads/main filter"
          + " object-format=sha1 agent=" + Capabilities.AGENT;


  private static String write(List<String> lines, boolean version1) throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    V0Advertisement.write(body, lines, version1);
    return body.toString(StandardCharsets.UTF_8);
  }

  @Test
  void formatsAnLsRefsAnswerAsGitsV0Advertisement() throws Exception {
    List<String> lsRefs =
        List.of(
            A + " HEAD symref-target:refs/heads/main\n",
            B + " refs/heads/feature\n",
            A + " refs/heads/main\n",
            TAG + " refs/tags/v1 peeled:" + A + "\n");
    assertThat(write(lsRefs, false))
        .isEqualTo(
            PktLine.of("# service=git-upload-pack\n") + PktLine.FLUSH
                + PktLine.of(A + " HEAD\0" + CAPABILITIES + "\n")
                + PktLine.of(B + " refs/heads/feature\n")
                + PktLine.of(A + " refs/heads/main\n")
                + PktLine.of(TAG + " refs/tags/v1\n")
                + PktLine.of(A + " refs/tags/v1^{}\n")
                + PktLine.FLUSH);
  }

  @Test
  void protocolV1StartsWithTheVersionLineAndLinesWithoutNewlinesAreAccepted() throws Exception {
    String body = write(List.of(A + " refs/heads/main"), true);
    assertThat(body)
        .startsWith(
            PktLine.of("# service=git-upload-pack\n") + PktLine.FLUSH + PktLine.of("version 1\n"))
        .contains(A + " refs/heads/main\0multi_ack ")
        .doesNotContain("symref=")
        .endsWith(" agent=" + Capabilities.AGENT + "\n0000");
  }

  @Test
  void aRepositoryWithoutRefsAdvertisesItsCapabilitiesOnTheZeroId() throws Exception {
    String caps = CAPABILITIES.replace(" symref=HEAD:refs/heads/main", "");
    String expected =
        PktLine.of("# service=git-upload-pack\n") + PktLine.FLUSH
            + PktLine.of(ZERO + " capabilities^{}\0" + caps + "\n") + PktLine.FLUSH;
    assertThat(write(List.of(), false)).isEqualTo(expected);
    // v0 has no way to say "HEAD is unborn": the line is left out.
    assertThat(write(List.of("unborn HEAD symref-target:refs/heads/main\n"), false))
        .isEqualTo(expected);
  }

  @Test
  void anErrorFollowsTheServiceHeader() throws Exception {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    V0Advertisement.writeError(body, "no cached ls-refs available");
    assertThat(body.toString(StandardCharsets.UTF_8))
        .isEqualTo(
            PktLine.of("# service=git-upload-pack\n") + PktLine.FLUSH
                + PktLine.of("ERR no cached ls-refs available\n"));
  }
}
