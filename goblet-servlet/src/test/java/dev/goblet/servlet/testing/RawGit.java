package dev.goblet.servlet.testing;

import dev.goblet.protocol.Command;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

/** Sends protocol v2 commands over HTTP by hand, to compare answers byte for byte. */
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
    Command command = new Command(Command.LS_REFS, List.of("agent=git/2.39.5"), arguments);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(repositoryUrl + "/git-upload-pack"))
            .timeout(Duration.ofSeconds(60))
            .header("Git-Protocol", "version=2")
            .header("Content-Type", "application/x-git-upload-pack-request")
            .POST(HttpRequest.BodyPublishers.ofByteArray(command.encode()))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofByteArray());
  }
}
