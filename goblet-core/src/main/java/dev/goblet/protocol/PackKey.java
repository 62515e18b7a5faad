package dev.goblet.protocol;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The pack cache's key for one upload-pack request: a SHA-256 of everything that determines the
 * answer's bytes: the mirror and the version of its refs, the protocol version and parameters, and
 * the request's pkt-lines (wants, haves, shallow and deepen lines, filter, capabilities) without
 * those that only identify the client ({@code agent=}, {@code session-id=}), which would split
 * identical requests from different git versions. Only requests that end the negotiation ({@code
 * done}) get a key: the others answer with acknowledgments, cheap and never worth sharing.
 * Immutable; thread-safe.
 */
final class PackKey {
  private static final Pattern CLIENT_ONLY = Pattern.compile(" (?:agent|session-id)=\\S*");

  private PackKey() {}

  /**
   * @param mirrorKey the mirror's cache key
   * @param refsVersion the version of the mirror's refs (see {@code Mirror.refsVersion()})
   * @param v0 whether the request is a v0/v1 one (whose answer uses the mirror's refs as the
   *     advertisement)
   * @param protocolParameters the client's {@code Git-Protocol} values
   * @param request the request as UploadPack reads it, in pkt-lines
   * @return the key, or {@code null} when the request does not end the negotiation
   */
  static String of(
      String mirrorKey,
      long refsVersion,
      boolean v0,
      List<String> protocolParameters,
      byte[] request) {
    MessageDigest digest = sha256();
    update(digest, "goblet-pack-cache-1");
    update(digest, mirrorKey);
    update(digest, Long.toString(refsVersion));
    update(digest, v0 ? "v0" : "v2");
    protocolParameters.stream().sorted().forEach(p -> update(digest, p));
    boolean done = false;
    int i = 0;
    while (i + 4 <= request.length) {
      int length = WireValues.pktLength(request, i);
      if (length < 0 || length > request.length - i) {
        return null; // not pkt-lines after all: answer it, but share nothing
      }
      if (length < 4) {
        update(digest, "#" + length); // flush, delimiter, response-end
        i += 4;
        continue;
      }
      String payload = new String(request, i + 4, length - 4, StandardCharsets.UTF_8);
      i += length;
      String line = payload.endsWith("\n") ? payload.substring(0, payload.length() - 1) : payload;
      if (line.equals("done")) {
        done = true;
      }
      if (line.startsWith("agent=") || line.startsWith("session-id=")) {
        continue; // a v2 capability line that only names the client
      }
      update(digest, CLIENT_ONLY.matcher(line).replaceAll(""));
    }
    return done ? HexFormat.of().formatHex(digest.digest()) : null;
  }

  private static void update(MessageDigest digest, String value) {
    byte[] bytes = value.getBytes(StandardCharsets.UTF_8);
    digest.update(Integer.toString(bytes.length).getBytes(StandardCharsets.US_ASCII));
    digest.update((byte) ':');
    digest.update(bytes);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }
}
