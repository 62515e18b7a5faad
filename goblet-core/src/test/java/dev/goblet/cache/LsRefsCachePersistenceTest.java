package dev.goblet.cache;

import dev.goblet.testing.FakeClock;
import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.FETCH;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
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
    return directory().resolve(CacheFileStore.fileName(repoKey));
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

    JsonObject json =
        JsonParser.parseString(Files.readString(fileOf(REPO), UTF_8)).getAsJsonObject();

    assertThat(json.get("version").getAsInt()).isEqualTo(1);
    assertThat(json.get("repository").getAsString()).isEqualTo(REPO);
    assertThat(json.get("upstream").getAsString()).isEqualTo(UPSTREAM.toString());
    JsonObject newest = json.getAsJsonArray("listings").get(0).getAsJsonObject();
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
      Files.delete(file);
    }

    cache.save();

    LsRefsCache reloaded = newCache();
    assertThat(reloaded.load()).isEqualTo(2);
    assertThat(reloaded.entries()).containsExactlyInAnyOrderElementsOf(cache.entries());
  }

  private static Arguments corrupt(String name, String content) {
    return Arguments.of(name, content.getBytes(UTF_8));
  }

  private static String document(String listings) {
    return "{\"version\":1,\"repository\":\""
        + REPO
        + "\",\"upstream\":\"https://x\","
        + "\"listings\":"
        + listings
        + "}";
  }

  static Stream<Arguments> corruptContents() {
    String listing = "{\"time\":\"2026-03-01T12:00:00Z\",\"prefixes\":[],\"lines\":%s}";
    return Stream.of(
        Arguments.of("garbage bytes", new byte[] {0, (byte) 0xff, (byte) 0xfe, '{', 0x7f}),
        corrupt("truncated JSON", document("[]").substring(0, 60)),
        corrupt("empty file", ""),
        corrupt("JSON null", "null"),
        corrupt("another schema version", document("[]").replace("\"version\":1", "\"version\":2")),
        corrupt("no version", document("[]").replace("\"version\":1,", "")),
        corrupt("no listings", document("[]").replace(",\"listings\":[]", "")),
        corrupt("zero listings", document("[]")),
        corrupt("listings of the wrong type", document("5")),
        corrupt(
            "unparsable time", document("[" + listing.formatted("[]") + "]").replace("2026-", "y")),
        corrupt("malformed line", document("[" + listing.formatted("[\"oid\"]") + "]")),
        corrupt("null line", document("[" + listing.formatted("[null]") + "]")),
        corrupt("trailing garbage", document("[]") + "}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corruptContents")
  void aCorruptFileIsSetAsideWhileTheOthersLoad(String name, byte[] corrupt) throws IOException {
    populatedCache();
    Files.write(fileOf(REPO), corrupt);

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(REPO)).isEmpty();
    assertThat(reloaded.get(OTHER)).isPresent();
    Path aside = directory().resolve(CacheFileStore.fileName(REPO) + ".corrupt-" + clock.millis());
    assertThat(fileOf(REPO)).doesNotExist();
    assertThat(aside).hasBinaryContent(corrupt);
  }

  @Test
  void aFileUnderAnotherRepositorysNameIsSetAside() throws IOException {
    populatedCache();
    Files.move(fileOf(OTHER), directory().resolve("renamed.json"));

    LsRefsCache reloaded = newCache();

    assertThat(reloaded.load()).isEqualTo(1);
    assertThat(reloaded.get(OTHER)).isEmpty();
    assertThat(directory().resolve("renamed.json.corrupt-" + clock.millis())).exists();
  }

  @Test
  void aLeftoverTemporaryFileIsDeletedAndTheLastGoodFileLoads() throws IOException {
    LsRefsCache first = populatedCache();
    Path leftover = directory().resolve(CacheFileStore.fileName(REPO) + "12345.tmp");
    Files.writeString(leftover, "{\"version\":1,\"repos", UTF_8);

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
    List<Path> files = list(directory());
    assertThat(files).hasSize(keys.size()).allMatch(Files::isRegularFile);
    assertThat(files)
        .extracting(file -> file.getFileName().toString())
        .allMatch(name -> name.matches("[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{64}\\.json"));

    LsRefsCache reloaded = new LsRefsCache(directory(), clock, keys.size());
    assertThat(reloaded.load()).isEqualTo(keys.size());
    assertThat(reloaded.entries())
        .extracting(LsRefsCache.Entry::repoKey)
        .containsExactlyInAnyOrderElementsOf(keys);
  }

  @Test
  void distinctKeysThatSanitizeAlikeGetDistinctFiles() {
    String[] keys = {"a/b", "a_b", "a:b", "a\\b"};

    assertThat(Arrays.stream(keys).map(CacheFileStore::fileName).distinct()).hasSize(keys.length);
  }
}
