package dev.goblet.examples.bench;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.protocol.Command;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.servlet.testing.JettyServer;
import dev.goblet.testing.GitCli;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A cold replica's first clone of the big repository: with its mirror restored from a snapshot in
 * the store (a directory on this machine's disk) versus fetched from the upstream, interleaved.
 * Wall time is the {@code git clone --bare} as the client sees it; proxy CPU is this JVM's process
 * CPU time over the clone (the proxy, plus the upstream's small in-process HTTP bridge; {@code git
 * http-backend} and the client are other processes). The clone is also measured a second time on
 * the restored replica, its mirror now in place: the floor no first clone can go below, and so the
 * best ratio a restore can reach in this run.
 */
final class SnapshotRestoreBench {
  private final GitCli git;
  private final Path work;
  private final String upstreamBase;

  SnapshotRestoreBench(GitCli git, Path work, String upstreamBase) {
    this.git = git;
    this.work = work;
    this.upstreamBase = upstreamBase;
  }

  /** A clone's cost: wall and process CPU nanoseconds. */
  private record Cost(long wallNanos, long cpuNanos) {}

  List<BenchmarkSuite.Row> run(int runs) throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(work.resolve("snapshot-store"));
    URI big = URI.create(upstreamBase + "/bench/big");
    try (GobletProxy publisher = GobletProxy.create(config(work.resolve("cache-publisher"))
        .snapshotStore(store).build())) {
      publisher.openRepository(big).fetchUpstream().get(30, TimeUnit.MINUTES);
      // A mirror in service has been repacked with a bitmap after its first fetch; publish that
      // state, not the bare fetched pack (without a bitmap every clone walks the whole history).
      publisher.maintainRepository(RepositoryPaths.key(big), false).orElseThrow()
          .get(30, TimeUnit.MINUTES);
      publisher.publishSnapshotsNow();
    }
    List<BenchmarkSuite.Row> rows = new ArrayList<>();
    rows.addAll(compare(runs, store, true, "a cold replica's first `git clone --bare` of the big"
        + " repository", url -> {
          Path clone = work.resolve("clones").resolve("cold");
          git.runOk(work, "clone", "--bare", "-q", url, clone.toString());
          BenchmarkSuite.deleteTree(clone);
        }));
    // The proxy's share alone: the same first request as a v2 fetch POST of main, its answer read
    // and dropped, so the client's index-pack (the same on both sides) is left out.
    String main = git.runOk(work, "ls-remote", big.toString(), "refs/heads/main").stdout()
        .substring(0, 40);
    byte[] fetch = new Command(Command.FETCH, List.of("agent=bench"),
        List.of("ofs-delta", "no-progress", "want " + main, "done")).encode();
    rows.addAll(compare(runs, store, false, "the proxy's share of it: a cold replica's first v2 fetch"
        + " request for main, answer read and dropped", url -> BenchmarkSuite.serveOnly(url, fetch)));
    return rows;
  }

  /** A first request to a cold replica, given the repository's URL through the replica. */
  private interface FirstRequest {
    void send(String url) throws Exception;
  }

  /**
   * @param floor whether to send the request a second time to the restored replica and add a row
   *     for it
   * @return wall and CPU rows of {@code request}, restored vs fetched, interleaved
   */
  private List<BenchmarkSuite.Row> compare(int runs, SnapshotStore store, boolean floor,
      String what, FirstRequest request) throws Exception {
    long[] restoredWall = new long[runs];
    long[] restoredCpu = new long[runs];
    long[] secondWall = new long[runs];
    long[] fetchedWall = new long[runs];
    long[] fetchedCpu = new long[runs];
    for (int i = 0; i < runs; i++) {
      List<Cost> restored = cold(config(work.resolve("cold-restore")).snapshotStore(store),
          request, floor ? 2 : 1);
      restoredWall[i] = restored.get(0).wallNanos();
      restoredCpu[i] = restored.get(0).cpuNanos();
      secondWall[i] = restored.get(restored.size() - 1).wallNanos();
      Cost fetched = cold(config(work.resolve("cold-fetch")), request, 1).get(0);
      fetchedWall[i] = fetched.wallNanos();
      fetchedCpu[i] = fetched.cpuNanos();
    }
    Duration rw = Samples.of(restoredWall).median();
    Duration fw = Samples.of(fetchedWall).median();
    Duration rc = Samples.of(restoredCpu).median();
    Duration fc = Samples.of(fetchedCpu).median();
    List<BenchmarkSuite.Row> rows = new ArrayList<>(List.of(
        new BenchmarkSuite.Row(what + ", wall time: mirror restored from the snapshot store;"
                + " fetched from the upstream (median of " + runs + ")",
            Samples.millis(rw) + "; " + Samples.millis(fw), "-", times(fw, rw), "restore >= 5x"),
        new BenchmarkSuite.Row("the same, proxy process CPU: restored; fetched",
            Samples.millis(rc) + "; " + Samples.millis(fc), "-", times(fc, rc), "restore >= 5x")));
    if (floor) {
      Duration sw = Samples.of(secondWall).median();
      rows.add(new BenchmarkSuite.Row("the floor: the restored replica's second clone, its mirror"
              + " in place, wall time; the ratio if a restore cost nothing (fetched / floor)",
          Samples.millis(sw), "-", times(fw, sw), "-"));
    }
    return rows;
  }

  private static String times(Duration slow, Duration fast) {
    return String.format(Locale.ROOT, "%.1fx", slow.toNanos() / (double) fast.toNanos());
  }

  private ServerConfig.Builder config(Path cacheRoot) {
    return ServerConfig.builder()
        .cacheRoot(cacheRoot)
        .allowedUpstreams(upstreamBase)
        .metricRegistry(new MetricRegistry());
  }

  /** @return the costs of {@code requests} consecutive requests to a new replica, the first cold */
  private List<Cost> cold(ServerConfig.Builder config, FirstRequest request, int requests)
      throws Exception {
    Path cacheRoot = config.build().cacheRoot();
    List<Cost> costs = new ArrayList<>();
    GobletProxy proxy = GobletProxy.create(config.build());
    try (JettyServer jetty = JettyServer.start(Map.of("/*", new GobletServlet(proxy)))) {
      String url = jetty.baseUrl() + "/" + upstreamBase.substring("http://".length())
          + "/bench/big";
      for (int i = 0; i < requests; i++) {
        long cpu = processCpuNanos();
        long start = System.nanoTime();
        request.send(url);
        costs.add(new Cost(System.nanoTime() - start, processCpuNanos() - cpu));
      }
    } finally {
      proxy.close();
    }
    BenchmarkSuite.deleteTree(cacheRoot);
    return costs;
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }
}
