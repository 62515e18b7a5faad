package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.transport.PacketLineIn;

/**
 * Reads the {@link Command} of a protocol v2 request body: {@code command=<name>}, capability
 * lines, an optional delimiter and argument lines, and a flush.
 * Thread-safe (stateless).
 */
public final class CommandReader {
  private static final int MAX_PAYLOAD = 65520 - 4;

  private CommandReader() {}

  /**
   * Reads the one command of a request. Git sends one command per HTTP request, and its own
   * server answers only the first; the proxy refuses a body with more rather than relaying each
   * (which would turn one small request into hundreds of upstream calls).
   *
   * @param body the whole (decoded) request body
   * @return its command
   * @throws GobletException ({@link Status#BAD_REQUEST}) for anything that is not well-formed, or
   *     a second command
   */
  public static Command readOne(byte[] body) throws GobletException {
    ByteArrayInputStream bytes = new ByteArrayInputStream(body);
    PacketLineIn in = new PacketLineIn(bytes);
    Command command = null;
    try {
      while (bytes.available() > 0) {
        String first = checked(in.readString());
        if (PacketLineIn.isEnd(first)) {
          continue;
        }
        if (command != null && first.startsWith("command=")) {
          throw new GobletException(
              Status.BAD_REQUEST,
              "the proxy answers one command per request, as git sends them; this request has"
                  + " more than one");
        }
        command = readCommand(first, in); // after a command: fails, naming what came instead
      }
    } catch (EOFException e) {
      throw new GobletException(Status.BAD_REQUEST, "truncated request: a command ended early", e);
    } catch (IOException e) {
      throw new GobletException(Status.BAD_REQUEST, "malformed pkt-line in request", e);
    }
    if (command == null) {
      throw new GobletException(Status.BAD_REQUEST, "empty request: no command was sent");
    }
    return command;
  }

  private static Command readCommand(String first, PacketLineIn in)
      throws IOException, GobletException {
    if (PacketLineIn.isDelimiter(first) || !first.startsWith("command=")) {
      throw new GobletException(
          Status.BAD_REQUEST, "expected command=<name> but got " + describe(first));
    }
    String name = first.substring("command=".length());
    List<String> capabilities = new ArrayList<>();
    List<String> arguments = new ArrayList<>();
    List<String> target = capabilities;
    while (true) {
      String line = checked(in.readString());
      if (PacketLineIn.isEnd(line)) {
        return new Command(name, capabilities, arguments);
      }
      if (PacketLineIn.isDelimiter(line)) {
        if (target == arguments) {
          throw new GobletException(Status.BAD_REQUEST, "a command has two delimiters");
        }
        target = arguments;
        continue;
      }
      target.add(line);
    }
  }

  /** Git's largest pkt-line is 65520 bytes with its 4-byte header; JGit reads up to 65535. */
  private static String checked(String line) throws GobletException {
    if (line.length() > MAX_PAYLOAD
        && line.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > MAX_PAYLOAD) {
      throw new GobletException(
          Status.BAD_REQUEST, "malformed pkt-line in request: longer than 65520 bytes");
    }
    return line;
  }

  private static String describe(String line) {
    if (PacketLineIn.isDelimiter(line)) {
      return "a delimiter";
    }
    return "'" + WireValues.printable(line, 40) + "'";
  }
}
