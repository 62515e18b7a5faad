package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletProxy;
import dev.goblet.ManagedRepository;
import dev.goblet.OperationLogger;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.FaultInjectingProxy.Fault;
import dev.goblet.testing.OpenFiles;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link GobletProxy#close()} is a real shutdown: a mirror fetch that is receiving a pack from a
 * trickling upstream is cancelled, close returns long before that fetch would have ended, nothing
 * under the cache root changes afterwards, and a second proxy starts on the root at once.
 */
class ProxyCloseTest extends HarnessTestBase {
  private FaultInjectingProxy trickle;

  @BeforeEach
  void setUp() throws Exception {
    // About 900 small objects: at a byte per millisecond the pack takes a minute to arrive.
    harness.newRepo("owner/big").commitMany("main", 80, 10);
    trickle = FaultInjectingProxy.start(harness.upstream().baseUrl());
  }

  @AfterEach
  void tearDown() throws Exception {
    trickle.close();
  }

  @Test
  void closeCancelsARunningMirrorFetchAndLeavesTheCacheRootStill() throws Exception {
    CountDownLatch receiving = new CountDownLatch(1);
    CountDownLatch cancelled = new CountDownLatch(1);
    OperationLogger operations =
        (name, upstream) ->
            new OperationLogger.Operation() {
              @Override
              public void progress(String message) {
                if (message.equals("cancelled")) {
                  cancelled.countDown();
                }
                if (message.startsWith("Receiving objects: ")) { // objects flow: 10% arrived
                  receiving.countDown();
                }
              }

              @Override
              public void done(Throwable error) {}
            };
    harness.startProxy(
        b -> b.allowedUpstreams(trickle.baseUrl())
            .operationLogger(operations)
            .upstreamFetchTimeout(Duration.ofMinutes(10))
            .shutdownTimeout(Duration.ofSeconds(60)));
    GobletProxy proxy = harness.proxy();
    ManagedRepository mirror = proxy.openRepository(URI.create(trickle.baseUrl() + "/owner/big"));
    trickle.inject(new Fault.Trickle(1));
    CompletableFuture<Void> fetch = mirror.fetchUpstream();
    assertThat(receiving.await(90, TimeUnit.SECONDS)).as("objects arrive").isTrue();
    assertThat(fetch).isNotDone();

    long start = System.nanoTime();
    harness.stopProxy();
    Duration closing = Duration.ofNanos(System.nanoTime() - start);

    // Cancelled at JGit's next check (about 10 s apart while a pack arrives), not waited out (the
    // whole pack would take minutes) nor cut off at the shutdown timeout.
    assertThat(cancelled.getCount()).as("the fetch saw the proxy closing").isZero();
    assertThat(closing).isLessThan(Duration.ofSeconds(60));
    assertThatThrownBy(() -> fetch.get(1, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class);
    Path root = harness.config().cacheRoot();
    assertThat(OpenFiles.under(root)).isEmpty();
    Map<String, String> atClose = snapshot(root);
    // The upstream keeps trickling to anyone still reading; give a leftover writer time to show.
    Thread.sleep(2000);
    assertThat(snapshot(root)).isEqualTo(atClose);

    try (GobletProxy second = GobletProxy.create(harness.config())) {
      assertThat(second.findRepository(URI.create(trickle.baseUrl() + "/owner/big"))).isPresent();
    }
    git.runOk(mirror.localPath(), "fsck", "--no-dangling");
  }

  @Test
  void aClosedProxyAdmitsNoNewWork() throws Exception {
    harness.startProxy(b -> b.allowedUpstreams(trickle.baseUrl()));
    GobletProxy proxy = harness.proxy();
    harness.stopProxy();

    assertThatThrownBy(() -> proxy.openRepository(URI.create(trickle.baseUrl() + "/owner/big")))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
    proxy.close(); // a second close does nothing
    try (GobletProxy second = GobletProxy.create(harness.config())) {
      assertThat(second.repositories()).isEmpty();
    }
  }

  /** @return every file and directory under {@code root}: its size and modification time */
  private static Map<String, String> snapshot(Path root) throws IOException {
    Map<String, String> result = new TreeMap<>();
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path path : paths.toList()) {
        BasicFileAttributes attributes = Files.readAttributes(path, BasicFileAttributes.class);
        result.put(
            root.relativize(path).toString(),
            attributes.size() + " " + attributes.lastModifiedTime().toMillis());
      }
    }
    return result;
  }
}
