package dev.goblet.cache;

import static dev.goblet.cache.ClientRequests.CLONE;
import static dev.goblet.cache.ClientRequests.LS_REMOTE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.testing.FakeClock;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Entries copied out of one cache (for snapshot stores) and restored into another. */
class LsRefsCacheRestoreTest {
  private static final String REPO = "github.com/owner/repo";
  private static final URI UPSTREAM = URI.create("https://github.com/owner/repo");

  @TempDir Path tmp;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-03-01T12:00:00Z"));

  private LsRefsCache cache(String name) {
    LsRefsCache cache = new LsRefsCache(tmp.resolve(name), clock, 10);
    cache.load();
    return cache;
  }

  @Test
  void anEntryRoundTripsThroughJsonAndIsRestoredAndPersisted() {
    LsRefsCache source = cache("a");
    source.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    clock.advance(Duration.ofMinutes(1));
    source.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Entry original = source.get(REPO).orElseThrow();

    Entry copy = Entry.fromJson(original.toJson());
    assertThat(copy).isEqualTo(original);

    LsRefsCache target = cache("b");
    assertThat(target.restore(copy)).isTrue();
    assertThat(target.answer(REPO, CLONE)).isEqualTo(source.answer(REPO, CLONE));
    assertThat(cache("b").get(REPO)).contains(original); // persisted: a new instance loads it
  }

  @Test
  void aNewerCachedEntryIsKept() {
    LsRefsCache cache = cache("a");
    cache.put(REPO, UPSTREAM, LS_REMOTE, UpstreamAnswers.FULL);
    Entry older = cache.get(REPO).orElseThrow();
    clock.advance(Duration.ofMinutes(1));
    cache.put(REPO, UPSTREAM, CLONE, UpstreamAnswers.CLONE);
    Entry newer = cache.get(REPO).orElseThrow();

    assertThat(cache.restore(older)).isFalse();
    assertThat(cache.restore(newer)).isFalse(); // as new: nothing to do
    assertThat(cache.get(REPO)).contains(newer);
  }

  @Test
  void contentThatIsNotAnEntryIsRefused() {
    for (String bad : new String[] {"", "{", "[]", "{\"version\":2}", "{\"version\":1}"}) {
      assertThatThrownBy(() -> Entry.fromJson(bad.getBytes(StandardCharsets.UTF_8)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("not an ls-refs cache entry");
    }
  }
}
