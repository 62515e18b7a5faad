package dev.goblet.repository;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FetchCoordinatorTest {
  private final ExecutorService executor = Executors.newCachedThreadPool();
  private final AtomicInteger runs = new AtomicInteger();
  private final AtomicInteger coalesced = new AtomicInteger();
  private final CountDownLatch release = new CountDownLatch(1);
  private final List<Set<ObjectId>> neededSeen = new CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    executor.shutdownNow();
  }

  private FetchCoordinator coordinator() {
    return new FetchCoordinator(
        executor,
        needed -> {
          runs.incrementAndGet();
          neededSeen.add(needed == null ? Set.of() : Set.copyOf(needed));
          release.await(10, TimeUnit.SECONDS);
        },
        new MirrorContext.FetchListener() {
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
    assertThat(coalesced).hasValue(1);
  }

  @Test
  void aBurstCostsAtMostTwoFetches() throws Exception {
    FetchCoordinator fetches = coordinator();
    CompletableFuture<Void> running = fetches.join();
    CompletableFuture<Void> next = null;
    for (int i = 0; i < 20; i++) {
      CompletableFuture<Void> f = fetches.startAfterNow(Set.of(id(i)));
      next = next == null ? f : next;
      assertThat(f).isSameAs(next).isNotSameAs(running);
    }
    release.countDown();
    next.get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(2);
    assertThat(coalesced).hasValue(19);
    assertThat(fetches.isRunning()).isFalse();
    assertThat(neededSeen).hasSize(2);
    assertThat(neededSeen.get(0)).as("the first fetch runs unconditionally").isEmpty();
    assertThat(neededSeen.get(1)).as("the follow-up knows every caller's needs").hasSize(20);
  }

  @Test
  void aJoinAsSoonAsAFetchEndsStartsANewOne() throws Exception {
    FetchCoordinator fetches = coordinator();
    release.countDown();
    CompletableFuture<Void> first = fetches.join();
    CompletableFuture<Void> second = first.thenCompose(done -> fetches.join());
    second.get(10, TimeUnit.SECONDS);
    assertThat(runs).hasValue(2);
    assertThat(coalesced).hasValue(0);
  }

  @Test
  void aCallerWithoutSpecificNeedsMakesTheFollowUpUnconditional() throws Exception {
    FetchCoordinator fetches = coordinator();
    fetches.join();
    fetches.startAfterNow(Set.of(id(1)));
    CompletableFuture<Void> next = fetches.startAfterNow(Set.of());
    release.countDown();
    next.get(10, TimeUnit.SECONDS);
    assertThat(neededSeen).hasSize(2);
    assertThat(neededSeen.get(1)).isEmpty();
    assertThat(fetches.pending()).isNull();
  }

  private static ObjectId id(int i) {
    return ObjectId.fromString(String.format("%040x", i));
  }

  @Test
  void aFailureReachesEveryWaiter() throws Exception {
    FetchCoordinator fetches =
        new FetchCoordinator(
            executor,
            needed -> {
              throw new IllegalStateException("upstream down");
            },
            MirrorContext.FetchListener.NONE);
    CompletableFuture<Void> f = fetches.join();
    assertThat(f).failsWithin(10, TimeUnit.SECONDS)
        .withThrowableOfType(java.util.concurrent.ExecutionException.class)
        .withMessageContaining("upstream down");
  }
}
