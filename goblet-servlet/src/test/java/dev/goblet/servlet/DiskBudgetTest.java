package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.goblet.AdminAuthorizer;
import dev.goblet.servlet.testing.Http;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The disk budget through the real proxy: ten repositories cloned in turn into a cache with room
 * for about three; the least recently served are evicted, one being cloned by a stalled client is
 * not, and an evicted one is simply cold again.
 */
class DiskBudgetTest extends HarnessTestBase {
  private MirrorEvictionChecks checks;

  @BeforeEach
  void checks() {
    checks = new MirrorEvictionChecks(harness);
  }

  private static final int REPOSITORIES = 10;

  @Test
  void evictsTheLeastRecentlyServedAndNeverOneInUse() throws Exception {
    List<UpstreamRepo> repos = checks.noiseRepositories(REPOSITORIES, 7);
    long one = checks.probeMirrorSize(tmp);
    long budget = one * 7 / 2;

    harness.mount("/admin/*", GobletAdminServlet::new);
    harness.startProxy(
        b -> b.cacheMaxBytes(budget).adminAuthorizer(AdminAuthorizer.ALLOW_ALL));
    Path cacheRoot = harness.config().cacheRoot();
    long base = checks.fetchCommands(); // the harness's registry outlives each proxy
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/repo-0"), harness.dir("c0").toString());
    checks.awaitServed(base + 1);
    checks.maintain("team/repo-0");

    cloneAndMaintain(1, base);
    cloneAndMaintain(2, base);

    // A slow client clones repo-0, the least recently served, while three more repositories
    // arrive (a stall shorter than the container's 30 s idle timeout).
    checks.whileStalledCloning("team/repo-0", harness.dir("slow"), repos.get(0).resolve("main"),
        () -> {
          for (int i = 3; i <= 5; i++) {
            cloneAndMaintain(i, base);
            // Within the budget, plus the one repository a client is still cloning.
            assertThat(cacheSize(cacheRoot)).isLessThanOrEqualTo(budget + one);
          }
          // repo-0 is the least recently served but in use, so repo-1..3 went instead.
          assertThat(checks.registeredKeys())
              .containsExactly(
                  checks.key("team/repo-0"), checks.key("team/repo-4"), checks.key("team/repo-5"));
          assertThat(harness.counterCount("mirrors.evictions")).isEqualTo(3);
        });
    // Its lease ended with the clone: repo-0 is now the most recently served.
    checks.awaitServed(base + 7);
    for (int i = 6; i < REPOSITORIES; i++) {
      cloneAndMaintain(i, base + 1);
      assertThat(cacheSize(cacheRoot)).isLessThanOrEqualTo(budget);
    }
    assertThat(checks.registeredKeys())
        .containsExactly(
            checks.key("team/repo-7"), checks.key("team/repo-8"), checks.key("team/repo-9"));
    assertThat(harness.counterCount("mirrors.evictions")).isEqualTo(7);
    for (int i = 0; i <= 6; i++) {
      assertThat(cacheRoot.resolve(checks.key("team/repo-" + i) + ".git")).doesNotExist();
      assertThat(harness.proxy().lsRefsCache().get(checks.key("team/repo-" + i))).isEmpty();
    }

    // The admin API shows each repository's size and last use.
    JsonObject listing = Http.json(Http.get(harness.url("/admin/repositories")));
    for (JsonElement repository : listing.getAsJsonArray("repositories")) {
      JsonObject json = repository.getAsJsonObject();
      assertThat(json.get("size_bytes").getAsLong()).isPositive();
      assertThat(json.get("last_served").getAsString()).isNotBlank();
    }

    // An evicted repository is cold again: cloned from the upstream anew.
    long upstreamFetches = harness.upstream().fetchCount();
    Path again = harness.dir("again");
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/repo-1"), again.toString());
    git.runOk(again, "fsck", "--no-dangling");
    assertThat(harness.upstream().fetchCount()).isGreaterThan(upstreamFetches);
    checks.awaitServed(base + REPOSITORIES + 2); // the first ten, the slow one, this one
    checks.maintain("team/repo-1");
    assertThat(cacheSize(cacheRoot)).isLessThanOrEqualTo(budget);
  }

  /** Clones repo-{@code i} through the proxy and waits for its maintenance and the budget. */
  private void cloneAndMaintain(int i, long base) throws Exception {
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/repo-" + i), harness.dir("c" + i).toString());
    checks.awaitServed(base + 1 + i);
    checks.maintain("team/repo-" + i);
  }

  /** @return the bytes of every mirror under the cache root (not the ls-refs cache) */
  private static long cacheSize(Path cacheRoot) throws Exception {
    try (Stream<Path> hosts = Files.list(cacheRoot)) {
      long total = 0;
      for (Path host : hosts.filter(p -> !p.getFileName().toString().startsWith(".")).toList()) {
        total += MirrorLifecycleTest.size(host);
      }
      return total;
    }
  }
}
