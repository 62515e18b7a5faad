package dev.goblet.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A TCP relay on loopback in front of a real upstream that breaks the upstream's answers on demand:
 * garbage, truncation, a connection reset, or a slow trickle. Faults apply to the bytes flowing
 * from the upstream to the client, counted per connection. Thread-safe.
 */
public final class FaultInjectingProxy implements AutoCloseable {
  /** What happens to upstream answers. */
  public sealed interface Fault {
    /** Relays everything. */
    record None() implements Fault {}

    /** Answers every request with HTTP 200 and this body, without asking the upstream. */
    record Garbage(String body) implements Fault {}

    /** Relays this many bytes of the answer, then closes the connection cleanly. */
    record Truncate(long afterBytes) implements Fault {}

    /** Relays this many bytes of the answer, then resets the connection (TCP RST). */
    record Reset(long afterBytes) implements Fault {}

    /** Relays the answer one byte at a time with this pause between bytes. */
    record Trickle(long millisPerByte) implements Fault {}

    /**
     * A client that stops reading: relays this many bytes of the answers on a connection, counts
     * {@code stalled} down, then relays nothing more until {@code release} is counted down (at
     * most two minutes), then the rest. The relay's receive buffer is kept small, so the server
     * really waits. Keep the stall below the server's idle timeout (Jetty's default: 30 s).
     */
    record Stall(long afterBytes, CountDownLatch stalled, CountDownLatch release)
        implements Fault {}
  }

  private final ServerSocket server;
  private final int targetPort;
  private final ExecutorService threads =
      Executors.newCachedThreadPool(DaemonThreads.factory("fault-proxy"));
  private final List<Socket> sockets = new ArrayList<>();
  private volatile Fault fault = new Fault.None();

  private FaultInjectingProxy(ServerSocket server, int targetPort) {
    this.server = server;
    this.targetPort = targetPort;
  }

  /**
   * @param targetBaseUrl the upstream, such as {@code http://127.0.0.1:1234}
   * @return a started relay
   * @throws IOException when no port can be bound
   */
  public static FaultInjectingProxy start(String targetBaseUrl) throws IOException {
    int port = Integer.parseInt(targetBaseUrl.substring(targetBaseUrl.lastIndexOf(':') + 1));
    ServerSocket server = new ServerSocket();
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
    FaultInjectingProxy proxy = new FaultInjectingProxy(server, port);
    proxy.threads.execute(proxy::acceptLoop);
    return proxy;
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public String baseUrl() {
    return "http://127.0.0.1:" + server.getLocalPort();
  }

  /**
   * @param fault what happens to answers from now on; open connections are closed, so that
   *     clients holding pooled keep-alive connections reconnect and meet the new fault
   */
  public synchronized void inject(Fault fault) {
    this.fault = fault;
    sockets.forEach(FaultInjectingProxy::closeQuietly);
    sockets.clear();
  }

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        remember(client);
        Fault current = fault;
        threads.execute(() -> serve(client, current));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void serve(Socket client, Fault current) {
    try {
      if (current instanceof Fault.Garbage garbage) {
        answerGarbage(client, garbage.body());
        return;
      }
      Socket upstream = new Socket();
      if (current instanceof Fault.Stall) {
        upstream.setReceiveBufferSize(16 << 10); // a stalled client's window stays small
      }
      upstream.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort));
      remember(upstream);
      threads.execute(() -> pump(client, upstream));
      relayAnswer(upstream, client, current);
    } catch (IOException | InterruptedException e) {
      closeQuietly(client);
    }
  }

  private static void answerGarbage(Socket client, String body) throws IOException {
    InputStream in = client.getInputStream();
    readHeaders(in);
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    OutputStream out = client.getOutputStream();
    out.write(
        ("HTTP/1.1 200 OK\r\nContent-Type: application/x-git-upload-pack-result\r\n"
                + "Content-Length: " + bytes.length + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.flush();
    client.close();
  }

  /** Reads up to the blank line ending the request headers (the body, if any, is ignored). */
  private static void readHeaders(InputStream in) throws IOException {
    int matched = 0;
    byte[] end = {'\r', '\n', '\r', '\n'};
    for (int b; matched < 4 && (b = in.read()) != -1; ) {
      matched = b == end[matched] ? matched + 1 : (b == '\r' ? 1 : 0);
    }
  }

  private void relayAnswer(Socket upstream, Socket client, Fault current)
      throws IOException, InterruptedException {
    InputStream in = upstream.getInputStream();
    OutputStream out = client.getOutputStream();
    long sent = 0;
    byte[] buffer = new byte[current instanceof Fault.Trickle ? 1 : 8192];
    for (int n; (n = in.read(buffer)) != -1; ) {
      if (current instanceof Fault.Stall stall
          && sent + n > stall.afterBytes()
          && stall.release().getCount() > 0) {
        stall.stalled().countDown();
        stall.release().await(2, TimeUnit.MINUTES);
      }
      int allowed = n;
      if (current instanceof Fault.Truncate t) {
        allowed = (int) Math.min(n, t.afterBytes() - sent);
      } else if (current instanceof Fault.Reset r) {
        allowed = (int) Math.min(n, r.afterBytes() - sent);
      }
      out.write(buffer, 0, Math.max(0, allowed));
      out.flush();
      sent += Math.max(0, allowed);
      if (allowed < n) {
        if (current instanceof Fault.Reset) {
          client.setSoLinger(true, 0); // close with RST
        }
        client.close();
        upstream.close();
        return;
      }
      if (current instanceof Fault.Trickle trickle) {
        Thread.sleep(trickle.millisPerByte());
      }
    }
    client.shutdownOutput();
  }

  private static void pump(Socket from, Socket to) {
    try {
      from.getInputStream().transferTo(to.getOutputStream());
      to.shutdownOutput();
    } catch (IOException ignored) {
      // one side went away; the other direction notices on its own
    }
  }

  private synchronized void remember(Socket socket) {
    sockets.add(socket);
  }

  private static void closeQuietly(Socket socket) {
    try {
      socket.close();
    } catch (IOException ignored) {
      // already closed
    }
  }

  @Override
  public synchronized void close() throws IOException {
    server.close();
    sockets.forEach(FaultInjectingProxy::closeQuietly);
    threads.shutdownNow();
  }
}
