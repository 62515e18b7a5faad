package dev.goblet.cache;

import dev.goblet.testing.FakeClock;
import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.cache.LsRefsCache.Answer;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LsRefsCacheConcurrencyTest {

  private static final int THREADS = 8;
  private static final int OPERATIONS = 500;
  private static final int MAX_REPOSITORIES = 2;
  private static final List<String> KEYS = List.of("host/a", "host/b", "host/c");
  private static final URI UPSTREAM = URI.create("https://host/repo");
  private static final List<LsRefsArgs> REQUESTS =
      List.of(
          ClientRequests.CLONE,
          ClientRequests.FETCH,
          ClientRequests.FETCH_MAIN,
          ClientRequests.LS_REMOTE,
          ClientRequests.LS_REMOTE.withUnborn(false),
          LsRefsArgs.parse(List.of("ref-prefix refs/heads/")));

  @TempDir Path directory;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));
  private final AtomicLong generation = new AtomicLong();

  /** The full listing of {@link UpstreamAnswers#FULL} as of a generation: every oid replaced. */
  private static RefListing fullListingOf(String oid) {
    List<String> lines =
        UpstreamAnswers.FULL.stream().map(line -> line.replaceAll("[0-9a-f]{40}", oid)).toList();
    return new RefListing(Instant.EPOCH, ClientRequests.LS_REMOTE, lines);
  }

  @Test
  void mixedOperationsFromManyThreadsLeaveAConsistentBoundedCache() throws Exception {
    LsRefsCache cache = new LsRefsCache(directory, clock, MAX_REPOSITORIES);
    cache.load();
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    try {
      List<Future<Integer>> workers = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        Random random = new Random(t);
        workers.add(pool.submit(() -> runOperations(cache, random, start)));
      }
      start.countDown();
      int answered = 0;
      for (Future<Integer> worker : workers) {
        answered += worker.get(2, TimeUnit.MINUTES);
      }
      assertThat(answered).isPositive();
    } finally {
      pool.shutdownNow();
    }

    assertThat(cache.persistFailures()).isZero();
    assertThat(cache.size()).isBetween(0, MAX_REPOSITORIES);
    assertThat(filesIn(directory))
        .containsExactlyInAnyOrderElementsOf(
            cache.entries().stream().map(e -> CacheFileStore.directoryName(e.repoKey())).toList());
    LsRefsCache reloaded = new LsRefsCache(directory, clock, MAX_REPOSITORIES);
    reloaded.load();
    assertThat(reloaded.entries()).containsExactlyInAnyOrderElementsOf(cache.entries());
  }

  /** @return how many answers were found, each checked against its generation's full listing */
  private int runOperations(LsRefsCache cache, Random random, CountDownLatch start)
      throws InterruptedException {
    start.await();
    int answered = 0;
    for (int i = 0; i < OPERATIONS; i++) {
      String key = KEYS.get(random.nextInt(KEYS.size()));
      LsRefsArgs args = REQUESTS.get(random.nextInt(REQUESTS.size()));
      int operation = random.nextInt(100);
      if (operation < 45) {
        String oid = "%040x".formatted(generation.incrementAndGet());
        clock.advance(Duration.ofMillis(1));
        cache.put(key, UPSTREAM, args, fullListingOf(oid).derive(args));
      } else if (operation < 95) {
        Optional<Answer> answer = cache.answer(key, args);
        if (answer.isPresent()) {
          String oid = answer.get().lines().get(0).substring(0, 40);
          assertThat(answer.get().lines()).isEqualTo(fullListingOf(oid).derive(args));
          answered++;
        }
      } else {
        cache.invalidate(key);
      }
    }
    return answered;
  }

  private static List<String> filesIn(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.map(file -> file.getFileName().toString()).toList();
    }
  }
}
