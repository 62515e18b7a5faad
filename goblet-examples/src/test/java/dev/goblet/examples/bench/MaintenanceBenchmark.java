package dev.goblet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.OperationLogger;
import dev.goblet.io.FileTrees;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mirror-maintenance benchmark (not part of the test suite; its name matches no test pattern):
 * {@code -Dgoblet.bench.rounds} fetches (default 300) of one repository through the proxy with
 * default settings and the real clock, each after a new upstream commit, maintenance running
 * concurrently as in production. Reports the pack count and the mirror's size on disk along the
 * way, the slowest and median client fetch, and the final size against a fresh mirror of the same
 * history. Writes {@code goblet-examples/target/benchmarks-maintenance.md}. See BENCHMARKS.md.
 */
class MaintenanceBenchmark {
  private static final int REPORT_EVERY = 25;

  @TempDir Path tmp;

  @Test
  void run() throws Exception {
    int rounds = Integer.getInteger("goblet.bench.rounds", 300);
    StringBuilder report = new StringBuilder();
    try (ProxyHarness harness = ProxyHarness.create(tmp)) {
      GitCli git = harness.git();
      MaintenanceTimes times = new MaintenanceTimes();
      harness.startProxy(b -> b.operationLogger(times));
      UpstreamRepo repo = harness.newRepo("bench/hot");
      byte[] noise = new byte[2 << 20];
      new Random(300).nextBytes(noise);
      repo.commit("main", "noise.txt", Base64.getMimeEncoder().encodeToString(noise), "noise");
      repo.commitMany("main", 500, 10);
      String key = RepositoryPaths.key(URI.create(harness.directUrl("bench/hot")));
      Path clone = harness.dir("hot");
      git.runOk(tmp, "clone", "-q", harness.proxyUrl("bench/hot"), clone.toString());
      Path mirror = harness.config().cacheRoot().resolve(key + ".git");

      report.append("| Fetch | Packs | Mirror size |\n|---|---|---|\n");
      long[] fetchNanos = new long[rounds];
      int mostPacks = 0;
      long largest = 0;
      for (int i = 1; i <= rounds; i++) {
        repo.commitInProcess(
            "main", "many/file-" + (i % 10) + ".txt", "round " + i + "\n", "round " + i);
        long start = System.nanoTime();
        git.runOk(clone, "fetch", "-q", "origin");
        fetchNanos[i - 1] = System.nanoTime() - start;
        int packs = packs(mirror);
        long size = FileTrees.sizeOf(mirror);
        mostPacks = Math.max(mostPacks, packs);
        largest = Math.max(largest, size);
        if (i == 1 || i % REPORT_EVERY == 0) {
          report.append("| ").append(i).append(" | ").append(packs).append(" | ")
              .append(mib(size)).append(" |\n");
        }
      }
      harness.proxy().maintainRepository(key, false).orElseThrow().get(5, TimeUnit.MINUTES);
      int finalPacks = packs(mirror);
      long finalSize = FileTrees.sizeOf(mirror);
      git.runOk(mirror, "fsck", "--no-dangling");

      harness.startProxy(b -> b.cacheRoot(tmp.resolve("fresh-cache")));
      git.runOk(tmp, "clone", "-q", harness.proxyUrl("bench/hot"), harness.dir("fresh").toString());
      harness.proxy().maintainRepository(key, false).orElseThrow().get(5, TimeUnit.MINUTES);
      long freshSize = FileTrees.sizeOf(harness.config().cacheRoot().resolve(key + ".git"));

      Samples fetches = Samples.of(fetchNanos);
      report.append('\n')
          .append("- rounds: ").append(rounds).append('\n')
          .append("- most packs seen after a fetch: ").append(mostPacks).append('\n')
          .append("- largest mirror seen after a fetch: ").append(mib(largest)).append('\n')
          .append("- at the end, maintenance idle: ").append(finalPacks).append(" packs, ")
          .append(mib(finalSize)).append("; a fresh mirror of the same history: ")
          .append(mib(freshSize)).append(String.format(" (ratio %.2f)", (double) finalSize / freshSize))
          .append('\n')
          .append("- client `git fetch` (wall time): median ")
          .append(Samples.millis(fetches.median())).append(", p90 ")
          .append(Samples.millis(fetches.percentile(90))).append(", slowest ")
          .append(Samples.millis(fetches.percentile(100))).append('\n')
          .append("- maintenance runs that rewrote packs: ").append(times.report()).append('\n');
      assertThat(finalPacks).isLessThanOrEqualTo(10);
    }
    Path target = Path.of("target");
    Files.writeString(target.resolve("benchmarks-maintenance.md"), report.toString());
    System.out.println(report);
  }

  /**
   * Sums the wall and CPU time of the maintenance thread's runs ({@code maintain} operations),
   * full repacks and combinations of small packs apart (told by their first progress line).
   */
  private static final class MaintenanceTimes implements OperationLogger {
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<String, long[]> totals = new TreeMap<>(); // kind -> runs, wall ns, CPU ns

    @Override
    public Operation start(String name, URI upstream) {
      if (!name.equals("maintain")) {
        return Operation.NONE;
      }
      long wall = System.nanoTime();
      long cpu = threads.getCurrentThreadCpuTime();
      String[] kind = {"other"};
      return new Operation() {
        @Override
        public void progress(String message) {
          if (kind[0].equals("other")) {
            kind[0] = message.startsWith("combining") ? "combine" : "full repack";
          }
        }

        @Override
        public void done(Throwable error) {
          long[] sum = new long[] {1, System.nanoTime() - wall,
              threads.getCurrentThreadCpuTime() - cpu};
          synchronized (totals) {
            totals.merge(kind[0], sum, (a, b) -> new long[] {a[0] + b[0], a[1] + b[1], a[2] + b[2]});
          }
        }
      };
    }

    String report() {
      StringBuilder out = new StringBuilder();
      synchronized (totals) {
        totals.forEach((kind, sum) -> out.append(out.isEmpty() ? "" : "; ").append(sum[0])
            .append(' ').append(kind).append(sum[0] == 1 ? "" : "s").append(", ")
            .append(sum[1] / 1_000_000).append(" ms wall, ").append(sum[2] / 1_000_000)
            .append(" ms CPU"));
      }
      return out.isEmpty() ? "none" : out.toString();
    }
  }

  private static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / (1024.0 * 1024.0));
  }

  private static int packs(Path mirror) throws IOException {
    try (Stream<Path> files = Files.list(mirror.resolve("objects/pack"))) {
      return (int) files.filter(p -> p.toString().endsWith(".pack")).count();
    }
  }
}
