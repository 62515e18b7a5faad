package dev.goblet.concurrent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class UpstreamFetchExecutorTest {
  private final ExecutorService threads = Executors.newCachedThreadPool();
  private final UpstreamFetchExecutor lanes = new UpstreamFetchExecutor(threads, 2, 1);
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void stop() {
    release.countDown();
    threads.shutdownNow();
  }

  private Runnable blocked(CountDownLatch started) {
    return () -> {
      started.countDown();
      try {
        release.await(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    };
  }

  @Test
  void aFullLaneRefusesAtOnceWhileOtherServersRun() throws Exception {
    CountDownLatch hungStarted = new CountDownLatch(2);
    lanes.execute("http://hung", blocked(hungStarted));
    lanes.execute("http://hung", blocked(hungStarted));
    assertThat(hungStarted.await(10, TimeUnit.SECONDS)).isTrue();
    CountDownLatch queuedRan = new CountDownLatch(1);
    lanes.execute("http://hung", queuedRan::countDown); // waits: the lane's one queue place
    assertThatThrownBy(() -> lanes.execute("http://hung", () -> {}))
        .isInstanceOf(RejectedExecutionException.class)
        .hasMessage("2 fetches from http://hung are running and 1 more are waiting");

    CountDownLatch otherRan = new CountDownLatch(1);
    lanes.execute("http://healthy", otherRan::countDown);
    assertThat(otherRan.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(queuedRan.getCount()).isEqualTo(1);

    release.countDown();
    assertThat(queuedRan.await(10, TimeUnit.SECONDS)).isTrue();
  }
}
