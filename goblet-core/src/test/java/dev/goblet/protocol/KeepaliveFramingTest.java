package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.FakeClock;
import dev.goblet.testing.PktLine;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/**
 * The bytes a started {@link Keepalive} writes around UploadPack's answer, for both openings: the
 * opening once, progress or keepalive packets only after a silent interval, UploadPack's own copy
 * of the opening dropped, a leading {@code ERR} turned into a side-band-3 error.
 */
class KeepaliveFramingTest {
  private static final Duration INTERVAL = Duration.ofSeconds(5);
  private static final String PACK = "0009\1PACK" + PktLine.FLUSH;

  private final FakeClock clock = FakeClock.at(Instant.parse("2026-01-01T00:00:00Z"));
  private final ByteArrayOutputStream client = new ByteArrayOutputStream();

  private Keepalive keepalive(Keepalive.Opening opening, boolean progress) {
    return new Keepalive(
        client, opening, progress, INTERVAL, () -> clock.millis() * 1_000_000L);
  }

  private static void write(OutputStream out, String bytes) throws Exception {
    out.write(bytes.getBytes(StandardCharsets.ISO_8859_1));
  }

  private String written() {
    return client.toString(StandardCharsets.ISO_8859_1);
  }

  @Test
  void aV0CloneGetsItsNakOnceThenKeepalivesThenThePackWhateverChunksUploadPackWrites()
      throws Exception {
    Keepalive keepalive = keepalive(Keepalive.Opening.NAK, false);
    keepalive.start();
    keepalive.activity("fetching team/repo from example.com");
    keepalive.idle(); // not silent long enough yet
    clock.advance(INTERVAL);
    keepalive.idle();
    assertThat(written()).isEqualTo("0008NAK\n" + "0005\1");

    OutputStream pack = keepalive.packOut();
    write(pack, "00"); // UploadPack's NAK, split across writes
    write(pack, "08NA");
    write(pack, "K\n" + PACK);
    assertThat(written()).isEqualTo("0008NAK\n" + "0005\1" + PACK);
  }

  @Test
  void progressSaysWhatTheProxyWaitsForAndForHowLong() throws Exception {
    Keepalive keepalive = keepalive(Keepalive.Opening.NAK, true);
    keepalive.start();
    keepalive.activity("fetching team/repo from example.com");
    clock.advance(Duration.ofSeconds(12));
    keepalive.idle();
    keepalive.say("x".repeat(2000)); // cut to fit a side-band (not 64k) packet
    String[] packets = written().substring("0008NAK\n".length()).split("(?=[0-9a-f]{4}\2)");
    assertThat(packets[0])
        .isEqualTo(PktLine.of("\2goblet: fetching team/repo from example.com (12 s)\n"));
    assertThat(packets[1]).startsWith("03e8\2goblet: xxx").hasSize(1000);
  }

  @Test
  void aV2FetchDropsUploadPacksPackfileLineAndAnErrorBecomesSideBandThree() throws Exception {
    Keepalive keepalive = keepalive(Keepalive.Opening.PACKFILE, false);
    keepalive.start();
    write(keepalive.packOut(), "000dpackfile\n" + PACK);
    assertThat(written()).isEqualTo("000dpackfile\n" + PACK);

    client.reset();
    Keepalive failing = keepalive(Keepalive.Opening.NAK, false);
    failing.start();
    write(failing.packOut(), PktLine.of("ERR upload-pack: not our ref\n"));
    assertThat(written()).isEqualTo("0008NAK\n" + PktLine.of("\3upload-pack: not our ref\n"));
  }

  @Test
  void aKeepaliveThatNeverStartsPassesUploadPacksAnswerUntouched() throws Exception {
    Keepalive off = Keepalive.off(client);
    clock.advance(Duration.ofMinutes(1));
    off.idle();
    off.say("not said");
    write(off.packOut(), "0008NAK\n" + PACK);
    assertThat(written()).isEqualTo("0008NAK\n" + PACK);
  }
}
