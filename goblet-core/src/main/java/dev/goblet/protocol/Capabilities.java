package dev.goblet.protocol;

import java.io.IOException;
import java.io.OutputStream;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * The protocol v2 capability advertisement the proxy answers {@code GET info/refs} with, without
 * asking the upstream. It lists only what the proxy serves: ls-refs (relayed or cached) and fetch
 * (JGit's UploadPack on the mirror, with shallow and filter turned on).
 *
 * <p>{@code ref-in-want} is deliberately not advertised: with it, {@code git fetch} asks for a ref
 * by name, and the mirror's value of that ref may be older than the upstream's. Without it, clients
 * want the object ids that ls-refs (relayed from the upstream) gave them, and a mirror that lacks
 * them fetches first.
 */
public final class Capabilities {
  /** The agent string the proxy announces. */
  public static final String AGENT = "goblet-java/0.1.0";

  private Capabilities() {}

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
