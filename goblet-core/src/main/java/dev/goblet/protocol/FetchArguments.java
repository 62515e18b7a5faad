package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a protocol v2 {@code fetch} command's arguments before JGit sees them, so a malformed
 * request gets a precise client error instead of JGit's "internal server error". Thread-safe
 * (stateless).
 */
final class FetchArguments {
  private static final Pattern OBJECT_ID = Pattern.compile("[0-9a-f]{40}");
  private static final Pattern NUMBER = Pattern.compile("[0-9]{1,18}"); // deepen-since: epoch secs
  private static final Set<String> FLAGS =
      Set.of(
          "done", "thin-pack", "no-progress", "include-tag", "ofs-delta", "sideband-all",
          "wait-for-done", "deepen-relative");

  private FetchArguments() {}

  /**
   * @param command a fetch command
   * @throws GobletException ({@link Status#BAD_REQUEST}) naming the first malformed argument
   */
  static void check(Command command) throws GobletException {
    for (String argument : command.arguments()) {
      int space = argument.indexOf(' ');
      String keyword = space < 0 ? argument : argument.substring(0, space);
      String value = space < 0 ? null : argument.substring(space + 1);
      boolean ok =
          switch (keyword) {
            case "want", "have", "shallow" -> value != null && OBJECT_ID.matcher(value).matches();
            case "deepen", "deepen-since" -> value != null && NUMBER.matcher(value).matches();
            case "deepen-not", "want-ref", "filter", "packfile-uris" ->
                value != null && !value.isBlank();
            default -> value == null && FLAGS.contains(keyword);
          };
      if (!ok) {
        throw new GobletException(
            Status.BAD_REQUEST,
            "malformed fetch argument '" + WireValues.printable(argument, 60) + "'");
      }
    }
  }
}
