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
 * Splits a protocol v2 request body into {@link Command}s. A body may hold several commands, each
 * {@code command=<name>}, capability lines, an optional delimiter and argument lines, and a flush.
 * Thread-safe (stateless).
 */
public final class CommandReader {
  private static final int MAX_PAYLOAD = 65520 - 4;

  private CommandReader() {}

  /**
   * @param body the whole (decoded) request body
   * @return the commands, at least one
   * @throws GobletException ({@link Status#BAD_REQUEST}) for anything that is not well-formed
   */
  public static List<Command> read(byte[] body) throws GobletException {
    ByteArrayInputStream bytes = new ByteArrayInputStream(body);
    PacketLineIn in = new PacketLineIn(bytes);
    List<Command> commands = new ArrayList<>();
    try {
      while (bytes.available() > 0) {
        String first = checked(in.readString());
        if (PacketLineIn.isEnd(first)) {
          continue; // a stray flush between commands carries nothing
        }
        commands.add(readCommand(first, in));
      }
    } catch (EOFException e) {
      throw new GobletException(Status.BAD_REQUEST, "truncated request: a command ended early", e);
    } catch (IOException e) {
      throw new GobletException(Status.BAD_REQUEST, "malformed pkt-line in request", e);
    }
    if (commands.isEmpty()) {
      throw new GobletException(Status.BAD_REQUEST, "empty request: no command was sent");
    }
    return commands;
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
