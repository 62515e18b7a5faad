package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two proxies never share a cache root: the second refuses to start, in this JVM or another. */
class CacheRootLockTest {
  @TempDir Path tmp;

  /** Opens a proxy on the cache root given as the argument; prints the outcome. */
  public static void main(String[] args) {
    try (GobletProxy proxy = GobletProxy.create(config(Path.of(args[0])))) {
      System.out.println("started");
    } catch (IOException e) {
      System.out.println("refused: " + e.getMessage());
    }
  }

  private static ServerConfig config(Path cacheRoot) {
    return ServerConfig.builder().cacheRoot(cacheRoot).allowedUpstreams("http://127.0.0.1:9")
        .build();
  }

  @Test
  void aSecondProxyOnTheSameRootRefusesToStart() throws Exception {
    Path root = tmp.resolve("cache");
    try (GobletProxy first = GobletProxy.create(config(root))) {
      assertThatThrownBy(() -> GobletProxy.create(config(root)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("is in use by another Goblet proxy");
      assertThat(otherProcess(root)).startsWith("refused: ").contains("in use by another");
    }
    assertThat(otherProcess(root)).isEqualTo("started");
    try (GobletProxy again = GobletProxy.create(config(root))) {
      assertThat(again.config().cacheRoot()).isEqualTo(root);
    }
  }

  private static String otherProcess(Path root) throws Exception {
    Process process =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                System.getProperty("java.class.path"),
                CacheRootLockTest.class.getName(),
                root.toString())
            .redirectErrorStream(false)
            .redirectError(ProcessBuilder.Redirect.DISCARD)
            .start();
    assertThat(process.waitFor(Duration.ofSeconds(60).toSeconds(), TimeUnit.SECONDS)).isTrue();
    return new String(process.getInputStream().readAllBytes()).strip();
  }
}
