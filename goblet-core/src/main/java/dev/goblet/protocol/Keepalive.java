package dev.goblet.protocol;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * Keeps a waiting fetch's connection alive and its user informed. Once {@linkplain #start()
 * started}, the answer is open: its {@linkplain Opening opening} pkt-line is written (a v2
 * answer's {@code packfile} section header, or the {@code NAK} a v0/v1 final round without haves
 * answers before its side-band pack), and while the proxy waits (for an upstream fetch, for the
 * pack generation), every interval without a byte to the client sends a progress line on side-band
 * 2 ({@code remote: goblet: fetching owner/repo from github.com (12 s)}), or, for a client that
 * asked for {@code no-progress}, an empty side-band-1 packet (git's own keepalive). UploadPack's
 * answer then follows through {@link #packOut}, without its own copy of the opening; a failure
 * after the start goes as a side-band-3 error, which git prints. A keepalive that never starts
 * does nothing. Used by one request thread; not thread-safe.
 */
final class Keepalive {
  /** The payload of an empty side-band-1 packet, git's own keepalive. */
  private static final byte[] EMPTY_BAND_1 = {1};

  /** The longest message payload: a side-band (not 64k) packet is at most 1000 bytes. */
  private static final int MAX_MESSAGE = 1000 - 5;

  /** The pkt-line a started answer opens with, which UploadPack's own answer starts with too. */
  enum Opening {
    /** Protocol v2: the {@code packfile} section header. */
    PACKFILE("packfile\n"),
    /** Protocol v0/v1: the final {@code NAK} of a negotiation without haves, before the pack. */
    NAK("NAK\n");

    private final String payload;

    Opening(String payload) {
      this.payload = payload;
    }

    /** @return the pkt-line, length included */
    byte[] packet() {
      ByteArrayOutputStream packet = new ByteArrayOutputStream();
      try {
        new PacketLineOut(packet).writeString(payload);
      } catch (IOException e) {
        throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
      }
      return packet.toByteArray();
    }
  }

  private final OutputStream out;
  private final PacketLineOut packets;
  private final Opening opening;
  private final boolean progress;
  private final long intervalNanos;
  private final LongSupplier nanoTime;
  private boolean started;
  private long lastWrite;
  private long activitySince;
  private String activity = "";

  /**
   * @param out the client
   * @param opening what {@link #start()} writes
   * @param progress whether the client accepts progress messages
   * @param interval the longest silence the client sees while the proxy waits
   * @param nanoTime a monotonic clock
   */
  Keepalive(
      OutputStream out,
      Opening opening,
      boolean progress,
      Duration interval,
      LongSupplier nanoTime) {
    this.out = out;
    this.packets = new PacketLineOut(out);
    this.opening = opening;
    this.progress = progress;
    this.intervalNanos = interval.toNanos();
    this.nanoTime = nanoTime;
  }

  /**
   * @param out where UploadPack's answer goes
   * @return a keepalive that is never started: {@link #packOut} is {@code out} itself
   */
  static Keepalive off(OutputStream out) {
    return new Keepalive(out, Opening.PACKFILE, false, Duration.ofSeconds(1), System::nanoTime);
  }

  /** Writes the opening; from now on the client hears from the proxy. */
  void start() throws IOException {
    packets.writeString(opening.payload);
    out.flush();
    started = true;
    lastWrite = nanoTime.getAsLong();
  }

  /** @return whether the answer is open */
  boolean started() {
    return started;
  }

  /** @param what what the proxy waits for now, such as {@code fetching owner/repo from host} */
  void activity(String what) {
    activity = what;
    activitySince = nanoTime.getAsLong();
  }

  /** Says {@code message} to the user at once (when started and progress is wanted). */
  void say(String message) throws IOException {
    if (started && progress) {
      band(2, "goblet: " + message + "\n");
      out.flush();
      lastWrite = nanoTime.getAsLong();
    }
  }

  /** Called while waiting: writes progress or a keepalive when the client has heard nothing. */
  void idle() throws IOException {
    if (!started) {
      return;
    }
    long now = nanoTime.getAsLong();
    if (now - lastWrite < intervalNanos) {
      return;
    }
    if (progress && !activity.isEmpty()) {
      say(activity + " (" + Duration.ofNanos(now - activitySince).toSeconds() + " s)");
    } else {
      packets.writePacket(EMPTY_BAND_1);
      out.flush();
      lastWrite = now;
    }
  }

  /** Ends a started answer with {@code message} as a side-band-3 error. */
  void fail(String message) throws IOException {
    band(3, message + "\n");
    out.flush();
  }

  /**
   * @return where UploadPack's answer goes: the client, without the answer's own opening line when
   *     the answer is open already (a leading {@code ERR} packet becomes a side-band-3 error)
   */
  OutputStream packOut() {
    if (!started) {
      return out;
    }
    return new OutputStream() {
      private final ByteArrayOutputStream head = new ByteArrayOutputStream();
      private boolean passing;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        if (passing) {
          out.write(b, off, len);
          lastWrite = nanoTime.getAsLong();
          return;
        }
        head.write(b, off, len);
        byte[] bytes = head.toByteArray();
        if (bytes.length < 4) {
          return;
        }
        int length = WireValues.pktLength(bytes, 0);
        if (length >= 4 && bytes.length < length) {
          return; // the first packet is not whole yet
        }
        passing = true;
        int skip = 0;
        String first = length >= 4 ? new String(bytes, 4, length - 4, StandardCharsets.UTF_8) : "";
        if (first.equals(opening.payload)) {
          skip = length;
        } else if (first.startsWith("ERR ")) {
          fail(first.substring(4).strip());
          skip = length;
        }
        out.write(bytes, skip, bytes.length - skip);
        lastWrite = nanoTime.getAsLong();
      }

      @Override
      public void flush() throws IOException {
        out.flush();
      }
    };
  }

  private void band(int band, String text) throws IOException {
    byte[] payload = text.getBytes(StandardCharsets.UTF_8);
    byte[] packet = new byte[1 + Math.min(payload.length, MAX_MESSAGE)];
    packet[0] = (byte) band;
    System.arraycopy(payload, 0, packet, 1, packet.length - 1);
    packets.writePacket(packet);
  }
}
