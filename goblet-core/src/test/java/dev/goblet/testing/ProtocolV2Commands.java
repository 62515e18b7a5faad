package dev.goblet.testing;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Finds the Git protocol v2 command names ({@code command=ls-refs}, {@code command=fetch}) in an
 * upload-pack request body. A body that is malformed or not protocol v2 yields the commands found
 * before the problem, often none; this is a recorder, it never throws.
 */
final class ProtocolV2Commands {
  private static final String COMMAND_PREFIX = "command=";

  private ProtocolV2Commands() {}

  /**
   * @param body the request body as sent
   * @param contentEncoding the request's {@code Content-Encoding}, or {@code null}
   * @return the command names in order
   */
  static List<String> in(byte[] body, String contentEncoding) {
    if (contentEncoding != null && contentEncoding.strip().equalsIgnoreCase("gzip")) {
      try (GZIPInputStream gzip = new GZIPInputStream(new ByteArrayInputStream(body))) {
        return inPktLines(gzip.readAllBytes());
      } catch (IOException e) {
        return List.of();
      }
    }
    return inPktLines(body);
  }

  /** Walks pkt-lines: 4 hex digits of length (header included); 0000 flush, 0001 delim, 0002 end. */
  private static List<String> inPktLines(byte[] data) {
    List<String> commands = new ArrayList<>();
    int position = 0;
    while (position + 4 <= data.length) {
      int length = hexLength(data, position);
      if (length < 0) {
        break;
      }
      if (length < 4) { // flush, delim or response-end: no payload
        position += 4;
        continue;
      }
      if (position + length > data.length) {
        break;
      }
      String line = new String(data, position + 4, length - 4, StandardCharsets.UTF_8).strip();
      if (line.startsWith(COMMAND_PREFIX)) {
        commands.add(line.substring(COMMAND_PREFIX.length()));
      }
      position += length;
    }
    return commands;
  }

  private static int hexLength(byte[] data, int position) {
    int length = 0;
    for (int i = position; i < position + 4; i++) {
      int digit = Character.digit(data[i], 16);
      if (digit < 0) {
        return -1;
      }
      length = length * 16 + digit;
    }
    return length;
  }
}
