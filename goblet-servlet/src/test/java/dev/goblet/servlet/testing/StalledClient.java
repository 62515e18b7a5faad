package dev.goblet.servlet.testing;

import dev.goblet.protocol.Command;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * A client that asks for a pack over raw HTTP/1.1 (protocol v2 {@code fetch} with {@code done}),
 * reads the first bytes of the answer and then stops reading, like a stalled CI agent on a slow
 * link: the server's writes fill the socket buffers and block. Close it to hang up.
 */
public final class StalledClient implements AutoCloseable {
  private final Socket socket;
  private final byte[] head;

  private StalledClient(Socket socket, byte[] head) {
    this.socket = socket;
    this.head = head;
  }

  /**
   * @param repositoryUrl the repository URL through the proxy
   * @param want the commit to fetch
   * @param bytes how many bytes of the answer to read before stalling
   * @return the stalled client, with the first bytes read
   * @throws IOException when the exchange fails before the bytes arrive
   */
  public static StalledClient fetchAndStall(String repositoryUrl, String want, int bytes)
      throws IOException {
    URI uri = URI.create(repositoryUrl + "/git-upload-pack");
    byte[] body =
        new Command(
                Command.FETCH,
                List.of("agent=git/stalled-test", "object-format=sha1"),
                List.of("thin-pack", "ofs-delta", "want " + want, "done"))
            .encode();
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096); // stall early: little room in the client's kernel buffer
    socket.setSoTimeout(60_000);
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
    try {
      OutputStream out = socket.getOutputStream();
      String request =
          "POST " + uri.getRawPath() + " HTTP/1.1\r\n"
              + "Host: " + uri.getHost() + ":" + uri.getPort() + "\r\n"
              + "Git-Protocol: version=2\r\n"
              + "Content-Type: application/x-git-upload-pack-request\r\n"
              + "Accept: application/x-git-upload-pack-result\r\n"
              + "Content-Length: " + body.length + "\r\n"
              + "\r\n";
      out.write(request.getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      InputStream in = socket.getInputStream();
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      byte[] buffer = new byte[1024];
      while (head.size() < bytes) {
        int n = in.read(buffer, 0, Math.min(buffer.length, bytes - head.size()));
        if (n < 0) {
          throw new IOException("the answer ended after " + head.size() + " bytes");
        }
        head.write(buffer, 0, n);
      }
      return new StalledClient(socket, head.toByteArray());
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** @return the bytes read before stalling, HTTP head included */
  public String head() {
    return new String(head, StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
