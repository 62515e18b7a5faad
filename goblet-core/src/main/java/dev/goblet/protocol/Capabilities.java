package dev.goblet.protocol;

import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * What the proxy advertises. For protocol v2, the capability advertisement the proxy answers {@code
 * GET info/refs} with, without asking the upstream. It lists only what the proxy serves: ls-refs
 * (relayed or cached) and fetch (JGit's UploadPack on the mirror, with shallow and filter turned
 * on). For protocol v0/v1, the capabilities on the first line of the ref advertisement: those
 * JGit's UploadPack honours for a stateless POST on the mirror, plus what the proxy adds to it:
 * {@code deepen-relative}, which it translates (see {@code DeepenRelative}), and {@code
 * deepen-since} and {@code deepen-not}, whose first stateless round UploadPack cannot answer alone
 * (see {@code FetchHandler}).
 *
 * <p>{@code ref-in-want} is deliberately not advertised: with it, {@code git fetch} asks for a ref
 * by name, and the mirror's value of that ref may be older than the upstream's. Without it, clients
 * want the object ids that ls-refs (relayed from the upstream) gave them, and a mirror that lacks
 * them fetches first.
 */
public final class Capabilities {
  /** The agent string the proxy announces. */
  public static final String AGENT = "goblet-java/0.1.0";

  /** The v0/v1 capabilities, in git's order; {@code symref=} entries go before {@code filter}. */
  private static final List<String> V0_BEFORE_SYMREFS =
      List.of(
          "multi_ack",
          "thin-pack",
          "side-band",
          "side-band-64k",
          "ofs-delta",
          "shallow",
          "deepen-since",
          "deepen-not",
          "deepen-relative",
          "no-progress",
          "include-tag",
          "multi_ack_detailed",
          "allow-tip-sha1-in-want",
          "allow-reachable-sha1-in-want",
          "no-done");

  private static final List<String> V0_AFTER_SYMREFS =
      List.of("filter", "object-format=sha1", "agent=" + AGENT);

  private Capabilities() {}

  /**
   * @param symrefs {@code <name>:<target>} pairs, such as {@code HEAD:refs/heads/main}
   * @return the v0/v1 capabilities, space separated, as they follow the NUL of the first ref line
   */
  public static String v0(List<String> symrefs) {
    List<String> capabilities = new ArrayList<>(V0_BEFORE_SYMREFS);
    symrefs.forEach(symref -> capabilities.add("symref=" + symref));
    capabilities.addAll(V0_AFTER_SYMREFS);
    return String.join(" ", capabilities);
  }

  /**
   * @param body where the advertisement is written, ending in a flush
   * @throws IOException when writing fails
   */
  public static void writeV2(OutputStream body) throws IOException {
    PacketLineOut out = new PacketLineOut(body);
    out.writeString("version 2\n");
    out.writeString("agent=" + AGENT + "\n");
    out.writeString("ls-refs\n");
    out.writeString("fetch=shallow filter\n");
    out.writeString("server-option\n");
    out.writeString("object-format=sha1\n");
    out.end();
  }
}
