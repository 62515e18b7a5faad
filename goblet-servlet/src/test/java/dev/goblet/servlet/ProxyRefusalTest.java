package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.testing.GitCli;
import dev.goblet.testing.PktLine;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Requests the proxy must refuse, each with a clear answer, and none reaching the upstream. */
class ProxyRefusalTest extends HarnessTestBase {
  private static final HttpClient HTTP = HttpClient.newHttpClient();


  @BeforeEach
  void setUp() throws Exception {
    harness.newRepo("owner/repo");
    harness.startProxy();
  }

  @Test
  void unlistedHostIsForbiddenWithClearMessage() {
    GitCli.Result result =
        git.run(tmp, "ls-remote", harness.proxyBaseUrl() + "/example.com/owner/repo");
    assertThat(result.exitCode()).isNotZero();
    assertThat(result.stderr()).contains("not on this proxy's allow-list");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void dotDotAndEncodedPathsNeverLeaveTheCacheRoot() throws Exception {
    String host = harness.upstream().baseUrl().substring("http://".length());
    for (String path :
        new String[] {
          "/" + host + "/../../etc/info/refs?service=git-upload-pack",
          "/" + host + "/owner/%2e%2e/%2e%2e/info/refs?service=git-upload-pack",
          "/" + host + "/owner/.hidden/info/refs?service=git-upload-pack",
          "/" + host + "/owner/re%5cpo/info/refs?service=git-upload-pack",
        }) {
      HttpResponse<String> response = get(path, "version=2");
      assertThat(response.statusCode()).as(path).isBetween(400, 404);
    }
    assertThat(harness.upstream().requests()).isEmpty();
    try (var files = Files.walk(tmp.resolve("cache"))) {
      assertThat(files.filter(p -> p.toString().contains("etc")).toList()).isEmpty();
    }
  }

  @Test
  void malformedProtocolV0RequestsGetAnErrPacket() throws Exception {
    String badWant = "want " + "z".repeat(40) + " multi_ack_detailed\n";
    HttpResponse<String> response =
        postV0(PktLine.of(badWant) + PktLine.FLUSH + PktLine.of("done\n"));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("ERR invalid object id in want: zzzz");

    String want = "want " + "a".repeat(40) + "\n";
    HttpResponse<String> badDepth =
        postV0(PktLine.of(want) + PktLine.of("deepen -3\n") + PktLine.FLUSH);
    assertThat(badDepth.body()).contains("ERR invalid number in deepen: -3");

    HttpResponse<String> truncated = postV0("0032want aaaa");
    assertThat(truncated.body()).contains("ERR truncated request");

    HttpResponse<String> delimiter = postV0(PktLine.of(want) + PktLine.DELIM);
    assertThat(delimiter.body()).contains("ERR malformed request: a delimiter");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void aMalformedV2DeepenRelativeFetchGetsAClearErrPacketNotAnInternalError() throws Exception {
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("warm").toString());
    String main = git.runOk(harness.dir("warm"), "rev-parse", "HEAD").stdout().trim();
    String fetch =
        PktLine.of("command=fetch\n") + PktLine.DELIM + PktLine.of("want " + main + "\n")
            + PktLine.of("shallow " + "q".repeat(40) + "\n") + PktLine.of("deepen 2\n")
            + PktLine.of("deepen-relative\n") + PktLine.of("done\n") + PktLine.FLUSH;
    HttpResponse<String> response = post(uploadPackPath(), fetch.getBytes(), null);
    assertThat(response.body()).contains("ERR malformed fetch argument 'shallow qqqq")
        .doesNotContain("internal");
  }

  @Test
  void aRequestUploadPackRejectsGetsItsErrPacketNotAnHttp500() throws Exception {
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("warm").toString());
    String main = git.runOk(harness.dir("warm"), "rev-parse", "HEAD").stdout().trim();
    // Excluding everything the client wants leaves no commit to send: a protocol error.
    String v2 =
        PktLine.of("command=fetch\n") + PktLine.DELIM + PktLine.of("want " + main + "\n")
            + PktLine.of("deepen-not refs/heads/main\n") + PktLine.of("done\n") + PktLine.FLUSH;
    String v0 =
        PktLine.of("want " + main + " multi_ack_detailed side-band-64k\n")
            + PktLine.of("deepen-not refs/heads/main\n") + PktLine.FLUSH + PktLine.of("done\n");
    for (HttpResponse<String> response :
        List.of(post(uploadPackPath(), v2.getBytes(), null), postV0(v0))) {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).contains("ERR No commits selected for shallow request");
    }
  }

  /**
   * A v0 clone with side-band has its {@code NAK} before the proxy asks the upstream (see {@code
   * KeepaliveTest}): the error follows it on side-band 3, which git prints as a remote error.
   * Without side-band it is an {@code ERR} packet.
   */
  @Test
  void aProtocolV0WantTheUpstreamLacksGetsAClearError() throws Exception {
    String missing = "1".repeat(40);
    String message = "the upstream does not have object " + missing + "\n";
    HttpResponse<String> sideBand =
        postV0(PktLine.of("want " + missing + " multi_ack_detailed side-band-64k\n")
            + PktLine.FLUSH + PktLine.of("done\n"));
    assertThat(sideBand.statusCode()).isEqualTo(200);
    assertThat(sideBand.body()).isEqualTo(PktLine.of("NAK\n") + PktLine.of("\3" + message));

    HttpResponse<String> plain =
        postV0(PktLine.of("want " + missing + " multi_ack_detailed\n")
            + PktLine.FLUSH + PktLine.of("done\n"));
    assertThat(plain.statusCode()).isEqualTo(200);
    assertThat(plain.body()).isEqualTo(PktLine.of("ERR " + message));
  }

  @Test
  void pushIsRefused() {
    Path clone = harness.dir("clone");
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), clone.toString());
    git.runOk(clone, "commit", "--allow-empty", "-m", "local");
    GitCli.Result push = git.run(clone, "push", "origin", "HEAD:main");
    assertThat(push.exitCode()).isNotZero();
    assertThat(push.stderr()).contains("push is not supported by this caching proxy");
  }

  @Test
  void garbagePktLinesGetAnErrPacket() throws Exception {
    HttpResponse<String> response = post(uploadPackPath(), "zzzznot a pkt-line".getBytes(), null);
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("ERR malformed pkt-line");

    HttpResponse<String> unknown =
        post(uploadPackPath(), "0014command=frobnic\n0000".getBytes(), null);
    assertThat(unknown.body()).contains("ERR unsupported command 'frobnic'");

    HttpResponse<String> empty = post(uploadPackPath(), new byte[0], null);
    assertThat(empty.body()).contains("ERR empty request");

    HttpResponse<String> badGzip = post(uploadPackPath(), "not gzip".getBytes(), "gzip");
    assertThat(badGzip.body()).contains("not valid gzip");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @Test
  void gzipBodiesAreDecoded() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(bytes)) {
      gzip.write("0014command=ls-refs\n00010009peel\n0000".getBytes(StandardCharsets.UTF_8));
    }
    HttpResponse<String> response = post(uploadPackPath(), bytes.toByteArray(), "gzip");
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("refs/heads/main").endsWith("0000");
  }

  @Test
  void oversizedBodyIs413() throws Exception {
    harness.startProxy(b -> b.maxRequestBodyBytes(4096));
    HttpResponse<String> response = post(uploadPackPath(), new byte[10_000], null);
    assertThat(response.statusCode()).isEqualTo(413);
  }

  private String uploadPackPath() {
    return harness.proxyUrl("owner/repo").substring(harness.proxyBaseUrl().length())
        + "/git-upload-pack";
  }

  private HttpResponse<String> get(String path, String gitProtocol) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(harness.proxyBaseUrl() + path));
    if (gitProtocol != null) {
      request.header("Git-Protocol", gitProtocol);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }


  private HttpResponse<String> postV0(String body) throws Exception {
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(harness.proxyBaseUrl() + uploadPackPath()))
            .header("Content-Type", "application/x-git-upload-pack-request")
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(String path, byte[] body, String encoding) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.proxyBaseUrl() + path))
            .header("Git-Protocol", "version=2")
            .header("Content-Type", "application/x-git-upload-pack-request")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (encoding != null) {
      request.header("Content-Encoding", encoding);
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }
}
