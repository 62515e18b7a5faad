package dev.goblet.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.concurrent.ProxyExecutors;
import dev.goblet.ErrorReporter;
import dev.goblet.OperationLogger;
import dev.goblet.PublishReport;
import dev.goblet.RestoreReport;
import dev.goblet.SnapshotStore;
import dev.goblet.UpstreamCredentials;
import dev.goblet.cache.LsRefsArgs;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorContext;
import dev.goblet.repository.MirrorLifecycle;
import dev.goblet.repository.MirrorManager;
import dev.goblet.snapshot.SnapshotManifest.Names;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.UpstreamRepo;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamGate;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Publishing (the debounce per repository, ls-refs write-through, garbage collection) and the
 * restore of every stored repository at start.
 */
class SnapshotServiceTest {
  private static final Duration DELAY = Duration.ofMinutes(5);

  @TempDir Path tmp;
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-12-01T10:00:00Z"));
  private final List<String> events = new ArrayList<>();
  private GitUpstreamServer upstream;
  private UpstreamRepo repo;
  private ProxyExecutors executor;
  private MirrorManager mirrors;
  private LsRefsCache cache;
  private SnapshotStore store;
  private SnapshotService service;
  private URI url;
  private String key;
  /** When set, each maintenance run counts down {@link #repackStarted} and waits for it. */
  private volatile CountDownLatch holdMaintenance;
  private final CountDownLatch repackStarted = new CountDownLatch(1);

  @BeforeEach
  void setUp() throws Exception {
    GitCli git = GitCli.create(Files.createDirectories(tmp.resolve("home")));
    upstream = GitUpstreamServer.start(Files.createDirectories(tmp.resolve("upstream")));
    repo = UpstreamRepo.create(git, tmp.resolve("upstream"), "owner/repo");
    repo.commit("main", "a.txt", "a\n", "first");
    executor = new ProxyExecutors(2, 4, 64);
    mirrors = newMirrors(tmp.resolve("cache"));
    cache = new LsRefsCache(tmp.resolve("ls-refs"), clock, 100);
    store = SnapshotStore.filesystem(tmp.resolve("store"));
    service = newService(mirrors, cache, tmp.resolve("cache"));
    url = upstream.repoUrl("owner/repo");
    key = mirrors.open(url).key();
  }

  private MirrorManager newMirrors(Path cacheRoot) throws IOException {
    UpstreamGate gate = new UpstreamGate(true, clock, Duration.ofSeconds(30));
    return new MirrorManager(cacheRoot, new MirrorContext(executor.upstreamFetches(), clock,
        new UpstreamClient(UpstreamCredentials.NONE, Duration.ofSeconds(5), Duration.ofSeconds(30)),
        gate, OperationLogger.NONE, Duration.ofSeconds(60), Duration.ofSeconds(60), executor.ticks(),
        MirrorContext.FetchListener.NONE, () -> false),
        new MirrorLifecycle(0, this::operation, MirrorLifecycle.Listener.NONE));
  }

  private SnapshotService newService(MirrorManager mirrors, LsRefsCache cache, Path cacheRoot) {
    return new SnapshotService(store, mirrors, cache, cacheRoot, clock, DELAY,
        Duration.ofSeconds(60), executor.restores(), new SnapshotListener() {
          @Override
          public void published(String k, long bytes, Duration took) {
            events.add("published " + k);
          }

          @Override
          public void lsRefsWritten(String k) {
            events.add("ls-refs " + k);
          }

          @Override
          public void restored(String k, long bytes, Duration took) {
            events.add("restored " + k);
          }

          @Override
          public void restoreFailed(String k) {
            events.add("restore-failed " + k);
          }
        }, ErrorReporter.NONE);
  }

  @AfterEach
  void tearDown() {
    service.close();
    mirrors.close();
    executor.close();
    upstream.close();
  }

  private OperationLogger.Operation operation(String name, URI upstream) {
    CountDownLatch hold = holdMaintenance;
    if (name.equals("maintain") && hold != null) {
      repackStarted.countDown();
      try {
        hold.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    return OperationLogger.Operation.NONE;
  }

  /** Fetches, and waits for the maintenance that follows (as publishing does). */
  private void fetch() throws Exception {
    fetchOnly();
    mirrors.maintain(mirrors.open(url), false).get(60, TimeUnit.SECONDS);
  }

  private void fetchOnly() throws Exception {
    mirrors.open(url).fetchUpstream().get(60, TimeUnit.SECONDS);
  }

  @Test
  void aFirstFetchIsPublishedOnceItsRepackHasAddedTheBitmap() throws Exception {
    holdMaintenance = new CountDownLatch(1);
    fetchOnly();
    // As a served repository has (publishing looks at those between scans of the whole root).
    cache.put(key, url, LsRefsArgs.parse(List.of()),
        List.of(repo.resolve("main") + " refs/heads/main"));
    assertThat(repackStarted.await(60, TimeUnit.SECONDS)).isTrue();
    assertThat(mirrors.maintenanceBusy(mirrors.open(url))).isTrue();
    assertThat(service.publishDue().published()).as("the repack is running").isEmpty();
    assertThat(SnapshotReader.newestReadable(store, key)).as("no snapshot yet").isEmpty();

    holdMaintenance.countDown();
    mirrors.maintain(mirrors.open(url), false).get(60, TimeUnit.SECONDS);
    assertThat(service.publishDue().published()).containsExactly(key);
    assertThat(SnapshotReader.newestReadable(store, key).orElseThrow().files())
        .extracting(SnapshotManifest.FileEntry::path)
        .anyMatch(path -> path.endsWith(".bitmap"));
  }

  @Test
  void aMirrorWhoseMaintenanceDoesNotEndIsPublishedAfterThePublishDelay() throws Exception {
    holdMaintenance = new CountDownLatch(1);
    try {
      fetchOnly();
      assertThat(repackStarted.await(60, TimeUnit.SECONDS)).isTrue();
      assertThat(service.publishDue().published()).isEmpty();
      clock.advance(DELAY.minusSeconds(1));
      assertThat(service.publishDue().published()).isEmpty();
      clock.advance(Duration.ofSeconds(1));
      assertThat(service.publishDue().published()).containsExactly(key);
    } finally {
      holdMaintenance.countDown();
    }
  }

  private long newestGeneration() throws Exception {
    return SnapshotReader.newestReadable(store, key).orElseThrow().generation();
  }

  @Test
  void aRepositoryIsPublishedAtMostOncePerDelay() throws Exception {
    fetch();
    assertThat(service.publishDue().published()).containsExactly(key);
    assertThat(service.publishDue().published()).isEmpty(); // nothing new
    PublishReport now = service.publishNow();
    assertThat(now.published()).isEmpty();
    assertThat(now.upToDate()).containsExactly(key);

    repo.commit("main", "b.txt", "b\n", "second");
    clock.advance(Duration.ofMinutes(1));
    fetch();
    assertThat(service.publishDue().published()).as("changed, but within the delay").isEmpty();
    assertThat(newestGeneration()).isEqualTo(1);

    clock.advance(Duration.ofMinutes(4));
    assertThat(service.publishDue().published()).containsExactly(key);
    SnapshotManifest newest = SnapshotReader.newestReadable(store, key).orElseThrow();
    assertThat(newest.generation()).isEqualTo(2);
    assertThat(newest.files().get(0).path()).isEqualTo("packed-refs");
    assertThat(Files.readString(
            tmp.resolve("store").resolve(Names.object(key, newest.files().get(0).sha256()))))
        .contains(repo.resolve("main") + " refs/heads/main");
    assertThat(service.statuses().get(key).lastPublished()).hasValue(clock.instant());
    assertThat(events).containsExactly("published " + key, "published " + key);
  }

  @Test
  void changedLsRefsEntriesAreWrittenThroughOnce() throws Exception {
    cache.put(key, url, LsRefsArgs.parse(List.of()),
        List.of(repo.resolve("main") + " refs/heads/main"));
    assertThat(service.publishDue().lsRefsEntries()).isEqualTo(1);
    assertThat(service.publishDue().lsRefsEntries()).isZero();
    assertThat(events).containsExactly("ls-refs " + key);
    assertThat(SnapshotPublisher.readLsRefs(store, Names.lsRefs(key), key)).get()
        .extracting(LsRefsCache.Entry::repoKey).isEqualTo(key);

    clock.advance(Duration.ofSeconds(10));
    cache.put(key, url, LsRefsArgs.parse(List.of()),
        List.of(repo.resolve("main") + " refs/heads/main"));
    service.publishDue();
    assertThat(events).containsExactly("ls-refs " + key, "ls-refs " + key);
  }

  @Test
  void oldGenerationsAndTheFilesOnlyTheyListAreCollected() throws Exception {
    for (int i = 0; i < 5; i++) {
      repo.commit("main", "f" + i, "change " + i + "\n", "change " + i);
      clock.advance(DELAY);
      fetch();
      Mirror mirror = mirrors.open(url);
      assertThat(mirror.lastUpdate()).hasValue(clock.instant());
      assertThat(service.publishNow().published()).containsExactly(key);
    }
    List<String> manifests = SnapshotReader.manifestsNewestFirst(store, key);
    assertThat(manifests).hasSize(SnapshotPublisher.KEPT_GENERATIONS);
    assertThat(Names.generation(manifests.get(0))).isEqualTo(5);
    Set<String> listed = new HashSet<>();
    for (String manifest : manifests) {
      SnapshotReader.read(store, manifest, key).files()
          .forEach(f -> listed.add(Names.object(key, f.sha256())));
    }
    assertThat(new HashSet<>(store.list(Names.objects(key)))).isEqualTo(listed);
  }

  @Test
  void restoreAllRestoresFromTheNewestUsableGenerationAndSkipsWhatIsPresent() throws Exception {
    fetch();
    String first = repo.resolve("main");
    assertThat(service.publishNow().published()).containsExactly(key);
    repo.commit("main", "b.txt", "b\n", "second");
    clock.advance(Duration.ofMinutes(1));
    fetch();
    assertThat(service.publishNow().published()).containsExactly(key);
    SnapshotManifest newest = SnapshotReader.newestReadable(store, key).orElseThrow();
    assertThat(newest.generation()).isEqualTo(2);
    assertThat(newest.files().get(0).path()).isEqualTo("packed-refs"); // only generation 2's
    Files.writeString(
        tmp.resolve("store").resolve(Names.object(key, newest.files().get(0).sha256())), "torn");
    store.write("snapshots/127.0.0.1_1/broken/repo/manifests/000000000001.json",
        out -> out.write("{not a manifest".getBytes(StandardCharsets.UTF_8)));
    events.clear();

    Path root = tmp.resolve("cache-b");
    MirrorManager fresh = newMirrors(root);
    try (SnapshotService restoring =
        newService(fresh, new LsRefsCache(tmp.resolve("ls-refs-b"), clock, 100), root)) {
      RestoreReport report = restoring.restoreAll();

      assertThat(report.restored()).containsExactly(key);
      assertThat(report.failed()).containsExactly("127.0.0.1_1/broken/repo");
      assertThat(events).containsExactly("restore-failed 127.0.0.1_1/broken/repo", // sorted first
          "restore-failed " + key, "restored " + key);
      Mirror restored = fresh.open(url);
      assertThat(restored.repository().exactRef("refs/heads/main").getObjectId().name())
          .isEqualTo(first);
      assertThat(restoring.statuses().get(key).generation()).isEqualTo(1);

      RestoreReport again = restoring.restoreAll();
      assertThat(again.alreadyPresent()).containsExactly(key);
      assertThat(again.restored()).isEmpty();
    } finally {
      fresh.close();
    }
  }
}
