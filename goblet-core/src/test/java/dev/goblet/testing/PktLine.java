package dev.goblet.testing;

import java.nio.charset.StandardCharsets;

/** Writes Git pkt-lines by hand, for requests and expected answers in tests. Stateless. */
public final class PktLine {
  /** A flush packet. */
  public static final String FLUSH = "0000";

  /** A delimiter packet (protocol v2). */
  public static final String DELIM = "0001";

  private PktLine() {}

  /**
   * @param payload the payload, usually ending in a newline
   * @return the payload with its four-hex-digit length header (the header counted)
   */
  public static String of(String payload) {
    return String.format("%04x", payload.getBytes(StandardCharsets.UTF_8).length + 4) + payload;
  }
}
