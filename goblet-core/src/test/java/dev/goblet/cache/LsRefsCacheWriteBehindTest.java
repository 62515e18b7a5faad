package dev.goblet.cache;

import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.FETCH_MAIN;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.ServerConfig;
import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.testing.FakeClock;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ls-refs cache's write-behind persistence and its heap budget in bytes. */
class LsRefsCacheWriteBehindTest {

  private static final String REPO = "github.com/owner/repo";
  private static final URI UPSTREAM = URI.create("https://github.com/owner/repo");

  @TempDir Path directory;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));

  /** Holds the tasks handed to it until the test runs them: a writer that is busy. */
  private static final class HeldTasks implements Executor {
    final Deque<Runnable> tasks = new ArrayDeque<>();

    @Override
    public synchronized void execute(Runnable task) {
      tasks.add(task);
    }

    synchronized void runAll() {
      while (!tasks.isEmpty()) {
        tasks.poll().run();
      }
    }
  }

  private LsRefsCache cache(long maxBytes, Executor writer) {
    return new LsRefsCache(directory, clock, 100, maxBytes, writer);
  }

  private Path fileOf(String repoKey) {
    return directory.resolve(CacheFileStore.directoryName(repoKey));
  }

  /** @return the repository's entry as a new instance would load it */
  private Entry onDisk(String repoKey) throws IOException {
    return new CacheFileStore(directory, clock).loadAll().stream()
        .filter(entry -> entry.repoKey().equals(repoKey))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void aBurstOfChangesWhileTheWriterIsBusyIsOneWriteOfTheLastChange() throws IOException {
    HeldTasks writer = new HeldTasks();
    LsRefsCache cache = cache(Long.MAX_VALUE, writer);

    for (int i = 0; i < 50; i++) {
      clock.advance(Duration.ofSeconds(1));
      cache.put(REPO, UPSTREAM, i % 2 == 0 ? CLONE : FETCH, UpstreamAnswers.FETCH);
    }

    assertThat(writer.tasks).hasSize(1);
    assertThat(fileOf(REPO)).doesNotExist(); // nothing written on the callers' threads
    writer.runAll();
    assertThat(cache.fileWrites()).isEqualTo(2); // one write of each of the two listings
    assertThat(onDisk(REPO)).isEqualTo(cache.get(REPO).orElseThrow());
    assertThat(onDisk(REPO).newestTime()).isEqualTo(clock.instant());
  }

  @Test
  void aChangeAfterTheWriteTookItsSnapshotIsWrittenByAnotherTask() throws IOException {
    HeldTasks writer = new HeldTasks();
    LsRefsCache cache = cache(Long.MAX_VALUE, writer);
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    writer.runAll();

    clock.advance(Duration.ofSeconds(1));
    cache.put(REPO, UPSTREAM, FETCH_MAIN, UpstreamAnswers.FETCH_MAIN);
    assertThat(writer.tasks).hasSize(1);
    writer.runAll();

    assertThat(cache.fileWrites()).isEqualTo(2);
    assertThat(onDisk(REPO).listings()).hasSize(2);
    assertThat(onDisk(REPO)).isEqualTo(cache.get(REPO).orElseThrow());
  }

  @Test
  void contentTheFileAlreadyHoldsIsNotWrittenAgain() {
    LsRefsCache cache = cache(Long.MAX_VALUE, Runnable::run);

    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE); // same answer, same instant

    assertThat(cache.fileWrites()).isEqualTo(1);
    assertThat(cache.unchangedWrites()).isEqualTo(1);
  }

  @Test
  void aLoadedEntryIsNotRewrittenUnchanged() {
    cache(Long.MAX_VALUE, Runnable::run).put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    LsRefsCache reloaded = cache(Long.MAX_VALUE, Runnable::run);
    reloaded.load();

    reloaded.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(reloaded.fileWrites()).isZero();
    assertThat(reloaded.unchangedWrites()).isEqualTo(1);
  }

  @Test
  void aWriteTheWriterRefusesHappensOnTheCallersThread() throws IOException {
    LsRefsCache cache =
        cache(
            Long.MAX_VALUE,
            task -> {
              throw new RejectedExecutionException("queue full");
            });

    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(onDisk(REPO)).isEqualTo(cache.get(REPO).orElseThrow());
  }

  @Test
  void flushWritesWhatAStoppedWriterDropped() throws IOException {
    HeldTasks writer = new HeldTasks();
    LsRefsCache cache = cache(Long.MAX_VALUE, writer);
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put("github.com/owner/other", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.invalidate("github.com/owner/other");
    writer.tasks.clear(); // dropped, as shutdownNow() drops queued tasks

    cache.flush();

    assertThat(onDisk(REPO)).isEqualTo(cache.get(REPO).orElseThrow());
    assertThat(fileOf("github.com/owner/other")).doesNotExist();
    writer.runAll(); // nothing is left to do
    assertThat(cache.fileWrites()).isEqualTo(1);
  }

  @Test
  void anInvalidationDeletesTheFileAtOnceAndAWaitingWriteDoesNotBringItBack() {
    HeldTasks writer = new HeldTasks();
    LsRefsCache cache = cache(Long.MAX_VALUE, writer);
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    writer.runAll();
    assertThat(fileOf(REPO)).exists();
    cache.put(REPO, UPSTREAM, FETCH_MAIN, UpstreamAnswers.FETCH_MAIN); // its write waits

    cache.invalidate(REPO);

    assertThat(fileOf(REPO)).doesNotExist(); // on the caller's thread, busy writer or not
    writer.runAll();
    assertThat(fileOf(REPO)).doesNotExist();
    assertThat(cache.fileWrites()).isEqualTo(1);
  }

  @Test
  void evictsTheLeastRecentlyUsedRepositoriesBeyondTheByteBudget() {
    long oneListing = weightOf(UpstreamAnswers.CLONE);
    LsRefsCache cache = cache(oneListing * 5 / 2, Runnable::run);
    cache.put("a", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put("b", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    assertThat(cache.answer("a", FETCH)).isPresent();

    cache.put("c", UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(cache.entries()).extracting(Entry::repoKey).containsExactly("a", "c");
    assertThat(cache.retainedBytes()).isEqualTo(2 * oneListing);
    assertThat(fileOf("b")).doesNotExist();
  }

  @Test
  void aListingAboveTheWholeBudgetIsNotCachedAndTheOthersStay() {
    long small = weightOf(UpstreamAnswers.FETCH_MAIN);

    LsRefsCache cache = fetchMainThenFull(small + 1);

    assertThat(cache.oversizedListings()).isEqualTo(1);
    assertThat(argsCached(cache)).containsExactly(FETCH_MAIN);
    assertThat(cache.retainedBytes()).isEqualTo(small);
  }

  @Test
  void anEntryAboveTheBudgetKeepsOnlyItsNewestListing() {
    long full = weightOf(UpstreamAnswers.FULL);

    LsRefsCache cache = fetchMainThenFull(full + 1);

    assertThat(argsCached(cache)).containsExactly(LS_REMOTE);
    assertThat(cache.oversizedListings()).isZero();
    assertThat(cache.retainedBytes()).isEqualTo(full);
  }

  @Test
  void theWeightGrowsWithTheLinesAndTheirLength() {
    assertThat(weightOf(UpstreamAnswers.FULL)).isGreaterThan(weightOf(UpstreamAnswers.CLONE));
    // each line holds at least its own text, its object id and its name as strings
    long floor = ListingWeigher.LISTING_OVERHEAD;
    for (String line : UpstreamAnswers.FULL) {
      floor += 3 * 40L + line.length() + 40 + line.split(" ")[1].length();
    }
    assertThat(weightOf(UpstreamAnswers.FULL)).isGreaterThanOrEqualTo(floor);
  }

  @Test
  void theByteBudgetMustBePositive() {
    assertThatThrownBy(() -> cache(0, Runnable::run))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("maxBytes");
    assertThatThrownBy(() -> ServerConfig.builder().lsRefsCacheMaxBytes(0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("lsRefsCacheMaxBytes must be >= 1: 0");
    assertThat(
            ServerConfig.builder()
                .cacheRoot(directory)
                .allowedUpstreams(List.of(URI.create("https://github.com")))
                .build()
                .lsRefsCacheMaxBytes())
        .isEqualTo(64L << 20);
  }

  /** @return a cache of {@code maxBytes} given a small listing, then a full one */
  private LsRefsCache fetchMainThenFull(long maxBytes) {
    LsRefsCache cache = cache(maxBytes, Runnable::run);
    cache.put(REPO, UPSTREAM, FETCH_MAIN, UpstreamAnswers.FETCH_MAIN);
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    return cache;
  }

  private static List<LsRefsArgs> argsCached(LsRefsCache cache) {
    return cache.get(REPO).orElseThrow().listings().stream().map(RefListing::args).toList();
  }

  private long weightOf(List<String> lines) {
    return new RefListing(clock.instant(), CLONE, lines).retainedBytes();
  }
}
