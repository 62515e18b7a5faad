package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.PacketLineIn;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * One stateless protocol v0/v1 upload-pack request ({@code POST git-upload-pack} without {@code
 * Git-Protocol: version=2}), as far as the proxy needs to read it: the wants (to make sure the
 * mirror has them), the client's shallow commits and depth (to translate {@code deepen-relative}),
 * and whether the answer's start is known before the mirror is looked at (to send keepalives).
 * The rest (the haves' ids, filters, other capabilities) is left to JGit's UploadPack.
 *
 * <pre>
 * want &lt;oid&gt; &lt;capabilities&gt;
 * want &lt;oid&gt;
 * shallow &lt;oid&gt;
 * deepen &lt;n&gt;
 * (flush)
 * have &lt;oid&gt;
 * done
 * </pre>
 *
 * Immutable.
 */
final class V0Request {
  private static final String WANT = "want ";
  private static final String SHALLOW = "shallow ";
  private static final String DEEPEN = "deepen ";
  private static final String DEEPEN_SINCE = "deepen-since ";
  private static final String DEEPEN_NOT = "deepen-not ";
  private static final String DEEPEN_RELATIVE = "deepen-relative";
  /** Starts every deepen line: {@code deepen}, {@code deepen-since}, {@code deepen-not}. */
  private static final String DEEPEN_KEYWORD = "deepen";
  private static final String HAVE = "have ";
  private static final String DONE = "done";
  private static final String NO_PROGRESS = "no-progress";
  private static final List<String> SIDE_BANDS = List.of("side-band", "side-band-64k");

  /** The body's pkt-line payloads without their newline; a flush is {@link PacketLineIn#isEnd}. */
  private final List<String> lines;

  private final byte[] body;
  private final List<ObjectId> wants;
  private final List<ObjectId> shallows;
  private final int depth;
  private final boolean deepenRelative;
  private final boolean shallowListRound;
  private final List<String> capabilities;

  private V0Request(
      List<String> lines,
      byte[] body,
      List<ObjectId> wants,
      List<ObjectId> shallows,
      int depth,
      boolean deepenRelative,
      boolean shallowListRound,
      List<String> capabilities) {
    this.lines = lines;
    this.body = body;
    this.wants = List.copyOf(wants);
    this.shallows = List.copyOf(shallows);
    this.depth = depth;
    this.deepenRelative = deepenRelative;
    this.shallowListRound = shallowListRound;
    this.capabilities = List.copyOf(capabilities);
  }

  /**
   * @param body the whole (decoded) request body
   * @return the request
   * @throws GobletException ({@link Status#BAD_REQUEST}) for malformed pkt-lines, object ids,
   *     depths or times (which JGit would answer with an internal error)
   */
  static V0Request parse(byte[] body) throws GobletException {
    List<String> lines = new ArrayList<>();
    ByteArrayInputStream bytes = new ByteArrayInputStream(body);
    PacketLineIn in = new PacketLineIn(bytes);
    try {
      while (bytes.available() > 0) {
        String line = in.readString();
        if (PacketLineIn.isDelimiter(line)) {
          throw new GobletException(
              Status.BAD_REQUEST, "malformed request: a delimiter is not part of protocol v0");
        }
        lines.add(line);
      }
    } catch (EOFException e) {
      throw new GobletException(Status.BAD_REQUEST, "truncated request: a pkt-line ended early", e);
    } catch (IOException e) {
      throw new GobletException(Status.BAD_REQUEST, "malformed pkt-line in request", e);
    }
    List<String> wantValues = new ArrayList<>();
    List<String> shallowValues = new ArrayList<>();
    List<String> capabilities = List.of();
    int depth = 0;
    boolean deepenRelative = false;
    boolean deepenByTimeOrRef = false;
    int flush = lines.size();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (PacketLineIn.isEnd(line)) {
        flush = i; // the wants section ends at the first flush
        break;
      }
      if (line.startsWith(WANT)) {
        String[] parts = line.substring(WANT.length()).split(" ");
        if (wantValues.isEmpty()) {
          capabilities = Arrays.asList(parts).subList(1, parts.length);
        }
        wantValues.add(parts[0]);
        deepenRelative |= Arrays.asList(parts).contains(DEEPEN_RELATIVE);
      } else if (line.startsWith(SHALLOW)) {
        shallowValues.add(line.substring(SHALLOW.length()));
      } else if (line.startsWith(DEEPEN)) {
        depth = WireValues.positive(line.substring(DEEPEN.length()), "deepen");
      } else if (line.startsWith(DEEPEN_SINCE)) {
        WireValues.positive(line.substring(DEEPEN_SINCE.length()), "deepen-since");
        deepenByTimeOrRef = true;
      } else if (line.startsWith(DEEPEN_NOT)) {
        deepenByTimeOrRef = true;
      }
    }
    return new V0Request(
        List.copyOf(lines),
        body,
        WireValues.objectIds(wantValues, "want"),
        WireValues.objectIds(shallowValues, "shallow"),
        depth,
        deepenRelative,
        deepenByTimeOrRef && depth == 0 && flush == lines.size() - 1,
        capabilities);
  }

  /** @return the wanted object ids, in order */
  List<ObjectId> wants() {
    return wants;
  }

  /** @return the commits the client's history is cut at */
  List<ObjectId> shallows() {
    return shallows;
  }

  /** @return the {@code deepen} value, 0 when absent */
  int depth() {
    return depth;
  }

  /**
   * @return whether the answer is a {@code NAK} and then the pack on side-band, whatever the
   *     mirror holds: the request wants something and ends the negotiation ({@code done}) without
   *     a have (no common commit to acknowledge), without shallow or deepen lines (whose shallow
   *     list would come first), and the client asked for side-band or side-band-64k (so that
   *     keepalives and progress can follow the {@code NAK}); a clone's request
   */
  boolean answersNakThenSideBandPack() {
    return !wants.isEmpty()
        && lines.contains(DONE)
        && lines.stream()
            .noneMatch(
                line -> line.startsWith(HAVE) || line.startsWith(SHALLOW)
                    || line.startsWith(DEEPEN_KEYWORD))
        && !deepenRelative
        && capabilities.stream().anyMatch(SIDE_BANDS::contains);
  }

  /** @return whether the client accepts progress messages (it did not ask for no-progress) */
  boolean wantsProgress() {
    return !capabilities.contains(NO_PROGRESS);
  }

  /** @return whether the request names refs the server resolves ({@code deepen-not}) */
  boolean namesRefs() {
    return lines.stream().anyMatch(line -> line.startsWith(DEEPEN_NOT));
  }

  /** @return whether the client asked for {@code deepen-relative} (git fetch --deepen) */
  boolean isDeepenRelative() {
    return deepenRelative;
  }

  /**
   * @return whether this is the round in which a client deepening by time or by ref ({@code
   *     deepen-since}, {@code deepen-not}) asks only for its new shallow list: the request ends
   *     with the flush after the wants, with no have section
   */
  boolean isShallowListRound() {
    return shallowListRound;
  }

  /** @return the request with an empty have section (a flush) after its wants */
  byte[] withEmptyHaves() {
    byte[] flush = "0000".getBytes(StandardCharsets.US_ASCII);
    byte[] withFlush = Arrays.copyOf(body, body.length + flush.length);
    System.arraycopy(flush, 0, withFlush, body.length, flush.length);
    return withFlush;
  }

  /** @return the request body exactly as the client sent it (decoded) */
  byte[] body() {
    return body.clone();
  }

  /**
   * @param absoluteDepth the depth, counted from the wants, that replaces the relative one
   * @return the request with {@code deepen <absoluteDepth>} and without {@code deepen-relative}
   */
  byte[] withAbsoluteDepth(int absoluteDepth) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(body.length + 16);
    PacketLineOut out = new PacketLineOut(bytes);
    try {
      boolean inWants = true;
      for (String line : lines) {
        if (PacketLineIn.isEnd(line)) {
          out.end();
          inWants = false;
        } else if (inWants && line.startsWith(WANT)) {
          out.writeString(withoutDeepenRelative(line) + "\n");
        } else if (inWants && line.startsWith(DEEPEN)) {
          out.writeString(DEEPEN + absoluteDepth + "\n");
        } else {
          out.writeString(line + "\n");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
    }
    return bytes.toByteArray();
  }

  private static String withoutDeepenRelative(String wantLine) {
    return Arrays.stream(wantLine.split(" "))
        .filter(part -> !part.equals(DEEPEN_RELATIVE))
        .collect(Collectors.joining(" "));
  }
}
