package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.goblet.testing.MemoryExchange;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * Fuzzes request parsing and command handling through the whole proxy. Under {@code mvn test} it
 * replays the seed corpus (real git requests, in {@code RequestFuzzTestInputs}) as a regression
 * test; with {@code JAZZER_FUZZ=1} it fuzzes for real. Every input must get a clean answer: a
 * client error status or pkt-lines (ERR included), never an internal error, and no path built from
 * a request may leave the cache root.
 */
class RequestFuzzTest {
  private static final String REPO = "/127.0.0.1:9/owner/repo";
  private static Path root;
  private static GobletProxy proxy;

  @BeforeAll
  static void startProxy() throws IOException {
    root = Files.createTempDirectory("goblet-fuzz");
    proxy =
        GobletProxy.create(
            ServerConfig.builder()
                .cacheRoot(root.resolve("cache"))
                .allowedUpstreams("http://127.0.0.1:9")
                .upstreamEnabled(false) // no network: every upstream question is "off"
                .build());
  }

  @AfterAll
  static void stopProxy() throws IOException {
    proxy.close();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  @FuzzTest(maxDuration = "30s")
  void uploadPackAnswersEveryBodyCleanly(byte[] body) throws IOException {
    MemoryExchange exchange =
        new MemoryExchange("POST", REPO + "/git-upload-pack", "", body)
            .header("Git-Protocol", "version=2")
            .header("Content-Type", "application/x-git-upload-pack-request");
    proxy.handle(exchange.request(), exchange.response());

    assertThat(exchange.status()).isIn(200, 413);
    if (exchange.status() == 200) {
      String answer = new String(exchange.responseBody(), StandardCharsets.ISO_8859_1);
      assertThat(answer).matches("(?s)[0-9a-f]{4}.*");
      assertThat(answer).doesNotContain("internal");
    }
  }

  @FuzzTest(maxDuration = "30s")
  void pathsNeverLeaveTheCacheRoot(byte[] raw) throws IOException {
    String path = "/" + new String(raw, StandardCharsets.UTF_8);
    for (String endpoint : List.of("/info/refs", "/git-upload-pack")) {
      MemoryExchange exchange =
          new MemoryExchange(
                  endpoint.equals("/info/refs") ? "GET" : "POST",
                  path + endpoint,
                  "service=git-upload-pack",
                  "0000".getBytes(StandardCharsets.US_ASCII))
              .header("Git-Protocol", "version=2")
              .header("Content-Type", "application/x-git-upload-pack-request");
      proxy.handle(exchange.request(), exchange.response());
      assertThat(exchange.status()).isNotEqualTo(500);
    }
    try (Stream<Path> outside = Files.list(root)) {
      assertThat(outside.map(p -> p.getFileName().toString())).containsExactly("cache");
    }
  }
}
