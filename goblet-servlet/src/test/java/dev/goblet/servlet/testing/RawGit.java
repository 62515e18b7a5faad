package dev.goblet.servlet.testing;

import dev.goblet.protocol.Command;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.transport.PacketLineIn;

/** Sends smart HTTP requests by hand, to compare answers byte for byte. */
public final class RawGit {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

  private RawGit() {}

  /**
   * @param repositoryUrl the repository URL (through the proxy, or directly upstream)
   * @param arguments ls-refs argument lines, such as {@code peel} and {@code ref-prefix refs/}
   * @return the HTTP response with the raw body
   * @throws Exception when the exchange fails
   */
  public static HttpResponse<byte[]> lsRefs(String repositoryUrl, List<String> arguments)
      throws Exception {
    return uploadPack(
        repositoryUrl, new Command(Command.LS_REFS, List.of("agent=git/2.39.5"), arguments));
  }

  /**
   * @param repositoryUrl the repository URL (through the proxy, or directly upstream)
   * @param wants object ids the fetch wants
   * @return the HTTP response to a protocol v2 {@code fetch} of those objects (no haves, {@code
   *     done}), with the raw body
   * @throws Exception when the exchange fails
   */
  public static HttpResponse<byte[]> fetch(String repositoryUrl, List<String> wants)
      throws Exception {
    List<String> arguments = new ArrayList<>();
    wants.forEach(want -> arguments.add("want " + want));
    arguments.add("done");
    return uploadPack(
        repositoryUrl, new Command(Command.FETCH, List.of("agent=git/2.39.5"), arguments));
  }

  /**
   * @param repositoryUrl the repository URL (through the proxy, or directly upstream)
   * @param body a stateless protocol v0 upload-pack request, in pkt-lines
   * @return the HTTP response to it (sent without a {@code Git-Protocol} header), with the raw body
   * @throws Exception when the exchange fails
   */
  public static HttpResponse<byte[]> uploadPackV0(String repositoryUrl, String body)
      throws Exception {
    return uploadPack(repositoryUrl, null, body.getBytes(StandardCharsets.UTF_8));
  }

  private static HttpResponse<byte[]> uploadPack(String repositoryUrl, Command command)
      throws Exception {
    return uploadPack(repositoryUrl, "version=2", command.encode());
  }

  /** @param gitProtocol the {@code Git-Protocol} header; {@code null} sends none */
  private static HttpResponse<byte[]> uploadPack(
      String repositoryUrl, String gitProtocol, byte[] body) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(repositoryUrl + "/git-upload-pack"))
            .timeout(Duration.ofSeconds(60))
            .header("Content-Type", "application/x-git-upload-pack-request")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (gitProtocol != null) {
      request.header("Git-Protocol", gitProtocol);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * @param repositoryUrl the repository URL (through the proxy, or directly upstream)
   * @param gitProtocol the {@code Git-Protocol} header, such as {@code version=1}; {@code null}
   *     sends none (protocol v0)
   * @return the HTTP response to {@code GET info/refs?service=git-upload-pack}, with the raw body
   * @throws Exception when the exchange fails
   */
  public static HttpResponse<byte[]> infoRefs(String repositoryUrl, String gitProtocol)
      throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(repositoryUrl + "/info/refs?service=git-upload-pack"))
            .timeout(Duration.ofSeconds(60));
    if (gitProtocol != null) {
      request.header("Git-Protocol", gitProtocol);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * @param body a response body made of pkt-lines
   * @return the payloads, each without its trailing newline, a flush shown as {@code "0000"}
   * @throws Exception when the body is not well-formed pkt-lines
   */
  public static List<String> pktLines(byte[] body) throws Exception {
    ByteArrayInputStream bytes = new ByteArrayInputStream(body);
    PacketLineIn in = new PacketLineIn(bytes);
    List<String> lines = new ArrayList<>();
    while (bytes.available() > 0) {
      String line = in.readString();
      lines.add(PacketLineIn.isEnd(line) ? "0000" : line);
    }
    return lines;
  }
}
