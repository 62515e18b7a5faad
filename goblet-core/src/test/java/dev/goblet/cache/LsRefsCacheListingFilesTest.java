package dev.goblet.cache;

import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.FETCH_MAIN;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.testing.FakeClock;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One file per listing: a changed listing writes only itself, a dropped one deletes only its file,
 * and files of the earlier one-file-per-repository format are migrated.
 */
class LsRefsCacheListingFilesTest {

  private static final String REPO = "github.com/owner/repo";
  private static final URI UPSTREAM = URI.create("https://github.com/owner/repo");
  private static final int REFS = 5_000;

  @TempDir Path directory;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));

  private LsRefsCache newCache() {
    return new LsRefsCache(directory, clock, 10);
  }

  private Path repository(String repoKey) {
    return directory.resolve(CacheFileStore.directoryName(repoKey));
  }

  private Path listingFile(String repoKey, LsRefsArgs args) {
    return repository(repoKey).resolve(CacheFileStore.listingFileName(args));
  }

  /** @return where the earlier format kept {@link #REPO}'s whole entry */
  private Path legacyFile() {
    return directory.resolve(CacheFileStore.legacyFileName(REPO));
  }

  private static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  /** @return {@value #REFS} branches and a tag, as {@code git ls-remote} lists them */
  private static List<String> manyRefs() {
    List<String> lines = new ArrayList<>();
    lines.add("%040x HEAD symref-target:refs/heads/main".formatted(1));
    IntStream.range(0, REFS)
        .forEach(i -> lines.add("%040x refs/heads/branch-%05d".formatted(i + 2, i)));
    lines.add("%040x refs/heads/main".formatted(1));
    lines.add("%040x refs/tags/v1".formatted(3));
    return lines;
  }

  /** The file's identity (device and inode here) and modification time: a rewrite changes them. */
  private record Version(Object key, FileTime modified) {
    static Version of(Path file) throws IOException {
      BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
      return new Version(attributes.fileKey(), attributes.lastModifiedTime());
    }
  }

  @Test
  void theFullListingIsWrittenOnceAndEachSmallAnswerWritesOnlyItself() throws IOException {
    LsRefsCache cache = newCache();
    cache.load();
    cache.put(REPO, UPSTREAM, LS_REMOTE, manyRefs());
    Path full = listingFile(REPO, LS_REMOTE);
    long fullSize = Files.size(full);
    assertThat(cache.bytesWritten()).isEqualTo(fullSize);
    Version fullVersion = Version.of(full);

    for (int i = 0; i < 20; i++) {
      clock.advance(Duration.ofSeconds(1)); // each answer a new time, as online
      long bytesBefore = cache.bytesWritten();
      long writesBefore = cache.fileWrites();

      cache.put(REPO, UPSTREAM, FETCH_MAIN, UpstreamAnswers.FETCH_MAIN);

      assertThat(cache.fileWrites() - writesBefore).isEqualTo(1);
      assertThat(cache.bytesWritten() - bytesBefore)
          .isEqualTo(Files.size(listingFile(REPO, FETCH_MAIN)))
          .isLessThan(2_000);
    }

    assertThat(Version.of(full)).isEqualTo(fullVersion);
    assertThat(fullSize).isGreaterThan(300_000);
    assertThat(cache.bytesWritten()).isLessThan(fullSize + 20 * 2_000);
    LsRefsCache reloaded = newCache();
    reloaded.load();
    assertThat(reloaded.get(REPO)).isEqualTo(cache.get(REPO));
    assertThat(reloaded.answer(REPO, FETCH_MAIN).orElseThrow().time()).isEqualTo(clock.instant());
  }

  @Test
  void aListingDroppedBeyondTheCapDeletesOnlyItsFile() throws IOException {
    LsRefsCache cache = newCache();
    List<LsRefsArgs> args =
        IntStream.rangeClosed(0, LsRefsCache.MAX_LISTINGS_PER_REPOSITORY)
            .mapToObj(i -> LsRefsArgs.parse(List.of("ref-prefix refs/heads/b" + i)))
            .toList();
    for (LsRefsArgs each : args.subList(0, LsRefsCache.MAX_LISTINGS_PER_REPOSITORY)) {
      cache.put(REPO, UPSTREAM, each, List.of());
    }
    Version kept = Version.of(listingFile(REPO, args.get(1)));

    cache.put(REPO, UPSTREAM, args.get(LsRefsCache.MAX_LISTINGS_PER_REPOSITORY), List.of());

    assertThat(listingFile(REPO, args.get(0))).doesNotExist();
    assertThat(list(repository(REPO))).hasSize(LsRefsCache.MAX_LISTINGS_PER_REPOSITORY);
    assertThat(Version.of(listingFile(REPO, args.get(1)))).isEqualTo(kept);
  }

  @Test
  void anotherUpstreamReplacesTheOldUpstreamsFiles() throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put(REPO, UPSTREAM, FETCH, UpstreamAnswers.FETCH);
    URI moved = URI.create("https://mirror.example/owner/repo");

    cache.put(REPO, moved, FETCH_MAIN, UpstreamAnswers.FETCH_MAIN);

    assertThat(list(repository(REPO))).containsExactly(listingFile(REPO, FETCH_MAIN));
    LsRefsCache reloaded = newCache();
    reloaded.load();
    assertThat(reloaded.get(REPO).orElseThrow().upstream()).isEqualTo(moved);
  }

  @Test
  void aListingFileLeftByACrashBeforeItsDeletionIsDroppedOnLoad() throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    byte[] oldUpstreamsListing = Files.readAllBytes(listingFile(REPO, CLONE));
    clock.advance(Duration.ofSeconds(1));
    cache.put(REPO, URI.create("https://mirror.example/owner/repo"), FETCH, UpstreamAnswers.FETCH);
    // as if the process died after writing the new listing, before deleting the displaced one
    Files.write(listingFile(REPO, CLONE), oldUpstreamsListing);

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(REPO)).isEqualTo(cache.get(REPO));
    assertThat(listingFile(REPO, CLONE)).doesNotExist();
  }

  @Test
  void theOrderOfListingsSurvivesARestartEvenWithEqualTimes() {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE); // the clock stands still
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL); // newest again: rewritten

    LsRefsCache reloaded = newCache();
    reloaded.load();

    assertThat(reloaded.get(REPO)).isEqualTo(cache.get(REPO));
    assertThat(reloaded.get(REPO).orElseThrow().listings().get(0).args()).isEqualTo(LS_REMOTE);
  }

  @Test
  void anInvalidatedRepositoryLosesItsDirectoryAndALeftoverDeletionIsFinishedOnLoad()
      throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    cache.put(REPO, UPSTREAM, FETCH, UpstreamAnswers.FETCH);
    cache.put("other", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    // a deletion interrupted after its rename, before its files were gone
    Path interrupted =
        directory.resolve(CacheFileStore.directoryName("other") + CacheFileStore.DELETED_INFIX + 42);
    Files.move(repository("other"), interrupted);

    cache.invalidate(REPO);

    assertThat(repository(REPO)).doesNotExist();
    LsRefsCache reloaded = newCache();
    assertThat(reloaded.load()).isZero();
    assertThat(list(directory)).isEmpty();
  }

  @Test
  void aFileOfTheEarlierFormatIsMigratedAndRemoved() throws IOException {
    LsRefsCache writer = newCache();
    writer.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    clock.advance(Duration.ofMinutes(1));
    writer.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    writer.put(REPO, UPSTREAM, FETCH, UpstreamAnswers.FETCH); // same time as the clone's
    Entry entry = writer.get(REPO).orElseThrow();
    writer.invalidateAll();
    Path legacy = legacyFile();
    Files.write(legacy, entry.toJson()); // what the earlier version wrote: the whole entry

    LsRefsCache upgraded = newCache();

    assertThat(upgraded.load()).isEqualTo(1);
    assertThat(upgraded.get(REPO)).contains(entry);
    assertThat(legacy).doesNotExist();
    assertThat(list(repository(REPO)))
        .containsExactlyInAnyOrder(
            listingFile(REPO, LS_REMOTE), listingFile(REPO, CLONE), listingFile(REPO, FETCH));
    LsRefsCache restarted = newCache();
    restarted.load();
    assertThat(restarted.get(REPO)).contains(entry);
    assertThat(restarted.answer(REPO, FETCH_MAIN)).isPresent();
    assertThat(restarted.fileWrites()).isZero();
  }

  @Test
  void anEarlierFormatFileOlderThanTheRepositorysDirectoryIsRemovedUnread() throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Entry older = cache.get(REPO).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    cache.put(REPO, UPSTREAM, FETCH, UpstreamAnswers.FETCH);
    Path legacy = legacyFile();
    Files.write(legacy, older.toJson());

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(REPO)).isEqualTo(cache.get(REPO));
    assertThat(legacy).doesNotExist();
  }

  @Test
  void anEarlierFormatFileNewerThanAPartialMigrationWins() throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    clock.advance(Duration.ofMinutes(1));
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Entry whole = cache.get(REPO).orElseThrow();
    Path legacy = legacyFile();
    Files.write(legacy, whole.toJson());
    Files.delete(listingFile(REPO, CLONE)); // a migration that died after its first file

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(REPO)).contains(whole);
    assertThat(legacy).doesNotExist();
    assertThat(list(repository(REPO))).hasSize(2);
  }

  @Test
  void aCorruptOrMisnamedEarlierFormatFileIsSetAside() throws IOException {
    Path corrupt = legacyFile();
    Files.createDirectories(directory);
    Files.writeString(corrupt, "{\"version\":1,\"repository\":", UTF_8);
    LsRefsCache other = newCache();
    other.put("other", UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Path misnamed = directory.resolve("renamed.json");
    Files.write(misnamed, other.get("other").orElseThrow().toJson());
    other.invalidateAll();

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isZero();
    assertThat(directory.resolve(corrupt.getFileName() + ".corrupt-" + clock.millis())).exists();
    assertThat(directory.resolve("renamed.json.corrupt-" + clock.millis())).exists();
    assertThat(corrupt).doesNotExist();
  }

  @Test
  void anInvalidationAlsoRemovesAnEarlierFormatFileThatCouldNotBeMigrated() throws IOException {
    LsRefsCache cache = newCache();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Path legacy = legacyFile();
    Files.write(legacy, cache.get(REPO).orElseThrow().toJson());

    cache.invalidate(REPO);

    assertThat(legacy).doesNotExist();
    assertThat(newCache().load()).isZero();
  }
}
