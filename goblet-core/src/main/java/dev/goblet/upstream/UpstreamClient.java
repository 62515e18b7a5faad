package dev.goblet.upstream;

import dev.goblet.Status;
import dev.goblet.UpstreamCredentials;
import dev.goblet.cache.RefLine;
import dev.goblet.protocol.Capabilities;
import dev.goblet.protocol.Command;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jgit.api.TransportConfigCallback;
import org.eclipse.jgit.transport.PacketLineIn;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.TransportHttp;

/**
 * Talks to upstreams: protocol v2 ls-refs over HTTP (JDK client), and the credentials and headers
 * for JGit's fetch transport. Thread-safe.
 *
 * <p>Redirects are never followed, by the JDK client nor by JGit's transport, so an upstream
 * cannot send the proxy, or its credentials, to a host that is not on its allow-list: a redirect
 * is an upstream error naming the target's host.
 */
public final class UpstreamClient {
  /** The largest ls-refs answer accepted (a Gerrit server with a million refs stays below). */
  private static final long MAX_LS_REFS_BYTES = 512L << 20;

  /** How much of an error answer's body is read for what the upstream said. */
  private static final int MAX_SAID_BYTES = 512;

  private static final AnswerCheckingConnectionFactory CONNECTIONS =
      new AnswerCheckingConnectionFactory();

  private final HttpClient http;
  private final UpstreamCredentials credentials;
  private final Duration timeout;

  /**
   * @param credentials what the proxy presents upstream
   * @param connectTimeout TCP connect time limit
   * @param timeout limit for a whole ls-refs exchange
   */
  public UpstreamClient(
      UpstreamCredentials credentials, Duration connectTimeout, Duration timeout) {
    this.credentials = credentials;
    this.timeout = timeout;
    this.http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .followRedirects(HttpClient.Redirect.NEVER)
            .connectTimeout(connectTimeout)
            .build();
  }

  /**
   * Sends one ls-refs command upstream and returns its answer.
   *
   * @param upstream the canonical repository URL
   * @param command the client's ls-refs command, relayed as it is
   * @return the answer's pkt-line payloads exactly as sent, each with its trailing newline, without
   *     the closing flush
   * @throws UpstreamException when the upstream cannot answer well
   */
  public List<String> lsRefs(URI upstream, Command command) throws UpstreamException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(endpoint(upstream, "/git-upload-pack"))
            .timeout(timeout)
            .header("Content-Type", "application/x-git-upload-pack-request")
            .header("Accept", "application/x-git-upload-pack-result")
            .header("Git-Protocol", "version=2")
            .header("User-Agent", "git/2.0 (" + Capabilities.AGENT + ")")
            .POST(HttpRequest.BodyPublishers.ofByteArray(command.encode()));
    authorization(upstream).ifPresent(value -> request.header("Authorization", value));
    long deadline = System.nanoTime() + timeout.toNanos();
    HttpResponse<InputStream> response = send(request.build());
    // The request timeout covers the wait for headers only: a trickling body is cut off by
    // closing it at the deadline.
    AtomicBoolean expired = new AtomicBoolean();
    CompletableFuture<Void> watchdog =
        CompletableFuture.runAsync(
            () -> {
              expired.set(true);
              closeQuietly(response.body());
            },
            CompletableFuture.delayedExecutor(
                Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS));
    try (InputStream body = response.body()) {
      int code = response.statusCode();
      if (code != 200) {
        throw httpError(response, body, false);
      }
      return readAnswer(body);
    } catch (IOException e) {
      if (expired.get()) {
        throw outage(Status.GATEWAY_TIMEOUT, "the upstream did not answer in time", e);
      }
      throw outage(Status.BAD_GATEWAY, "the upstream sent a broken ls-refs answer", e);
    } finally {
      watchdog.cancel(false);
    }
  }

  /**
   * Asks the upstream whether a client's own credentials may read a repository: {@code GET
   * info/refs?service=git-upload-pack} (protocol v2, so the answer is the short capability
   * advertisement) with only the client's {@code Authorization} header, never the proxy's. The
   * answer's body is not read.
   *
   * @param upstream the canonical repository URL
   * @param clientAuthorization the client's {@code Authorization} header value
   * @throws UpstreamException unless the upstream answered 200: a {@linkplain
   *     UpstreamException#isRefusal() refusal} for 401, 403 or 404, an {@linkplain
   *     UpstreamException#isOutage() outage} when it could not answer
   */
  public void checkAccess(URI upstream, String clientAuthorization) throws UpstreamException {
    HttpRequest request =
        HttpRequest.newBuilder(endpoint(upstream, "/info/refs?service=git-upload-pack"))
            .timeout(timeout)
            .header("Accept", "application/x-git-upload-pack-advertisement")
            .header("Git-Protocol", "version=2")
            .header("User-Agent", "git/2.0 (" + Capabilities.AGENT + ")")
            .header("Authorization", clientAuthorization)
            .GET()
            .build();
    HttpResponse<InputStream> response = send(request);
    try (InputStream body = response.body()) {
      if (response.statusCode() != 200) {
        throw httpError(response, body, true);
      }
    } catch (IOException e) {
      // closing an unread body; the status has been seen
    }
  }

  private HttpResponse<InputStream> send(HttpRequest request) throws UpstreamException {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (HttpConnectTimeoutException e) {
      throw outage(Status.GATEWAY_TIMEOUT, "timed out connecting to the upstream", e);
    } catch (HttpTimeoutException e) {
      throw outage(Status.GATEWAY_TIMEOUT, "the upstream did not answer in time", e);
    } catch (ConnectException e) {
      throw outage(Status.UNAVAILABLE, "cannot connect to the upstream", e);
    } catch (IOException e) {
      throw outage(Status.BAD_GATEWAY, "the upstream connection failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw outage(Status.UNAVAILABLE, "interrupted while asking the upstream", e);
    }
  }

  private static void closeQuietly(InputStream in) {
    try {
      in.close();
    } catch (IOException ignored) {
      // closing to interrupt a read; nothing more to do
    }
  }

  private static List<String> readAnswer(InputStream body) throws IOException, UpstreamException {
    PacketLineIn in = new PacketLineIn(body, MAX_LS_REFS_BYTES);
    List<String> lines = new ArrayList<>();
    while (true) {
      String line = in.readStringRaw();
      if (PacketLineIn.isEnd(line)) {
        return lines;
      }
      if (PacketLineIn.isDelimiter(line) || !line.endsWith("\n")) {
        throw new IOException("unexpected line in ls-refs answer");
      }
      if (line.startsWith("ERR ")) {
        String message = line.substring(4).strip();
        throw new UpstreamException(
            Status.BAD_GATEWAY, "the upstream refused ls-refs: " + message, false, null);
      }
      try {
        RefLine.parse(line.substring(0, line.length() - 1)); // relayed and cached only if sound
      } catch (IllegalArgumentException e) {
        throw new IOException("malformed line in ls-refs answer", e);
      }
      lines.add(line);
    }
  }

  /**
   * @param upstream the repository a JGit transport will talk to
   * @return configures JGit's HTTP transport with the proxy's credentials
   */
  public TransportConfigCallback transportConfig(URI upstream) {
    return (Transport transport) -> {
      if (transport instanceof TransportHttp httpTransport) {
        Map<String, String> headers = new HashMap<>();
        try {
          authorization(upstream).ifPresent(value -> headers.put("Authorization", value));
        } catch (UpstreamException e) {
          throw new IllegalStateException(e.getMessage(), e);
        }
        httpTransport.setAdditionalHeaders(headers);
        // Fails on the first redirect or refusal, before JGit could follow it with the headers.
        httpTransport.setHttpConnectionFactory(CONNECTIONS);
      }
    };
  }

  private Optional<String> authorization(URI upstream) throws UpstreamException {
    try {
      return credentials.authorization(upstream);
    } catch (IOException | RuntimeException e) {
      throw new UpstreamException(
          Status.BAD_GATEWAY, "the proxy's upstream credentials are unavailable", false, e);
    }
  }

  /**
   * @return the failure an answer other than 200 stands for, with what the upstream said (the
   *     start of a plain-text body)
   */
  private static UpstreamException httpError(
      HttpResponse<?> response, InputStream body, boolean clients) {
    byte[] start;
    try {
      start = body.readNBytes(MAX_SAID_BYTES);
    } catch (IOException e) {
      start = new byte[0]; // the status says enough
    }
    return UpstreamAnswers.error(
        response.statusCode(),
        UpstreamAnswers.plainText(start, response.headers().firstValue("Content-Type").orElse(null)),
        response.request().uri(),
        response.headers().firstValue("Location").orElse(null),
        clients);
  }

  /**
   * @param failure a failed JGit fetch from an upstream configured by {@link #transportConfig}
   * @return the upstream's answer that made it fail (a redirect or a refusal), if that was the cause
   */
  public Optional<UpstreamException> answerIn(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof AnswerCheckingConnectionFactory.RefusedAnswer answer) {
        return Optional.of(answer.failure());
      }
    }
    return Optional.empty();
  }

  private static URI endpoint(URI upstream, String suffix) {
    return URI.create(upstream.toString() + suffix);
  }

  private static UpstreamException outage(Status status, String message, Throwable cause) {
    return new UpstreamException(status, message, true, cause);
  }
}
