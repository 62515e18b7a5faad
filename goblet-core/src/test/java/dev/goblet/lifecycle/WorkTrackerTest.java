package dev.goblet.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WorkTrackerTest {
  private final WorkTracker work = new WorkTracker();

  @Test
  void closingAdmitsNothingNewAndRunsTheIdleActionWhenTheLastWorkEnds() throws Exception {
    assertThat(work.enter()).isTrue();
    AtomicInteger released = new AtomicInteger();
    work.close();
    work.whenClosedAndIdle(released::incrementAndGet);

    assertThat(work.enter()).isFalse();
    assertThat(work.awaitIdle(Duration.ofMillis(10))).isFalse();
    assertThat(released).hasValue(0);
    work.exit();
    assertThat(released).hasValue(1);
    assertThat(work.awaitIdle(Duration.ZERO)).isTrue();
    work.whenClosedAndIdle(released::incrementAndGet); // idle and closed: runs at once
    assertThat(released).hasValue(2);
  }

  @Test
  void theExecutorCountsTasksFromSubmissionAndRefusesThemOnceClosed() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      CountDownLatch release = new CountDownLatch(1);
      var executor = work.executor(pool);
      executor.execute(() -> awaitQuietly(release));
      executor.execute(() -> {}); // queued behind the first
      assertThat(work.active()).isEqualTo(2);

      work.close();
      assertThatThrownBy(() -> executor.execute(() -> {}))
          .isInstanceOf(RejectedExecutionException.class)
          .hasMessageContaining("shutting down");
      release.countDown();
      assertThat(work.awaitIdle(Duration.ofSeconds(10))).isTrue();
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void tasksDroppedByShutdownNowAreAbandonedSoTheTrackerBecomesIdle() throws Exception {
    ExecutorService pool = Executors.newSingleThreadExecutor();
    CountDownLatch started = new CountDownLatch(1);
    var executor = work.executor(pool);
    executor.execute(
        () -> {
          started.countDown();
          awaitQuietly(new CountDownLatch(1)); // until interrupted
        });
    AtomicInteger ran = new AtomicInteger();
    executor.execute(ran::incrementAndGet);
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    work.close();

    List<Runnable> dropped = pool.shutdownNow();
    assertThat(dropped).hasSize(1).allMatch(WorkTracker.Counted.class::isInstance);
    dropped.forEach(task -> ((WorkTracker.Counted) task).abandon());
    dropped.forEach(Runnable::run); // an abandoned task never runs later, nor counts twice

    assertThat(work.awaitIdle(Duration.ofSeconds(10))).isTrue();
    assertThat(ran).hasValue(0);
  }

  @Test
  void aTrackedScheduledTaskIsSkippedOnceClosed() {
    AtomicInteger runs = new AtomicInteger();
    Runnable task = work.track(runs::incrementAndGet);
    task.run();
    work.close();
    task.run();
    assertThat(runs).hasValue(1);
    assertThat(work.active()).isZero();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
