package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.RepositoryStatus;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the eviction tests (disk budget, free-space floor) ask of a harness's proxy: fetch commands
 * served, maintenance run in turn, the mirrors it has. Not thread-safe.
 */
final class MirrorEvictionChecks {
  private static final String[] FETCH_TIMERS = {
    "inbound.fetch.served-locally.ok", "inbound.fetch.queried-upstream.ok"
  };

  private final ProxyHarness harness;

  MirrorEvictionChecks(ProxyHarness harness) {
    this.harness = harness;
  }

  /** @return the fetch commands the proxies of the harness have counted so far */
  long fetchCommands() throws InterruptedException {
    return harness.timerCount(0, FETCH_TIMERS);
  }

  /** Waits until the proxy has counted this many fetch commands: their leases are closed. */
  void awaitServed(long fetches) throws InterruptedException {
    assertThat(harness.timerCount(fetches, FETCH_TIMERS)).isGreaterThanOrEqualTo(fetches);
  }

  /**
   * Runs a maintenance of the repository in turn (it ends with the budget and floor checks), if it
   * has a mirror.
   *
   * @return whether it had one
   */
  boolean maintain(String name) throws Exception {
    Optional<CompletableFuture<Void>> run = harness.proxy().maintainRepository(key(name), false);
    if (run.isPresent()) {
      run.get().get(3, TimeUnit.MINUTES);
    }
    return run.isPresent();
  }

  /** @return the keys of the mirrors the proxy has, sorted */
  List<String> registeredKeys() throws Exception {
    return harness.proxy().repositoryStatuses().stream().map(RepositoryStatus::key).sorted()
        .toList();
  }

  RepositoryStatus status(String name) throws Exception {
    return harness.proxy().repositoryStatus(key(name)).orElseThrow();
  }

  /**
   * Makes upstream repositories {@code team/repo-0} .. {@code team/repo-<count-1>}, each one commit
   * of six MiB that do not compress: more than the sockets between proxy and client buffer, so a
   * stalled clone really holds its upload-pack open.
   *
   * @return them in order
   */
  List<UpstreamRepo> noiseRepositories(int count, long seed) {
    Random random = new Random(seed);
    List<UpstreamRepo> repos = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      UpstreamRepo repo = harness.newRepo("team/repo-" + i);
      byte[] noise = new byte[6 << 20];
      random.nextBytes(noise);
      repo.commit("main", "noise.txt", Base64.getMimeEncoder().encodeToString(noise), "noise");
      repos.add(repo);
    }
    return repos;
  }

  /**
   * @return the size of {@code team/repo-0}'s mirror, made by a proxy on a cache root of its own
   *     on the ordinary disk (left running: start the proxy under test next)
   */
  long probeMirrorSize(Path tmp) throws Exception {
    harness.startProxy(b -> b.cacheRoot(tmp.resolve("probe")));
    harness.git().runOk(
        tmp, "clone", "-q", harness.proxyUrl("team/repo-0"), harness.dir("probe").toString());
    maintain("team/repo-0");
    return status("team/repo-0").sizeBytes();
  }

  /** Work done while a slow client's clone is stalled. */
  @FunctionalInterface
  interface WhileStalled {
    void run() throws Exception;
  }

  /**
   * Clones {@code name} through a client that stalls after 256 KiB (a stall shorter than the
   * container's 30 s idle timeout), so its upload-pack holds the mirror's lease; runs {@code
   * during} meanwhile; then lets the clone finish, which must succeed, fsck-clean, at {@code
   * head}.
   */
  void whileStalledCloning(String name, Path slowDir, String head, WhileStalled during)
      throws Exception {
    GitCli git = harness.git();
    CountDownLatch stalled = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (FaultInjectingProxy slowClient = FaultInjectingProxy.start(harness.proxyBaseUrl())) {
      slowClient.inject(new FaultInjectingProxy.Fault.Stall(256 << 10, stalled, release));
      String url = slowClient.baseUrl()
          + harness.proxyUrl(name).substring(harness.proxyBaseUrl().length());
      CompletableFuture<GitCli.Result> slowClone = CompletableFuture.supplyAsync(
          () -> git.run(slowDir.getParent(), "clone", "-q", url, slowDir.toString()));
      try {
        assertThat(stalled.await(60, TimeUnit.SECONDS)).isTrue();
        during.run();
      } finally {
        release.countDown();
      }
      GitCli.Result result = slowClone.get(3, TimeUnit.MINUTES);
      assertThat(result.succeeded()).as(result.stderr()).isTrue();
    }
    git.runOk(slowDir, "fsck", "--no-dangling");
    assertThat(git.runOk(slowDir, "rev-parse", "HEAD").stdout().strip()).isEqualTo(head);
  }

  /** @return the cache key of the harness's upstream repository {@code name} */
  String key(String name) {
    return RepositoryPaths.key(URI.create(harness.directUrl(name)));
  }
}
