package dev.goblet.auth;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.GitRequest;
import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.UpstreamAuthorization;
import dev.goblet.UpstreamCredentials;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.HangingServer;
import dev.goblet.testing.MemoryExchange;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamGate;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Concurrent requests with one credential for one repository share one upstream check. */
class UpstreamRequestAuthorizerTest {
  private static final int CLIENTS = 6;

  @Test
  void concurrentRequestsShareOneCheck() throws Exception {
    AtomicInteger checks = new AtomicInteger();
    AtomicInteger entered = new AtomicInteger();
    try (HangingServer upstream = HangingServer.start()) {
      UpstreamRequestAuthorizer authorizer =
          new UpstreamRequestAuthorizer(
              UpstreamAuthorization.defaults(),
              UrlCanonicalizer.allowList(List.of(URI.create(upstream.baseUrl()))),
              new UpstreamClient(
                  UpstreamCredentials.NONE, Duration.ofSeconds(5), Duration.ofSeconds(60)),
              new UpstreamGate(true, FakeClock.at(Instant.EPOCH), Duration.ofSeconds(30)),
              FakeClock.at(Instant.EPOCH),
              Duration.ofSeconds(60),
              new UpstreamRequestAuthorizer.Listener() {
                @Override
                public void checked() {
                  checks.incrementAndGet();
                }
              });
      String path = "/" + URI.create(upstream.baseUrl()).getAuthority() + "/owner/repo/info/refs";
      ExecutorService pool = Executors.newFixedThreadPool(CLIENTS);
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Status>> outcomes = new ArrayList<>();
      List<Thread> threads = new ArrayList<>();
      try {
        for (int i = 0; i < CLIENTS; i++) {
          outcomes.add(pool.submit(() -> {
            synchronized (threads) {
              threads.add(Thread.currentThread());
            }
            GitRequest request =
                new MemoryExchange("GET", path, "service=git-upload-pack", new byte[0])
                    .header("Authorization", "Basic YWxpY2U6c2VjcmV0")
                    .request();
            start.await();
            entered.incrementAndGet();
            try {
              authorizer.authorize(request);
              return Status.OK;
            } catch (GobletException e) {
              return e.status();
            }
          }));
        }
        start.countDown();
        // Every client is blocked (one on the check, the others on it) and one check went out.
        assertThat(upstream.awaitAcceptedConnections(1, Duration.ofSeconds(30))).isTrue();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!(entered.get() == CLIENTS && allBlocked(threads))
            && System.nanoTime() < deadline) {
          Thread.sleep(10);
        }
        assertThat(entered.get() == CLIENTS && allBlocked(threads)).isTrue();
        // The check ends in a 503 at once: an outage, and nobody was allowed before. (Not a reset
        // of the held connection: JDK 17's HttpClient now and then missed one and waited for its
        // request timeout, 4 times in about 80 repetitions on a loaded machine.)
        upstream.answerAll(503);
        for (Future<Status> outcome : outcomes) {
          assertThat(outcome.get(30, TimeUnit.SECONDS)).isEqualTo(Status.UNAVAILABLE);
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(checks.get()).isEqualTo(1);
      assertThat(upstream.acceptedConnections()).isEqualTo(1);
    }
  }

  private static boolean allBlocked(List<Thread> threads) {
    synchronized (threads) {
      return threads.size() == CLIENTS
          && threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING
              || t.getState() == Thread.State.TIMED_WAITING);
    }
  }
}
