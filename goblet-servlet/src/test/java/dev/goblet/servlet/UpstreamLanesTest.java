package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.ManagedRepository;
import dev.goblet.Status;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Mirror fetches run in one bounded lane per upstream server, and a trickling fetch is cancelled
 * by the stall watchdog: four fetches trickling from one server do not delay a clone from
 * another; they end with a clear error within the documented bound (the stall window plus the
 * fetch timeout); the breaker that opens is the repositories', not the server's.
 */
class UpstreamLanesTest extends HarnessTestBase {
  private static final Duration STALL_WINDOW = Duration.ofSeconds(10);
  private static final Duration FETCH_TIMEOUT = Duration.ofSeconds(5);

  @Test
  void tricklingFetchesOnOneServerNeitherDelayAnotherServerNorLastBeyondTheBound()
      throws Exception {
    for (int i = 1; i <= 5; i++) {
      harness.newRepo("slow/r" + i);
    }
    harness.newRepo("fast/repo");
    try (FaultInjectingProxy relay = FaultInjectingProxy.start(harness.upstream().baseUrl())) {
      harness.startProxy(
          b ->
              b.allowedUpstreams(harness.upstream().baseUrl(), relay.baseUrl())
                  .upstreamFetchTimeout(FETCH_TIMEOUT)
                  .upstreamFetchStallWindow(STALL_WINDOW)
                  .maxConcurrentFetchesPerUpstream(4));
      relay.inject(new FaultInjectingProxy.Fault.Trickle(200)); // 5 bytes a second

      long start = System.nanoTime();
      List<CompletableFuture<Void>> hung = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        ManagedRepository slow =
            harness.proxy().openRepository(URI.create(relay.baseUrl() + "/slow/r" + i));
        hung.add(slow.fetchUpstream());
      }

      // Another server's repository, cold: its mirror fetch must not wait behind the four.
      GitCli.Result clone =
          git.run(tmp, "clone", "-q", harness.proxyUrl("fast/repo"), harness.dir("fast").toString());
      assertThat(clone.succeeded()).as(clone.stderr()).isTrue();
      assertThat(hung).as("the trickling fetches are still running").noneMatch(f -> f.isDone());

      Duration bound = STALL_WINDOW.plus(FETCH_TIMEOUT);
      for (CompletableFuture<Void> fetch : hung) {
        assertThatThrownBy(() -> fetch.get(bound.toSeconds() + 30, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .cause()
            .isInstanceOfSatisfying(
                GobletException.class,
                e -> assertThat(e.status()).isEqualTo(Status.GATEWAY_TIMEOUT))
            .hasMessageContaining("fetching from the upstream failed")
            .hasMessageContaining("cancelled as stalled");
      }
      Duration took = Duration.ofNanos(System.nanoTime() - start);
      assertThat(took).isLessThan(bound.plusSeconds(10));

      // The breakers opened are the stalled repositories', not the server's.
      relay.inject(new FaultInjectingProxy.Fault.None());
      harness
          .proxy()
          .openRepository(URI.create(relay.baseUrl() + "/slow/r5"))
          .fetchUpstream()
          .get(60, TimeUnit.SECONDS);
      assertThatThrownBy(
              () ->
                  harness
                      .proxy()
                      .openRepository(URI.create(relay.baseUrl() + "/slow/r1"))
                      .fetchUpstream()
                      .get(60, TimeUnit.SECONDS))
          .cause()
          .hasMessageContaining("cancelled as stalled");
    }
  }
}
