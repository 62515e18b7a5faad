package dev.goblet.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FetchCoordinatorTest {
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger runs = new AtomicInteger();
  private final AtomicInteger started = new AtomicInteger();
  private final AtomicInteger coalesced = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);

  @AfterEach
  void tearDown() {
    executor.shutdownNow();
  }

  private FetchCoordinator coordinator() {
    return new FetchCoordinator(
        executor,
        () -> {
          runs.incrementAndGet();
          release.await(10, TimeUnit.SECONDS);
        },
        new MirrorContext.FetchListener() {
          @Override
          public void started() {
            started.incrementAndGet();
          }

          @Override
          public void coalesced() {
            coalesced.incrementAndGet();
          }
        });
  }

  @Test
  void joinersShareTheRunningFetch() throws Exception {
    FetchCoordinator fetches = coordinator();
    CompletableFuture<Void> first = fetches.join();
    CompletableFuture<Void> second = fetches.join();
    assertThat(second).isSameAs(first);
    release.countDown();
    first.get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(1);
    assertThat(started).hasValue(1);
    assertThat(coalesced).hasValue(1);
  }

  @Test
  void aBurstCostsAtMostTwoFetches() throws Exception {
    FetchCoordinator fetches = coordinator();
    CompletableFuture<Void> running = fetches.join();
    CompletableFuture<Void> next = null;
    for (int i = 0; i < 20; i++) {
      CompletableFuture<Void> f = fetches.startAfterNow();
      next = next == null ? f : next;
      assertThat(f).isSameAs(next).isNotSameAs(running);
    }
    release.countDown();
    next.get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(2);
    assertThat(started).hasValue(2);
    assertThat(fetches.isRunning()).isFalse();
  }

  @Test
  void aFailureReachesEveryWaiter() throws Exception {
    FetchCoordinator fetches =
        new FetchCoordinator(
            executor,
            () -> {
              throw new IllegalStateException("upstream down");
            },
            MirrorContext.FetchListener.NONE);
    CompletableFuture<Void> f = fetches.join();
    assertThat(f).failsWithin(10, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("upstream down");
  }
}
