package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.servlet.testing.RawGit;
import dev.goblet.testing.UpstreamRepo;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A client that saw a new commit in the upstream's ls-refs answer gets it in its fetch, even when
 * the upstream is switched off between the two requests and the proxy's comparison of the mirror
 * with that answer (which asks for the fetch) has not run yet: the fetch waits for the comparison.
 * The race was found by {@code StressTest}; a held executor makes it certain here.
 */
class SwitchOffRaceTest extends HarnessTestBase {
  private volatile CountDownLatch held = new CountDownLatch(1);
  private final ThreadPoolExecutor executor =
      new ThreadPoolExecutor(4, 4, 1, TimeUnit.MINUTES, new LinkedBlockingQueue<>()) {
        @Override
        protected void beforeExecute(Thread thread, Runnable task) {
          try {
            held.await(60, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      };

  @AfterEach
  void stopExecutor() {
    held.countDown();
    executor.shutdownNow();
  }

  @Test
  void aFetchOfWhatLsRefsJustAdvertisedWaitsForTheComparisonThatFetchesIt() throws Exception {
    UpstreamRepo repo = harness.newRepo("owner/repo");
    repo.commitMany("main", 3, 1);
    harness.startProxy(b -> b.executor(executor));
    String url = harness.proxyUrl("owner/repo");
    held.countDown(); // a warm mirror first
    git.runOk(tmp, "clone", url, harness.dir("warm").toString());
    held = new CountDownLatch(1);
    String fresh = repo.commit("main", "new.txt", "new\n", "new upstream commit");

    HttpResponse<byte[]> lsRefs = RawGit.lsRefs(url, List.of("ref-prefix refs/heads/"));
    assertThat(new String(lsRefs.body(), StandardCharsets.UTF_8)).contains(fresh);
    harness.proxy().setUpstreamEnabled(false); // the comparison is still held in the executor
    CompletableFuture<HttpResponse<byte[]>> fetch =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return RawGit.fetch(url, List.of(fresh));
              } catch (Exception e) {
                throw new IllegalStateException(e);
              }
            });
    // Without the wait, the fetch fails at once ("does not have object ... switched off"); with
    // it, the fetch waits for the held comparison.
    assertThatThrownBy(() -> fetch.get(3, TimeUnit.SECONDS)).isInstanceOf(TimeoutException.class);
    held.countDown();

    HttpResponse<byte[]> answer = fetch.get(60, TimeUnit.SECONDS);
    String body = new String(answer.body(), StandardCharsets.ISO_8859_1);
    assertThat(answer.statusCode()).isEqualTo(200);
    assertThat(body).doesNotContain("ERR").contains("packfile");
  }
}
