package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.OperationLogger;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.servlet.testing.RecordingOperationLogger;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.Test;

/**
 * Mirror maintenance through the real proxy: it runs on its own thread and never holds up a fetch,
 * keeps the pack count and the disk bounded over many fetches, never breaks an upload-pack that is
 * streaming a pack it deletes; and a bare ls-remote makes no mirror.
 */
class MirrorLifecycleTest extends HarnessTestBase {
  /** The 300 fetches, each after a new upstream commit (the benchmark runs the same). */
  private static final int FETCH_ROUNDS = 300;

  @Test
  void lsRemoteOfANewRepositoryMakesNoMirrorAndStartsNoFetch() throws Exception {
    ExecutorService executor = Executors.newSingleThreadExecutor();
    try {
      harness.startProxy(b -> b.executor(executor));
      harness.newRepo("team/fresh");
      GitCli.Result listing = git.runOk(tmp, "ls-remote", harness.proxyUrl("team/fresh"));
      assertThat(listing.stdout()).contains("refs/heads/main");
      drain(executor); // the background comparison with the mirror has run

      assertThat(harness.upstream().fetchCount()).isZero();
      assertThat(harness.proxy().repositories()).isEmpty();
      assertThat(mirrorDir("team/fresh")).doesNotExist();

      // An existing mirror that is behind still gets its background fetch from an ls-refs.
      UpstreamRepo known = harness.newRepo("team/known");
      git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/known"), harness.dir("known").toString());
      long fetches = harness.upstream().fetchCount();
      String newer = known.commit("main", "b.txt", "b\n", "second");
      git.runOk(tmp, "ls-remote", harness.proxyUrl("team/known"));
      drain(executor); // the comparison, which queues the fetch (it runs in the upstream's lane)
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (!newer.equals(
              git.runOk(mirrorDir("team/known"), "rev-parse", "refs/heads/main").stdout().strip())
          && System.nanoTime() < deadline) {
        Thread.sleep(50); // polls what the fetch brings: the mirror's main
      }
      assertThat(git.runOk(mirrorDir("team/known"), "rev-parse", "refs/heads/main").stdout().strip())
          .isEqualTo(newer);
      assertThat(harness.upstream().fetchCount()).isEqualTo(fetches + 1);
      assertThat(harness.proxy().repositories()).hasSize(1);
    } finally {
      harness.stopProxy();
      executor.shutdownNow();
    }
  }

  @Test
  void clientFetchesNeverWaitForMaintenance() throws Exception {
    CountDownLatch maintenanceStarted = new CountDownLatch(1);
    CountDownLatch releaseMaintenance = new CountDownLatch(1);
    List<String> operations = new CopyOnWriteArrayList<>();
    OperationLogger blockingMaintenance =
        (name, upstream) -> {
          operations.add(name + " on " + Thread.currentThread().getName());
          if (name.equals("maintain")) {
            maintenanceStarted.countDown();
            await(releaseMaintenance);
          }
          return OperationLogger.Operation.NONE;
        };
    harness.startProxy(b -> b.operationLogger(blockingMaintenance));
    UpstreamRepo repo = harness.newRepo("team/busy");
    Path clone = harness.dir("busy");
    try {
      git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/busy"), clone.toString());
      // The first fetch left a pack without a bitmap: its repack starts, and is held.
      assertThat(maintenanceStarted.await(60, TimeUnit.SECONDS)).isTrue();
      long upstreamFetches = harness.upstream().fetchCount();
      for (int i = 0; i < 3; i++) {
        String commit = repo.commit("main", "n.txt", "round " + i + "\n", "round " + i);
        git.runOk(clone, "fetch", "-q", "origin");
        assertThat(git.runOk(clone, "rev-parse", "origin/main").stdout().strip()).isEqualTo(commit);
      }
      // Three upstream fetches ran and were served while the repack was still held.
      assertThat(harness.upstream().fetchCount()).isEqualTo(upstreamFetches + 3);
      assertThat(releaseMaintenance.getCount()).isEqualTo(1);
    } finally {
      releaseMaintenance.countDown();
    }
    maintain("team/busy", false);
    assertThat(operations)
        .filteredOn(line -> line.startsWith("maintain "))
        .isNotEmpty()
        .allMatch(line -> line.contains(" on goblet-maintenance-"));
    assertThat(operations)
        .filteredOn(line -> line.startsWith("fetch-upstream "))
        .hasSizeGreaterThanOrEqualTo(4)
        .noneMatch(line -> line.contains("goblet-maintenance-"));
    assertThat(packs(mirrorDir("team/busy"))).hasSizeLessThanOrEqualTo(10);
    git.runOk(mirrorDir("team/busy"), "fsck", "--no-dangling");
  }

  /**
   * The 300 rounds, in production conditions (real clock, maintenance running on its own
   * thread while clients fetch): each round makes one upstream commit (in process, so a round costs
   * little more than its fetch) and a real {@code git fetch} through the proxy. Every repack is
   * held at its start until a client fetch that began after it has been served: no fetch can have
   * waited for a repack, or the run would stall and fail.
   */
  @Test
  void packCountAndDiskStayBoundedOverManyFetches() throws Exception {
    BlockingQueue<CountDownLatch> heldRepacks = new LinkedBlockingQueue<>();
    AtomicInteger repacks = new AtomicInteger();
    AtomicInteger unreleased = new AtomicInteger();
    OperationLogger holdingRepacks =
        (name, upstream) -> {
          if (name.equals("maintain")) {
            repacks.incrementAndGet();
            CountDownLatch release = new CountDownLatch(1);
            heldRepacks.add(release);
            try {
              if (!release.await(2, TimeUnit.MINUTES)) {
                unreleased.incrementAndGet();
              }
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return OperationLogger.Operation.NONE;
        };
    harness.startProxy(b -> b.operationLogger(holdingRepacks));
    UpstreamRepo repo = harness.newRepo("team/hot");
    repo.commitMany("main", 200, 10);
    Path clone = harness.dir("hot");
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/hot"), clone.toString());
    Path mirror = mirrorDir("team/hot");
    long[] fetchNanos = new long[FETCH_ROUNDS];
    int mostPacks = 0;
    int overlapped = 0;
    try (Repository cloneRepo = new FileRepositoryBuilder().setWorkTree(clone.toFile()).build()) {
      for (int i = 1; i <= FETCH_ROUNDS; i++) {
        String tip = repo.commitInProcess(
            "main", "many/file-" + (i % 10) + ".txt", "round " + i + "\n", "round " + i);
        List<CountDownLatch> heldDuringFetch = new ArrayList<>();
        heldRepacks.drainTo(heldDuringFetch);
        long start = System.nanoTime();
        git.runOk(clone, "fetch", "-q", "origin");
        fetchNanos[i - 1] = System.nanoTime() - start;
        overlapped += heldDuringFetch.size();
        heldDuringFetch.forEach(CountDownLatch::countDown);
        // Read in process: a round costs its commit and its fetch, little else.
        assertThat(cloneRepo.exactRef("refs/remotes/origin/main").getObjectId().name())
            .isEqualTo(tip);
        mostPacks = Math.max(mostPacks, packs(mirror).size());
      }
    }
    // Maintenance idle: release what is still held, then run once more in turn.
    CompletableFuture<Void> last = harness.proxy().maintainRepository(key("team/hot"), false)
        .orElseThrow();
    while (!last.isDone()) {
      CountDownLatch held = heldRepacks.poll(100, TimeUnit.MILLISECONDS);
      if (held != null) {
        held.countDown();
      }
    }
    last.get();
    assertThat(unreleased).hasValue(0);
    // One repack per 11 fetches or so (more than 10 packs), some runs shared by two fetches.
    assertThat(repacks.get()).isGreaterThanOrEqualTo(FETCH_ROUNDS / 15);
    assertThat(overlapped).isGreaterThanOrEqualTo(repacks.get() - 2);
    int packsAtEnd = packs(mirror).size();
    assertThat(packsAtEnd).isLessThanOrEqualTo(10);
    long size = size(mirror);
    git.runOk(mirror, "fsck", "--no-dangling");
    assertThat(harness.proxy().repositoryStatus(key("team/hot")).orElseThrow().sizeBytes())
        .isEqualTo(size);

    // A fresh mirror of the same history, made by a proxy on an empty cache root.
    harness.startProxy(b -> b.cacheRoot(tmp.resolve("fresh-cache")));
    Path fresh = harness.dir("fresh");
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/hot"), fresh.toString());
    git.runOk(fresh, "fsck", "--no-dangling");
    maintain("team/hot", false);
    long freshSize = size(mirrorDir("team/hot"));
    Arrays.sort(fetchNanos);
    System.out.printf(
        "%d fetches: client fetch median %d ms, slowest %d ms; %d repacks, each held through a"
            + " fetch; most packs after a fetch %d, at the end %d; %d bytes vs a fresh mirror's %d%n",
        FETCH_ROUNDS, fetchNanos[FETCH_ROUNDS / 2] / 1_000_000,
        fetchNanos[FETCH_ROUNDS - 1] / 1_000_000, repacks.get(), mostPacks, packsAtEnd, size,
        freshSize);
    assertThat(size).as("%d bytes vs a fresh mirror's %d", size, freshSize)
        .isLessThanOrEqualTo(freshSize * 3 / 2);
  }

  @Test
  void aCloneStreamingAPackSurvivesTheRepackThatDeletesIt() throws Exception {
    FakeClock clock = FakeClock.at(Instant.now());
    List<String> errors = new CopyOnWriteArrayList<>();
    harness.startProxy(
        b -> b.clock(clock).errorReporter((request, e) -> errors.add(RecordingOperationLogger.stackTrace(e))));
    UpstreamRepo repo = harness.newRepo("team/large");
    Random random = new Random(13);
    for (int i = 0; i < 4; i++) {
      byte[] noise = new byte[6 << 20];
      random.nextBytes(noise);
      repo.commit("main", "blob-" + i + ".txt", Base64.getMimeEncoder().encodeToString(noise),
          "large " + i);
    }
    String before = repo.resolve("main");
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/large"), harness.dir("warm").toString());
    maintain("team/large", false);
    Path mirror = mirrorDir("team/large");
    List<Path> oldPacks = packs(mirror);
    assertThat(oldPacks).hasSize(1);

    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (FaultInjectingProxy slowClient = FaultInjectingProxy.start(harness.proxyBaseUrl())) {
      slowClient.inject(new FaultInjectingProxy.Fault.Stall(1 << 20, stalled, release));
      String url =
          slowClient.baseUrl() + harness.proxyUrl("team/large").substring(harness.proxyBaseUrl().length());
      Path slowDir = harness.dir("slow");
      CompletableFuture<GitCli.Result> slowClone =
          CompletableFuture.supplyAsync(() -> git.run(tmp, "clone", "-q", url, slowDir.toString()));
      try {
        assertThat(stalled.await(60, TimeUnit.SECONDS)).isTrue();

        repo.commit("main", "small.txt", "small\n", "small");
        clock.advance(Duration.ofMinutes(5));
        harness.proxy().repository(key("team/large")).orElseThrow().fetchUpstream()
            .get(60, TimeUnit.SECONDS);
        maintain("team/large", true);
        // Repacked while the clone streams the old pack: the old pack stays until it is done.
        assertThat(packs(mirror)).hasSize(3).containsAll(oldPacks); // old, fetched, new
        assertThat(servedFetches()).isZero();
      } finally {
        release.countDown();
      }
      GitCli.Result result = slowClone.get(3, TimeUnit.MINUTES);
      assertThat(errors).isEmpty();
      assertThat(result.succeeded()).as(result.stderr()).isTrue();
      git.runOk(slowDir, "fsck", "--no-dangling");
      assertThat(git.runOk(slowDir, "rev-parse", "HEAD").stdout().strip()).isEqualTo(before);
    }
    // The clone's lease ended (its command is counted after), which queued the deletion.
    assertThat(harness.timerCount(1, "inbound.fetch.served-locally.ok")).isEqualTo(1);
    maintain("team/large", false);
    assertThat(oldPacks).allMatch(p -> !Files.exists(p));
    assertThat(packs(mirror)).hasSize(1);
    // Served from the new pack afterwards, fsck-clean.
    Path after = harness.dir("after");
    git.runOk(tmp, "clone", "-q", harness.proxyUrl("team/large"), after.toString());
    git.runOk(after, "fsck", "--no-dangling");
    git.runOk(mirror, "fsck", "--no-dangling");
  }

  private long servedFetches() {
    return harness.proxy().metricRegistry().getTimers().entrySet().stream()
        .filter(e -> e.getKey().startsWith(harness.proxy().metricName("inbound.fetch.served-locally")))
        .mapToLong(e -> e.getValue().getCount())
        .sum();
  }

  private void maintain(String name, boolean repack) throws Exception {
    harness.proxy().maintainRepository(key(name), repack).orElseThrow().get(3, TimeUnit.MINUTES);
  }

  private String key(String name) {
    return RepositoryPaths.key(URI.create(harness.directUrl(name)));
  }

  private Path mirrorDir(String name) {
    return harness.config().cacheRoot().resolve(key(name) + ".git");
  }

  private static void drain(ExecutorService executor) throws Exception {
    executor.submit(() -> {}).get(60, TimeUnit.SECONDS);
  }

  private static void await(CountDownLatch latch) {
    try {
      latch.await(2, TimeUnit.MINUTES);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static List<Path> packs(Path mirror) throws IOException {
    try (Stream<Path> files = Files.list(mirror.resolve("objects/pack"))) {
      return new ArrayList<>(files.filter(p -> p.toString().endsWith(".pack")).sorted().toList());
    }
  }

  static long size(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }).sum();
    }
  }
}
