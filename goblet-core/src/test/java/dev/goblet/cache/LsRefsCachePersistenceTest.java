package dev.goblet.cache;

import dev.goblet.testing.FakeClock;
import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.goblet.io.FileTrees;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class LsRefsCachePersistenceTest {

  private static final String REPO = "github.com/owner/repo";
  private static final String OTHER = "gitlab.com/group/sub/project";
  private static final URI UPSTREAM = URI.create("https://github.com/owner/repo");

  @TempDir Path root;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));

  private Path directory() {
    return root.resolve("ls-refs");
  }

  private LsRefsCache newCache() {
    return new LsRefsCache(directory(), clock, 4);
  }

  private Path fileOf(String repoKey) {
    return directory().resolve(CacheFileStore.directoryName(repoKey));
  }

  private Path listingFile(String repoKey, LsRefsArgs args) {
    return fileOf(repoKey).resolve(CacheFileStore.listingFileName(args));
  }

  private static List<Path> list(Path directory) throws IOException {
    try (Stream<Path> files = Files.list(directory)) {
      return files.toList();
    }
  }

  /** A cache holding {@link #REPO} (clone, then ls-remote) and {@link #OTHER} (fetch). */
  private LsRefsCache populatedCache() {
    LsRefsCache cache = newCache();
    cache.load();
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    clock.advance(Duration.ofMinutes(1));
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    clock.advance(Duration.ofMinutes(1));
    cache.put(OTHER, URI.create("https://gitlab.com/group/sub/project.git"), FETCH, List.of());
    return cache;
  }

  @Test
  void aNewInstanceLoadsWhatAnotherPersisted() {
    LsRefsCache first = populatedCache();

    LsRefsCache second = newCache();

    assertThat(second.load()).isEqualTo(2);
    assertThat(second.entries()).containsExactlyInAnyOrderElementsOf(first.entries());
    assertThat(second.answer(REPO, FETCH)).isEqualTo(first.answer(REPO, FETCH));
    assertThat(second.persistFailures()).isZero();
  }

  @Test
  void writesTheDocumentedJsonFormat() throws IOException {
    populatedCache();

    assertThat(list(fileOf(REPO)))
        .containsExactlyInAnyOrder(listingFile(REPO, CLONE), listingFile(REPO, LS_REMOTE));
    JsonObject json =
        JsonParser.parseString(Files.readString(listingFile(REPO, LS_REMOTE), UTF_8))
            .getAsJsonObject();

    assertThat(json.get("version").getAsInt()).isEqualTo(2);
    assertThat(json.get("repository").getAsString()).isEqualTo(REPO);
    assertThat(json.get("upstream").getAsString()).isEqualTo(UPSTREAM.toString());
    assertThat(json.get("sequence").getAsLong()).isEqualTo(2);
    JsonObject newest = json.getAsJsonObject("listing");
    assertThat(newest.get("time").getAsString()).isEqualTo("2026-03-01T12:01:00Z");
    assertThat(newest.getAsJsonArray("prefixes")).isEmpty();
    assertThat(newest.get("symrefs").getAsBoolean()).isTrue();
    assertThat(newest.get("peel").getAsBoolean()).isTrue();
    assertThat(newest.get("unborn").getAsBoolean()).isTrue();
    assertThat(newest.getAsJsonArray("lines").get(0).getAsString())
        .isEqualTo(UpstreamAnswers.FULL.get(0));
  }

  @Test
  void saveWritesEveryEntryAgain() throws IOException {
    LsRefsCache cache = populatedCache();
    for (Path file : list(directory())) {
      FileTrees.deleteTree(file);
    }

    cache.save();

    LsRefsCache reloaded = newCache();
    assertThat(reloaded.load()).isEqualTo(2);
    assertThat(reloaded.entries()).containsExactlyInAnyOrderElementsOf(cache.entries());
  }

  private static Arguments corrupt(String name, String content) {
    return Arguments.of(name, content.getBytes(UTF_8));
  }

  /** A listing file of {@link #REPO} for {@code ls-remote}, with {@code lines} as its lines. */
  private static String document(String lines) {
    return "{\"version\":2,\"repository\":\""
        + REPO
        + "\",\"upstream\":\"https://x\",\"sequence\":9,"
        + "\"listing\":{\"time\":\"2026-03-01T12:00:00Z\","
        + "\"prefixes\":[],\"symrefs\":true,\"peel\":true,\"unborn\":true,"
        + "\"lines\":"
        + lines
        + "}}";
  }

  static Stream<Arguments> corruptContents() {
    return Stream.of(
        Arguments.of("garbage bytes", new byte[] {0, (byte) 0xff, (byte) 0xfe, '{', 0x7f}),
        corrupt("truncated JSON", document("[]").substring(0, 60)),
        corrupt("empty file", ""),
        corrupt("JSON null", "null"),
        corrupt("another schema version", document("[]").replace("\"version\":2", "\"version\":1")),
        corrupt("no version", document("[]").replace("\"version\":2,", "")),
        corrupt("no sequence", document("[]").replace("\"sequence\":9,", "")),
        corrupt("no repository", document("[]").replace("\"repository\":\"" + REPO + "\",", "")),
        corrupt("no lines", document("[]").replace(",\"lines\":[]", "")),
        corrupt("no listing", document("[]").replaceAll(",\"listing\":.*", "}")),
        corrupt("lines of the wrong type", document("5")),
        corrupt("unparsable time", document("[]").replace("2026-", "y")),
        corrupt("malformed line", document("[\"oid\"]")),
        corrupt("null line", document("[null]")),
        corrupt("trailing garbage", document("[]") + "}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptContents")
  void aCorruptListingFileIsSetAsideWhileTheOtherListingsAndFilesLoad(String name, byte[] corrupt)
      throws IOException {
    LsRefsCache first = populatedCache();
    Path file = listingFile(REPO, LS_REMOTE);
    Files.write(file, corrupt);

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(2);
    assertThat(reloaded.get(REPO).orElseThrow().listings())
        .containsExactly(first.get(REPO).orElseThrow().listings().get(1)); // the clone's
    assertThat(reloaded.get(OTHER)).isEqualTo(first.get(OTHER));
    Path aside = file.resolveSibling(file.getFileName() + ".corrupt-" + clock.millis());
    assertThat(file).doesNotExist();
    assertThat(aside).hasBinaryContent(corrupt);
  }

  @Test
  void aRepositoryWhoseListingsAreAllCorruptIsNotLoaded() throws IOException {
    populatedCache();
    for (Path file : list(fileOf(REPO))) {
      Files.writeString(file, "{ not json", UTF_8);
    }

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(REPO)).isEmpty();
    assertThat(list(fileOf(REPO)))
        .hasSize(2)
        .allMatch(file -> file.getFileName().toString().contains(".corrupt-"));
  }

  @Test
  void aListingFileUnderAnotherRepositorysDirectoryIsSetAside() throws IOException {
    populatedCache();
    Path moved = listingFile(REPO, FETCH);
    Files.move(listingFile(OTHER, FETCH), moved);

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(OTHER)).isEmpty();
    assertThat(reloaded.get(REPO).orElseThrow().listings()).hasSize(2);
    assertThat(moved.resolveSibling(moved.getFileName() + ".corrupt-" + clock.millis())).exists();
    assertThat(fileOf(OTHER)).doesNotExist(); // left empty, so removed
  }

  @Test
  void aLeftoverTemporaryFileIsDeletedAndTheLastGoodFileLoads() throws IOException {
    LsRefsCache first = populatedCache();
    Path leftover =
        fileOf(REPO).resolve(CacheFileStore.listingFileName(LS_REMOTE) + "12345.tmp");
    Files.writeString(leftover, "{\"version\":2,\"repos", UTF_8); // cut mid-write

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(2);
    assertThat(leftover).doesNotExist();
    assertThat(reloaded.get(REPO)).isEqualTo(first.get(REPO));
  }

  @Test
  void loadCreatesAMissingDirectory() {
    assertThat(newCache().load()).isZero();
    assertThat(directory()).isDirectory();
  }

  @Test
  void loadKeepsTheMostRecentlyListedRepositoriesWhenThereAreTooMany() {
    populatedCache();

    LsRefsCache small = new LsRefsCache(directory(), clock, 1);

    assertThat(small.load()).isEqualTo(2);
    assertThat(small.entries()).extracting(LsRefsCache.Entry::repoKey).containsExactly(OTHER);
    assertThat(fileOf(REPO)).doesNotExist();
  }

  @Test
  void noRepositoryKeyCanPlaceAFileOutsideTheDirectory() throws IOException {
    List<String> keys =
        List.of(
            "../escape",
            "../../../../etc/passwd",
            "/absolute/path",
            "a/b/c",
            "..",
            ".",
            ".hidden",
            "-rf",
            "C:\\windows\\system32",
            "ünïcødé/Ω/日本語",
            "emoji/\uD83D\uDE00",
            "",
            "x".repeat(500));
    LsRefsCache cache = new LsRefsCache(directory(), clock, keys.size());
    keys.forEach(key -> cache.put(key, UPSTREAM, CLONE, UpstreamAnswers.CLONE));

    assertThat(cache.persistFailures()).isZero();
    assertThat(list(root)).containsExactly(directory());
    List<Path> repositories = list(directory());
    assertThat(repositories).hasSize(keys.size()).allMatch(Files::isDirectory);
    assertThat(repositories)
        .extracting(file -> file.getFileName().toString())
        .allMatch(name -> name.matches("[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{64}"));
    for (Path repository : repositories) {
      assertThat(list(repository))
          .singleElement()
          .matches(Files::isRegularFile)
          .matches(file -> file.getFileName().toString().matches("[0-9a-f]{64}\\.json"));
    }

    LsRefsCache reloaded = new LsRefsCache(directory(), clock, keys.size());
    assertThat(reloaded.load()).isEqualTo(keys.size());
    assertThat(reloaded.entries())
        .extracting(LsRefsCache.Entry::repoKey)
        .containsExactlyInAnyOrderElementsOf(keys);
  }

  @Test
  void distinctKeysThatSanitizeAlikeGetDistinctFiles() {
    String[] keys = {"a/b", "a_b", "a:b", "a\\b"};

    assertThat(Arrays.stream(keys).map(CacheFileStore::directoryName).distinct()).hasSize(keys.length);
  }
}
