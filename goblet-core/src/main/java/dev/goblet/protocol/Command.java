package dev.goblet.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * One Git protocol v2 command as a client sent it: its name, capability lines and argument lines
 * (payloads without their trailing newline). Immutable.
 */
public record Command(String name, List<String> capabilities, List<String> arguments) {
  /** The ls-refs command. */
  public static final String LS_REFS = "ls-refs";

  /** The fetch command. */
  public static final String FETCH = "fetch";

  public Command {
    Objects.requireNonNull(name, "name");
    capabilities = List.copyOf(capabilities);
    arguments = List.copyOf(arguments);
  }

  /**
   * @return the command in pkt-line form, exactly as a client sends it: {@code command=<name>},
   *     capabilities, delimiter, arguments, flush
   */
  public byte[] encode() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PacketLineOut out = new PacketLineOut(bytes);
    try {
      out.writeString("command=" + name + "\n");
      for (String capability : capabilities) {
        out.writeString(capability + "\n");
      }
      out.writeDelim();
      for (String argument : arguments) {
        out.writeString(argument + "\n");
      }
      out.end();
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  /**
   * @param prefix an argument keyword with its separator, for example {@code "want "}
   * @return the values of every argument line that starts with {@code prefix}, in order
   */
  public List<String> argumentValues(String prefix) {
    return arguments.stream()
        .filter(a -> a.startsWith(prefix))
        .map(a -> a.substring(prefix.length()))
        .toList();
  }
}
