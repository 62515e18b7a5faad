package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Reads the values of request lines ({@code want <oid>}, {@code deepen <n>}) with a clear {@code
 * BAD_REQUEST} for anything malformed, and shows client-sent text safely in messages. Stateless.
 */
final class WireValues {
  private WireValues() {}

  /**
   * @param values hexadecimal object ids, as sent after {@code keyword}
   * @param keyword the line's keyword, for the error message, such as {@code want}
   * @return the parsed ids, in order
   * @throws GobletException ({@link Status#BAD_REQUEST}) for a value that is not an object id
   */
  static List<ObjectId> objectIds(List<String> values, String keyword) throws GobletException {
    List<ObjectId> ids = new ArrayList<>(values.size());
    for (String value : values) {
      if (!ObjectId.isId(value)) {
        throw new GobletException(
            Status.BAD_REQUEST, "invalid object id in " + keyword + ": " + printable(value, 80));
      }
      ids.add(ObjectId.fromString(value));
    }
    return ids;
  }

  /**
   * @param value the value of a {@code deepen} or {@code deepen-since} line
   * @param keyword the line's keyword, for the error message
   * @return the number, at least 1
   * @throws GobletException ({@link Status#BAD_REQUEST}) when it is not a positive 32-bit number
   */
  static int positive(String value, String keyword) throws GobletException {
    try {
      int depth = Integer.parseInt(value);
      if (depth > 0) {
        return depth;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new GobletException(
        Status.BAD_REQUEST, "invalid number in " + keyword + ": " + printable(value, 20));
  }

  /**
   * @param value text a client sent
   * @param max how many characters to show at most
   * @return the text cut to {@code max} characters, non-printable characters replaced by {@code ?}
   */
  static String printable(String value, int max) {
    String shown = value.length() > max ? value.substring(0, max) + "..." : value;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /**
   * @param bytes pkt-line bytes
   * @param offset where a packet starts; four bytes must follow it
   * @return the packet's length from its four hex digits, or -1 when they are not hex
   */
  static int pktLength(byte[] bytes, int offset) {
    int length = 0;
    for (int k = offset; k < offset + 4; k++) {
      int digit = Character.digit(bytes[k], 16);
      if (digit < 0) {
        return -1;
      }
      length = length * 16 + digit;
    }
    return length;
  }
}
