package dev.goblet.servlet.testing;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * A real HAProxy (Debian's {@code haproxy}) in front of the proxy on loopback, in HTTP mode with
 * the given idle timeouts, as a load balancer in front of a replica would be. Close it to stop.
 */
public final class HaProxy implements AutoCloseable {
  private final Process process;
  private final int port;

  private HaProxy(Process process, int port) {
    this.process = process;
    this.port = port;
  }

  /**
   * @param dir a directory for the configuration file
   * @param backendBaseUrl the proxy, such as {@code http://127.0.0.1:1234}
   * @param idleTimeout HAProxy's {@code timeout client} and {@code timeout server}
   * @return a running HAProxy, accepting connections
   * @throws Exception when it cannot start
   */
  public static HaProxy start(Path dir, String backendBaseUrl, Duration idleTimeout)
      throws Exception {
    URI backend = URI.create(backendBaseUrl);
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    long timeout = idleTimeout.toMillis();
    Path config = dir.resolve("haproxy.cfg");
    Files.createDirectories(dir);
    Files.writeString(
        config,
        String.join(
            "\n",
            "global",
            "  maxconn 256",
            "defaults",
            "  mode http",
            "  timeout connect 5s",
            "  timeout client " + timeout + "ms",
            "  timeout server " + timeout + "ms",
            "frontend git",
            "  bind 127.0.0.1:" + port,
            "  default_backend goblet",
            "backend goblet",
            "  server replica " + backend.getHost() + ":" + backend.getPort(),
            ""));
    Process process =
        new ProcessBuilder("haproxy", "-db", "-f", config.toString())
            .redirectErrorStream(true)
            .redirectOutput(dir.resolve("haproxy.log").toFile())
            .start();
    HaProxy haProxy = new HaProxy(process, port);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (true) {
      try (Socket socket = new Socket()) {
        socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
        return haProxy;
      } catch (IOException notYet) {
        if (!process.isAlive() || System.nanoTime() > deadline) {
          haProxy.close();
          throw new IOException(
              "haproxy did not start: " + Files.readString(dir.resolve("haproxy.log")), notYet);
        }
        Thread.onSpinWait();
      }
    }
  }

  /** @return {@code http://127.0.0.1:<port>} */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  @Override
  public void close() throws Exception {
    process.destroy();
    if (!process.waitFor(10, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }
}
