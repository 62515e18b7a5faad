package dev.goblet.cache;

import dev.goblet.testing.FakeClock;
import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.FETCH_MAIN;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.cache.LsRefsCache.Answer;
import dev.goblet.cache.LsRefsCache.Entry;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LsRefsCacheTest {

  private static final String REPO = "github.com/owner/repo";
  private static final URI UPSTREAM = URI.create("https://github.com/owner/repo");
  private static final Duration TTL = Duration.ofMinutes(5);

  @TempDir Path directory;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));
  private LsRefsCache cache;

  @BeforeEach
  void createCache() {
    cache = new LsRefsCache(directory, clock, 2);
  }

  private Path fileOf(String repoKey) {
    return directory.resolve(CacheFileStore.directoryName(repoKey));
  }

  @Test
  void answersNothingForAnUnknownRepository() {
    assertThat(cache.answer(REPO, CLONE)).isEmpty();
    assertThat(cache.get(REPO)).isEmpty();
    assertThat(cache.size()).isZero();
  }

  @Test
  void answersFromTheNewestListingThatCoversTheRequest() {
    Instant fullTime = clock.instant();
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    clock.advance(Duration.ofMinutes(1));
    Instant cloneTime = clock.instant();
    List<String> newerClone = UpstreamAnswers.UNBORN_HEAD_AND_HEADS;
    cache.put(REPO, UPSTREAM, CLONE, newerClone);

    assertThat(cache.answer(REPO, FETCH))
        .contains(new Answer(cloneTime, UPSTREAM, newerClone.subList(1, newerClone.size())));
    assertThat(cache.answer(REPO, FETCH_MAIN))
        .contains(new Answer(fullTime, UPSTREAM, UpstreamAnswers.FETCH_MAIN));
  }

  @Test
  void answersNothingWhenNoListingCoversTheRequest() {
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(cache.answer(REPO, FETCH_MAIN)).isEmpty();
    assertThat(cache.answer(REPO, LS_REMOTE)).isEmpty();
  }

  @Test
  void aListingWithTheSameArgumentsReplacesTheOldOne() {
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    clock.advance(Duration.ofSeconds(1));
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.FETCH);

    Entry entry = cache.get(REPO).orElseThrow();
    assertThat(entry.listings()).hasSize(1);
    assertThat(entry.listings().get(0).lines()).isEqualTo(UpstreamAnswers.FETCH);
    assertThat(entry.newestTime()).isEqualTo(clock.instant());
  }

  @Test
  void keepsTheNewestEightListingsNewestFirst() {
    List<LsRefsArgs> tenRequests =
        IntStream.range(0, 10)
            .mapToObj(i -> LsRefsArgs.of(List.of("refs/heads/" + i), true, true, false))
            .toList();
    tenRequests.forEach(
        args -> {
          cache.put(REPO, UPSTREAM, args, List.of());
          clock.advance(Duration.ofSeconds(1));
        });

    assertThat(cache.get(REPO).orElseThrow().listings())
        .extracting(RefListing::args)
        .containsExactlyElementsOf(
            IntStream.iterate(9, i -> i >= 2, i -> i - 1).mapToObj(tenRequests::get).toList());
  }

  @Test
  void aChangedUpstreamDiscardsTheListingsOfTheOldOne() {
    URI mirror = URI.create("https://mirror.example/owner/repo");
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    cache.put(REPO, mirror, CLONE, UpstreamAnswers.CLONE);

    Entry entry = cache.get(REPO).orElseThrow();
    assertThat(entry.upstream()).isEqualTo(mirror);
    assertThat(entry.listings()).extracting(RefListing::args).containsExactly(CLONE);
  }

  @Test
  void measuresAgeAndStalenessWithTheClock() {
    Instant then = clock.instant();
    clock.advance(TTL);

    assertThat(cache.age(then)).isEqualTo(TTL);
    assertThat(cache.isStale(then, TTL)).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(cache.isStale(then, TTL)).isTrue();
    assertThat(cache.age(clock.instant().plusSeconds(1))).isEqualTo(Duration.ZERO);
  }

  @Test
  void aFreshFullListingIsOneThatCoversEveryRequestWithinTheTtl() {
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    assertThat(cache.hasFreshFullListing(REPO, TTL)).isFalse();

    cache.put(REPO, UPSTREAM, LS_REMOTE.withUnborn(false), UpstreamAnswers.FULL);
    assertThat(cache.hasFreshFullListing(REPO, TTL)).isTrue();

    clock.advance(TTL.plusSeconds(1));
    assertThat(cache.hasFreshFullListing(REPO, TTL)).isFalse();
    assertThat(cache.hasFreshFullListing("github.com/other/repo", TTL)).isFalse();
  }

  @Test
  void aFullListingWithoutUnbornThatDoesNotShowHeadBornIsNotEnough() {
    cache.put(REPO, UPSTREAM, LS_REMOTE.withUnborn(false), UpstreamAnswers.BORN_HEADS_ONLY);

    assertThat(cache.hasFreshFullListing(REPO, TTL)).isFalse();
  }

  @Test
  void evictsTheLeastRecentlyUsedRepositoryAndItsFile() {
    cache.put("a", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put("b", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    assertThat(cache.answer("a", FETCH)).isPresent();

    cache.put("c", UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(cache.entries()).extracting(Entry::repoKey).containsExactly("a", "c");
    assertThat(fileOf("b")).doesNotExist();
    assertThat(fileOf("a")).exists();
    assertThat(fileOf("c")).exists();
  }

  @Test
  void invalidateForgetsTheRepositoryAndDeletesItsFile() {
    cache.put("a", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put("b", UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    cache.invalidate("a");

    assertThat(cache.answer("a", CLONE)).isEmpty();
    assertThat(fileOf("a")).doesNotExist();
    assertThat(fileOf("b")).exists();
  }

  @Test
  void invalidateAllForgetsEveryRepositoryAndDeletesTheirFiles() throws IOException {
    cache.put("a", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put("b", UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    cache.invalidateAll();

    assertThat(cache.size()).isZero();
    try (var files = Files.list(directory)) {
      assertThat(files).isEmpty();
    }
  }

  @Test
  void aPersistenceFailureIsCountedWhileMemoryKeepsAnswering() throws IOException {
    Path notADirectory = Files.createFile(directory.resolve("occupied"));
    LsRefsCache unwritable = new LsRefsCache(notADirectory, clock, 2);

    unwritable.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);

    assertThat(unwritable.persistFailures()).isEqualTo(1);
    assertThat(unwritable.answer(REPO, FETCH).orElseThrow().lines())
        .isEqualTo(UpstreamAnswers.FETCH);
  }
}
