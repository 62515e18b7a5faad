package dev.goblet.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * The protocol v0/v1 ref advertisement of smart HTTP ({@code GET info/refs}), formatted from the
 * lines of a protocol v2 {@code ls-refs} answer that asked for {@code symrefs} and {@code peel}:
 *
 * <pre>
 * # service=git-upload-pack
 * (flush)
 * [version 1]
 * &lt;oid&gt; HEAD\0&lt;capabilities, symref=HEAD:&lt;target&gt;, ...&gt;
 * &lt;oid&gt; refs/tags/v1
 * &lt;peeled oid&gt; refs/tags/v1^{}
 * (flush)
 * </pre>
 *
 * <p>A repository without refs is advertised as git does it, {@code 0000...0000
 * capabilities^{}\0<capabilities>}. Stateless; thread-safe.
 */
final class V0Advertisement {
  private static final String SYMREF_TARGET = "symref-target:";
  private static final String PEELED = "peeled:";

  private V0Advertisement() {}

  /**
   * @param body the response body
   * @param lsRefsLines the ls-refs answer's lines, each with or without its trailing newline; an
   *     {@code unborn} line is skipped (v0 cannot say it)
   * @param version1 whether the client asked for protocol v1 (a {@code version 1} line then follows
   *     the service header)
   * @throws IOException when writing fails
   */
  static void write(OutputStream body, List<String> lsRefsLines, boolean version1)
      throws IOException {
    List<String[]> refs = new ArrayList<>(lsRefsLines.size());
    List<String> symrefs = new ArrayList<>();
    for (String line : lsRefsLines) {
      String[] tokens = line.strip().split(" ");
      if (tokens.length < 2 || !ObjectId.isId(tokens[0])) {
        continue; // "unborn HEAD symref-target:..." has no v0 form
      }
      refs.add(tokens);
      for (int i = 2; i < tokens.length; i++) {
        if (tokens[i].startsWith(SYMREF_TARGET)) {
          symrefs.add(tokens[1] + ":" + tokens[i].substring(SYMREF_TARGET.length()));
        }
      }
    }
    PacketLineOut out = writeServiceHeader(body);
    if (version1) {
      out.writeString("version 1\n");
    }
    String capabilities = Capabilities.v0(symrefs);
    if (refs.isEmpty()) {
      out.writeString(ObjectId.zeroId().name() + " capabilities^{}\0" + capabilities + "\n");
    }
    boolean first = true;
    for (String[] ref : refs) {
      out.writeString(ref[0] + " " + ref[1] + (first ? "\0" + capabilities : "") + "\n");
      first = false;
      for (int i = 2; i < ref.length; i++) {
        if (ref[i].startsWith(PEELED)) {
          out.writeString(ref[i].substring(PEELED.length()) + " " + ref[1] + "^{}\n");
        }
      }
    }
    out.end();
  }

  /**
   * Answers a ref advertisement that could not be had: the service header, then an {@code ERR}
   * packet, which git, JGit and libgit2 all print.
   *
   * @param body the response body
   * @param message a message safe to show the user
   * @throws IOException when writing fails
   */
  static void writeError(OutputStream body, String message) throws IOException {
    PacketLineOut out = writeServiceHeader(body);
    out.writeString("ERR " + message + "\n");
    out.flush();
  }

  private static PacketLineOut writeServiceHeader(OutputStream body) throws IOException {
    PacketLineOut out = new PacketLineOut(body);
    out.writeString("# service=git-upload-pack\n");
    out.end();
    return out;
  }
}
