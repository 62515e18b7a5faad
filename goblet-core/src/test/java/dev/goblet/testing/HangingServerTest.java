package dev.goblet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class HangingServerTest {
  @Test
  void acceptsButNeverAnswers() throws Exception {
    try (HangingServer server = HangingServer.start();
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      assertThat(server.baseUrl()).isEqualTo("http://127.0.0.1:" + server.port());
      socket.setSoTimeout(500);
      OutputStream out = socket.getOutputStream();
      out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();

      assertThatThrownBy(() -> socket.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
      assertThat(server.awaitAcceptedConnections(1, Duration.ofSeconds(5))).isTrue();
      assertThat(server.acceptedConnections()).isEqualTo(1);
    }
  }

  @Test
  void closingEndsTheConnections() throws Exception {
    HangingServer server = HangingServer.start();
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(5_000);
      assertThat(server.awaitAcceptedConnections(1, Duration.ofSeconds(5))).isTrue();

      server.close();

      assertThat(socket.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void answeringAllSendsTheStatusAndEndsTheConnections() throws Exception {
    try (HangingServer server = HangingServer.start();
        Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(5_000);
      socket.getOutputStream()
          .write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
      assertThat(server.awaitAcceptedConnections(1, Duration.ofSeconds(5))).isTrue();
      Thread answering = new Thread(() -> server.answerAll(503));
      answering.start();

      String answer = new String(socket.getInputStream().readNBytes(12), StandardCharsets.US_ASCII);
      socket.shutdownOutput();
      answering.join(10_000);

      assertThat(answer).isEqualTo("HTTP/1.1 503");
      assertThat(answering.isAlive()).isFalse();
    }
  }
}
