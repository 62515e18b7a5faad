package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.servlet.testing.ProxyHarness;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Each kind of bad input gets a clear answer — an HTTP status or an ERR packet — never an internal
 * error or a stack trace, never an upstream request, never a file outside what the proxy keeps.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BadInputTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final String V2 = "version=2";
  private static final String REQUEST_TYPE = "application/x-git-upload-pack-request";

  @TempDir static Path tmp;
  private ProxyHarness harness;
  private String repo; // "/<upstream host:port>/owner/repo"
  private String host;

  /** One bad request and what the answer must say. */
  record Case(
      String name, String method, String path, Map<String, String> headers, byte[] body,
      int status, String says) {
    @Override
    public String toString() {
      return name;
    }
  }

  @BeforeAll
  void setUp() throws Exception {
    harness = ProxyHarness.create(tmp);
    harness.newRepo("owner/repo");
    harness.startProxy(b -> b.maxRequestBodyBytes(64 * 1024));
    host = harness.upstream().baseUrl().substring("http://".length());
    repo = "/" + host + "/owner/repo";
  }

  @AfterAll
  void tearDown() throws Exception {
    harness.close();
  }

  Stream<Case> cases() {
    String upload = repo + "/git-upload-pack";
    String infoRefs = "/info/refs?service=git-upload-pack";
    Map<String, String> post = Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE);
    return Stream.of(
        pkt("bad length prefix", "zzzzcommand=ls-refs\n", "ERR malformed pkt-line"),
        pkt("length past the body", "00ffcommand=ls-refs\n", "ERR truncated request"),
        pkt("truncated body", "0014command=ls-re", "ERR truncated request"),
        pkt("flush where a delimiter belongs", "0014command=ls-refs\n00000009peel\n0000",
            "ERR expected command=<name> but got 'peel'"),
        pkt("line longer than 65520 bytes", "fff4command=" + "x".repeat(0xfff4 - 12),
            "ERR malformed pkt-line in request: longer than 65520 bytes"),
        pkt("non-hex object id", "0012command=fetch\n0001" + line("want " + "z".repeat(40)) + "0000",
            "ERR malformed fetch argument 'want zzz"),
        pkt("unknown command", "0014command=frobnic\n0000", "ERR unsupported command 'frobnic'"),
        pkt("unknown ls-refs argument", "0014command=ls-refs\n0001" + line("frobnicate") + "0000",
            "ERR unexpected ls-refs argument"),
        pkt("empty body", "", "ERR empty request"),
        pkt("200 commands in one request", "0014command=ls-refs\n0000".repeat(200),
            "ERR the proxy answers one command per request"),
        new Case("invalid gzip", "POST", upload,
            Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE, "Content-Encoding", "gzip"),
            bytes("definitely not gzip"), 200, "ERR the request body is not valid gzip"),
        new Case("gzip bomb past the limit", "POST", upload,
            Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE, "Content-Encoding", "gzip"),
            gzip(new byte[1 << 20]), 413, "larger than this proxy accepts"),
        new Case("body past the limit", "POST", upload, post, new byte[100_000], 413,
            "larger than this proxy accepts"),
        new Case("unknown content encoding", "POST", upload,
            Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE, "Content-Encoding", "br"),
            bytes("0000"), 415, "unsupported Content-Encoding"),
        new Case("wrong content type", "POST", upload,
            Map.of("Git-Protocol", V2, "Content-Type", "text/plain"), bytes("0000"), 415,
            "the request body must be"),
        new Case("GET on git-upload-pack", "GET", upload, Map.of("Git-Protocol", V2), null, 405,
            "takes POST requests only"),
        new Case("POST on info/refs", "POST", repo + infoRefs, post, bytes("0000"), 405,
            "takes GET requests only"),
        get("dumb HTTP", repo + "/info/refs", 400, "dumb HTTP is not supported"),
        get("push advertisement", repo + "/info/refs?service=git-receive-pack", 501,
            "push is not supported"),
        get("not a git endpoint", repo + "/objects/info/packs", 404, "not a Git smart HTTP endpoint"),
        get("dot-dot above the root", "/../../etc/passwd" + infoRefs, 400, ""),
        get("dot-dot past the host", "/" + host + "/../../../etc/passwd" + infoRefs, 400, ""),
        get("encoded dot-dot", "/" + host + "/owner/%2e%2e/repo" + infoRefs, 400, ""),
        get("absolute path", "//etc/passwd" + infoRefs, 400, ""),
        get("NUL byte", "/" + host + "/owner/re%00po" + infoRefs, 400, ""),
        get("backslash", "/" + host + "/owner/re%5cpo" + infoRefs, 400, ""),
        get("overlong name", "/" + host + "/owner/" + "r".repeat(300) + infoRefs, 400,
            "invalid repository path segment"),
        get("hidden name", "/" + host + "/owner/.ssh" + infoRefs, 400,
            "invalid repository path segment"),
        get("host not on the allow-list", "/example.com/owner/repo" + infoRefs, 403,
            "not on this proxy's allow-list"),
        get("user info in the host", "/user@" + host + "/owner/repo" + infoRefs, 403,
            "not on this proxy's allow-list"),
        get("another port", "/127.0.0.1:1/owner/repo" + infoRefs, 403,
            "not on this proxy's allow-list"));
  }

  @Test
  void aMalformedQueryEscapeIsABadRequestWithoutAStackTrace() throws Exception {
    // The JDK's HTTP client refuses to send such a URL; a socket does, as any client could.
    URI proxy = URI.create(harness.proxyBaseUrl());
    String answer;
    try (Socket socket = new Socket(proxy.getHost(), proxy.getPort())) {
      socket.setSoTimeout(30_000);
      socket.getOutputStream().write(
          ("GET " + repo + "/info/refs?service=%zz HTTP/1.1\r\nHost: " + proxy.getAuthority()
              + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      answer = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(answer).startsWith("HTTP/1.1 400 ")
        .contains("the query string holds a malformed %-escape in service")
        .doesNotContain("Exception").doesNotContain("\tat ");
    assertThat(Files.readString(Path.of("target", "test.log")))
        .doesNotContain("URLDecoder").doesNotContain("Illegal hex characters");
    assertThat(harness.upstream().requests()).isEmpty();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void badInputGetsAClearAnswerAndNoSideEffect(Case c) throws Exception {
    List<Path> filesBefore = cacheFiles();
    HttpResponse<String> response = send(c);

    if (c.status() == 400) {
      assertThat(response.statusCode()).as(c.name()).isBetween(400, 404);
    } else {
      assertThat(response.statusCode()).as(c.name()).isEqualTo(c.status());
    }
    assertThat(response.body()).as(c.name()).contains(c.says())
        .doesNotContain("Exception").doesNotContain("\tat ").doesNotContain("internal");
    assertThat(harness.upstream().requests()).as(c.name()).isEmpty();
    assertThat(cacheFiles()).as(c.name()).isEqualTo(filesBefore);
  }

  @Test
  void unknownFetchArgumentsGetAnErrFromUploadPack() throws Exception {
    harness.git().runOk(tmp, "clone", harness.proxyUrl("owner/repo"),
        harness.dir("clone").toString()); // the mirror exists now
    String body = "0012command=fetch\n0001" + line("frobnicate") + line("done") + "0000";
    HttpResponse<String> response =
        send(new Case("", "POST", repo + "/git-upload-pack",
            Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE), bytes(body), 200, ""));
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("ERR").contains("frobnicate").doesNotContain("\tat ");
  }

  private List<Path> cacheFiles() throws IOException {
    try (Stream<Path> files = Files.walk(harness.config().cacheRoot())) {
      return files.sorted().toList();
    }
  }

  private HttpResponse<String> send(Case c) throws Exception {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(harness.proxyBaseUrl() + c.path()));
    c.headers().forEach(request::header);
    if (c.body() == null) {
      request.method(c.method(), HttpRequest.BodyPublishers.noBody());
    } else {
      request.method(c.method(), HttpRequest.BodyPublishers.ofByteArray(c.body()));
    }
    return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Case pkt(String name, String body, String says) {
    return new Case(name, "POST", repo + "/git-upload-pack",
        Map.of("Git-Protocol", V2, "Content-Type", REQUEST_TYPE), bytes(body), 200, says);
  }

  private static Case get(String name, String path, int status, String says) {
    return new Case(name, "GET", path, Map.of("Git-Protocol", V2), null, status, says);
  }

  private static String line(String payload) {
    return String.format("%04x", payload.length() + 5) + payload + "\n";
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] gzip(byte[] data) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream gzip = new GZIPOutputStream(out)) {
      gzip.write(data);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }
}
