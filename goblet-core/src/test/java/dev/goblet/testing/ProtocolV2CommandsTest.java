package dev.goblet.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;

class ProtocolV2CommandsTest {
  private static final byte[] FETCH_REQUEST =
      ("0012command=fetch\n" + "0015agent=git/2.39.5\n" + "0001" + "000ethin-pack\n"
              + "0032want 0123456789012345678901234567890123456789\n" + "0009done\n" + "0000")
          .getBytes(StandardCharsets.US_ASCII);

  @Test
  void findsTheCommandInAPlainBody() {
    assertThat(ProtocolV2Commands.in(FETCH_REQUEST, null)).containsExactly("fetch");
  }

  @Test
  void decodesAGzipBody() throws IOException {
    ByteArrayOutputStream compressed = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(compressed)) {
      gzip.write(FETCH_REQUEST);
    }

    assertThat(ProtocolV2Commands.in(compressed.toByteArray(), "gzip")).containsExactly("fetch");
  }

  @Test
  void yieldsNothingForGarbage() {
    assertThat(ProtocolV2Commands.in("not pkt-lines".getBytes(StandardCharsets.US_ASCII), null))
        .isEmpty();
    assertThat(ProtocolV2Commands.in(new byte[] {1, 2, 3}, "gzip")).isEmpty();
  }
}
