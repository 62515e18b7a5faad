package dev.goblet.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GitUpstreamServerTest {
  private static final String REPO = "owner/repo";

  @TempDir Path tmp;

  private GitCli git;
  private UpstreamRepo repo;
  private GitUpstreamServer server;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .proxy(HttpClient.Builder.NO_PROXY)
          .build();

  @BeforeEach
  void setUp() {
    git = GitCli.create(tmp.resolve("home"));
    Path projectRoot = tmp.resolve("upstream");
    repo = UpstreamRepo.create(git, projectRoot, REPO);
    repo.commit("main", "README.md", "hello\n", "initial");
    server = GitUpstreamServer.start(projectRoot);
  }

  @AfterEach
  void tearDown() {
    server.close();
  }

  @Test
  void clonesWithProtocolV2AndRecordsTheExchange() {
    GitCli.Result clone = cloneInto("clone");

    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(headOf("clone")).isEqualTo(repo.resolve("HEAD"));
    assertThat(server.count("GET", "/owner/repo/info/refs")).isEqualTo(1);
    assertThat(server.count("POST", "/owner/repo/git-upload-pack")).isGreaterThanOrEqualTo(2);
    assertThat(server.commandCount("ls-refs")).isEqualTo(1);
    assertThat(server.fetchCount()).isEqualTo(1);
    RecordedRequest advertisement = server.requests().get(0);
    assertThat(advertisement.query()).isEqualTo("service=git-upload-pack");
    assertThat(advertisement.header("Git-Protocol")).isEqualTo("version=2");
    assertThat(advertisement.status()).isEqualTo(200);

    server.clearRequests();
    assertThat(server.requests()).isEmpty();
  }

  @Test
  void servesGzipRequestBodies() {
    String head = repo.resolve("HEAD");
    for (int i = 0; i < 40; i++) {
      repo.tag("t" + i, head, true); // 40 distinct tag objects: a fetch request over 1 KiB
    }

    GitCli.Result clone = cloneInto("clone");

    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(fetchRequest().header("Content-Encoding")).isEqualTo("gzip");
    assertThat(fetchRequest().commands()).containsExactly("fetch");
  }

  @Test
  void servesChunkedRequestBodies() {
    // A request larger than http.postBuffer (at least 64 KiB) is sent chunked: 2000 wants.
    repo.commitMany("main", 2000, 1);
    String tags =
        git.runOk(repo.dir(), "rev-list", "main").stdout().lines()
            .map(commit -> "create refs/tags/c-" + commit + " " + commit + "\n")
            .collect(Collectors.joining());
    git.runOkWithInput(repo.dir(), tags.getBytes(StandardCharsets.US_ASCII), "update-ref", "--stdin");

    GitCli.Result clone =
        git.run(tmp, "-c", "http.postBuffer=65536",
            "clone", "-q", server.repoUrl(REPO).toString(), "clone");

    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(fetchRequest().header("Transfer-Encoding")).isEqualTo("chunked");
    assertThat(fetchRequest().commands()).containsExactly("fetch");
    assertThat(headOf("clone")).isEqualTo(repo.resolve("HEAD"));
  }

  @Test
  void requiresTheBearerTokenWhenAsked() {
    server.requireBearerToken("t");

    GitCli.Result anonymous = cloneInto("anonymous");
    assertThat(anonymous.succeeded()).isFalse();
    assertThat(server.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.status()).isEqualTo(401));

    GitCli.Result authorized =
        git.run(tmp, "-c", "http.extraHeader=Authorization: Bearer t",
            "clone", "-q", server.repoUrl(REPO).toString(), "authorized");
    assertThat(authorized.succeeded()).as(authorized.stderr()).isTrue();
    assertThat(headOf("authorized")).isEqualTo(repo.resolve("HEAD"));
  }

  @Test
  void refusesConnectionsWhileStoppedAndServesAgainOnTheSamePortAfterRestart() {
    String baseUrl = server.baseUrl();
    server.stop();

    long started = System.nanoTime();
    GitCli.Result refused = cloneInto("refused");
    Duration elapsed = Duration.ofNanos(System.nanoTime() - started);
    assertThat(refused.succeeded()).isFalse();
    assertThat(refused.stderr()).containsIgnoringCase("connect");
    assertThat(elapsed).isLessThan(Duration.ofSeconds(30));
    URI base = URI.create(baseUrl);
    assertThatThrownBy(() -> new Socket(base.getHost(), base.getPort()).close())
        .isInstanceOf(ConnectException.class);

    server.restart();

    assertThat(server.baseUrl()).isEqualTo(baseUrl);
    GitCli.Result clone = cloneInto("after-restart");
    assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
    assertThat(headOf("after-restart")).isEqualTo(repo.resolve("HEAD"));
  }

  @Test
  void hangsUntilReleased() throws Exception {
    server.hang(true);
    HttpRequest request =
        HttpRequest.newBuilder(advertisementUri()).timeout(Duration.ofSeconds(1)).build();

    assertThatThrownBy(() -> http.send(request, HttpResponse.BodyHandlers.discarding()))
        .isInstanceOf(HttpTimeoutException.class);

    server.hang(false);
    HttpRequest patient =
        HttpRequest.newBuilder(advertisementUri()).timeout(Duration.ofSeconds(30)).build();
    assertThat(http.send(patient, HttpResponse.BodyHandlers.discarding()).statusCode())
        .isEqualTo(200);
  }

  @Test
  void closeAbandonsHungRequests() throws InterruptedException {
    server.hang(true);
    CompletableFuture<HttpResponse<Void>> hung =
        http.sendAsync(
            HttpRequest.newBuilder(advertisementUri()).build(),
            HttpResponse.BodyHandlers.discarding());
    // Close only once the request is read and held: a connection still unread in the listen
    // backlog is reset at close, and JDK 17's HttpClient now and then misses that reset and waits
    // forever (failed once in a full run under load).
    server.awaitHanging(1, Duration.ofSeconds(30));

    server.close();

    assertThat(hung)
        .failsWithin(Duration.ofSeconds(30))
        .withThrowableOfType(ExecutionException.class)
        .withCauseInstanceOf(IOException.class);
  }

  @Test
  void failsTheNextRequestsWithTheGivenStatus() throws IOException, InterruptedException {
    server.failNext(503, 1);
    HttpRequest request =
        HttpRequest.newBuilder(advertisementUri()).timeout(Duration.ofSeconds(30)).build();

    HttpResponse<String> failed = http.send(request, HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> served = http.send(request, HttpResponse.BodyHandlers.ofString());

    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(served.statusCode()).isEqualTo(200);
    assertThat(served.headers().firstValue("Content-Type"))
        .hasValue("application/x-git-upload-pack-advertisement");
    assertThat(server.requests()).extracting(RecordedRequest::status).containsExactly(503, 200);
  }

  private URI advertisementUri() {
    return URI.create(server.repoUrl(REPO) + "/info/refs?service=git-upload-pack");
  }

  private RecordedRequest fetchRequest() {
    assertThat(server.fetchCount()).isEqualTo(1);
    return server.requests().stream()
        .filter(r -> r.commands().contains("fetch"))
        .findFirst()
        .orElseThrow();
  }

  private GitCli.Result cloneInto(String directory) {
    return git.run(tmp, "clone", "-q", server.repoUrl(REPO).toString(), directory);
  }

  private String headOf(String directory) {
    return git.runOk(tmp.resolve(directory), "rev-parse", "HEAD").stdout().strip();
  }
}
