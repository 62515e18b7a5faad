package dev.goblet.testing;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP server on {@code 127.0.0.1} that accepts every connection and then never writes a byte,
 * keeping the sockets open until {@link #close()}: an upstream that hangs after the TCP handshake.
 *
 * <p>Thread-safe.
 */
public final class HangingServer implements AutoCloseable {
  private final ServerSocket listener;
  private final Thread acceptor;
  private final List<Socket> accepted = new ArrayList<>(); // guarded by this

  private HangingServer(ServerSocket listener) {
    this.listener = listener;
    this.acceptor = DaemonThreads.start("hanging-server-" + listener.getLocalPort(), this::acceptForever);
  }

  /** @return a started server on an ephemeral port of {@code 127.0.0.1} */
  public static HangingServer start() {
    try {
      return new HangingServer(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind a hanging server", e);
    }
  }

  private void acceptForever() {
    while (!listener.isClosed()) {
      try {
        Socket socket = listener.accept();
        synchronized (this) {
          accepted.add(socket);
          notifyAll();
        }
      } catch (IOException e) {
        return; // closed
      }
    }
  }

  /** @return the port the server listens on */
  public int port() {
    return listener.getLocalPort();
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  /** @return how many connections were accepted so far */
  public synchronized int acceptedConnections() {
    return accepted.size();
  }

  /**
   * Waits until at least {@code count} connections were accepted.
   *
   * @return whether they were, before {@code timeout} elapsed
   */
  public synchronized boolean awaitAcceptedConnections(int count, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (accepted.size() < count) {
      long remainingMillis = (deadline - System.nanoTime()) / 1_000_000;
      if (remainingMillis <= 0) {
        return false;
      }
      wait(remainingMillis);
    }
    return true;
  }

  /**
   * Ends the hang: answers every connection accepted so far with {@code HTTP/1.1 <status>} (no
   * body, {@code Connection: close}), reads what the client sent until it closes its side (at most
   * 5 s), and closes it. Unlike {@link #close()}, which resets a connection whose request was never
   * read, the client sees a definite answer: JDK 17's HttpClient was seen to miss such a reset now
   * and then and wait for its request timeout.
   */
  public void answerAll(int status) {
    byte[] answer =
        ("HTTP/1.1 " + status + " Hung\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
    List<Socket> toAnswer;
    synchronized (this) {
      toAnswer = List.copyOf(accepted);
    }
    for (Socket socket : toAnswer) {
      try (socket) {
        socket.getOutputStream().write(answer);
        socket.getOutputStream().flush();
        socket.shutdownOutput();
        socket.setSoTimeout(5_000);
        socket.getInputStream().transferTo(OutputStream.nullOutputStream());
      } catch (IOException ignored) {
        // The client went away, or kept its side open past 5 s: closing anyway.
      }
    }
  }

  /** Stops listening and closes every accepted connection. */
  @Override
  public void close() {
    try {
      listener.close();
    } catch (IOException ignored) {
      // Closing anyway.
    }
    List<Socket> toClose;
    synchronized (this) {
      toClose = List.copyOf(accepted);
    }
    for (Socket socket : toClose) {
      try {
        socket.close();
      } catch (IOException ignored) {
        // Closing anyway.
      }
    }
    try {
      acceptor.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
