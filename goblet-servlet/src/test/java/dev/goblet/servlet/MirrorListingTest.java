package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.AdminAuthorizer;
import dev.goblet.SnapshotStore;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.RecordingOperationLogger;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Listing the mirrors, the admin API's listing and snapshot publishing while four fetches and repacks
 * change the mirrors' files: none of them fails.
 */
class MirrorListingTest extends HarnessTestBase {
  private static final int REPOSITORIES = 4;
  private static final int FETCH_ROUNDS = 4;
  private static final int MIN_CALLS = 3000;

  @Test
  void listingAdminAndPublishingNeverFailWhileMirrorsChange() throws Exception {
    harness.mount("/admin/*", GobletAdminServlet::new);
    harness.startProxy(
        b -> b.snapshotStore(SnapshotStore.filesystem(tmp.resolve("store")))
            .adminAuthorizer(AdminAuthorizer.ALLOW_ALL));
    harness.proxy().whenReady().get(60, TimeUnit.SECONDS);
    List<UpstreamRepo> repos = new ArrayList<>();
    List<Path> clones = new ArrayList<>();
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < REPOSITORIES; i++) {
      UpstreamRepo repo = harness.newRepo("team/listed-" + i);
      repo.commitMany("main", 20, 5);
      Path clone = harness.dir("listed-" + i);
      git.runOk(tmp, "clone", "-q", harness.proxyUrl(repo.name()), clone.toString());
      repos.add(repo);
      clones.add(clone);
      keys.add(RepositoryPaths.key(URI.create(harness.directUrl(repo.name()))));
    }

    List<String> failures = new CopyOnWriteArrayList<>();
    AtomicBoolean fetching = new AtomicBoolean(true);
    ExecutorService pool = Executors.newFixedThreadPool(REPOSITORIES + 1);
    try {
      List<Future<?>> fetchers = new ArrayList<>();
      for (int i = 0; i < REPOSITORIES; i++) {
        UpstreamRepo repo = repos.get(i);
        Path clone = clones.get(i);
        fetchers.add(pool.submit(() -> {
          for (int round = 0; round < FETCH_ROUNDS; round++) {
            repo.commit("main", "round.txt", "round " + round + "\n", "round " + round);
            git.runOk(clone, "fetch", "-q", "origin");
          }
          return null;
        }));
      }
      Future<?> repacker = pool.submit(() -> {
        while (fetching.get()) {
          for (String key : keys) {
            harness.proxy().maintainRepository(key, true).orElseThrow().get(3, TimeUnit.MINUTES);
          }
        }
        return null;
      });

      int calls = 0;
      int publishes = 0;
      for (int i = 0; calls < MIN_CALLS || fetchers.stream().anyMatch(f -> !f.isDone()); i++) {
        try {
          calls++;
          assertThat(harness.proxy().repositories()).hasSize(REPOSITORIES);
          calls++;
          assertThat(harness.proxy().repositoryStatuses()).hasSize(REPOSITORIES);
          if (i % 5 == 0) {
            calls++;
            HttpResponse<String> listing = Http.get(harness.url("/admin/repositories"));
            assertThat(listing.statusCode()).as(listing.body()).isEqualTo(200);
          }
          if (i % 200 == 0) {
            calls++;
            publishes++;
            assertThat(harness.proxy().publishSnapshotsNow().failed()).isEmpty();
          }
        } catch (Exception | AssertionError e) {
          failures.add(RecordingOperationLogger.stackTrace(e));
        }
      }
      fetching.set(false);
      for (Future<?> fetcher : fetchers) {
        fetcher.get(1, TimeUnit.MINUTES);
      }
      repacker.get(3, TimeUnit.MINUTES);
      assertThat(failures).isEmpty();
      assertThat(calls).isGreaterThanOrEqualTo(MIN_CALLS);
      assertThat(publishes).isPositive();
    } finally {
      fetching.set(false);
      pool.shutdownNow();
    }
    for (int i = 0; i < REPOSITORIES; i++) {
      assertThat(git.runOk(clones.get(i), "rev-parse", "origin/main").stdout().strip())
          .isEqualTo(repos.get(i).resolve("main"));
      git.runOk(harness.config().cacheRoot().resolve(keys.get(i) + ".git"), "fsck", "--no-dangling");
    }
  }
}
