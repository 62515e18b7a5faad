package dev.goblet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.cache.LsRefsArgs;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.protocol.Command;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.servlet.testing.JettyServer;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The ls-refs hot path benchmark (not part of the test suite; its name matches no test pattern),
 * on the 50,000-ref synthetic repository of {@link BenchmarkSuite} (built into {@code
 * target/bench-data/full} if missing, shared with {@link Benchmarks}):
 *
 * <ol>
 *   <li>{@code git fetch <remote> main} with nothing new, in one client repository with two
 *       remotes, the proxy (upstream on: every ls-refs is relayed and remembered) and the upstream
 *       directly, interleaved, {@code -Dgoblet.bench.fetches} times each (default 60): the
 *       proxy's overhead per fetch, and the cache files and bytes written behind it;
 *   <li>the same proxy's and upstream's server side alone: the ls-refs request of that fetch,
 *       POSTed over HTTP, five times as many runs;
 *   <li>{@code -Dgoblet.bench.listings} (default 1,000; 0 skips this part) listings of that repository's 50,000 refs,
 *       each its own strings as an upstream answer would be, put into an {@link LsRefsCache} with
 *       a budget of {@code -Dgoblet.bench.budgetMiB} (default 256) MiB: the heap the cache retains,
 *       measured after a full GC, against the budget, and against the weigher's estimate.
 * </ol>
 *
 * Writes {@code goblet-examples/target/benchmarks-ls-refs.md}. See BENCHMARKS.md.
 */
class LsRefsHotPathBenchmark {
  private static final int REFS = 50_000;
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path tmp;

  @Test
  void run() throws Exception {
    int fetches = Integer.getInteger("goblet.bench.fetches", 60);
    int listings = Integer.getInteger("goblet.bench.listings", 1_000);
    long budget = Long.getLong("goblet.bench.budgetMiB", 256) << 20;
    GitCli git = GitCli.create(Files.createDirectories(tmp.resolve("home")))
        .withTimeout(Duration.ofMinutes(20));
    Path data = Files.createDirectories(Path.of("target", "bench-data", "full")).toAbsolutePath();
    Path refs = new SyntheticRepos(git, data)
        .manyRefs("refs", new SyntheticRepos.Shape(0, 0, 0, 0, 0, REFS));
    Path upstreamRoot = Files.createDirectories(tmp.resolve("upstream/bench"));
    Files.createSymbolicLink(upstreamRoot.resolve("refs.git"), refs);
    StringBuilder report = new StringBuilder();
    List<String> lines;
    try (GitUpstreamServer upstream = GitUpstreamServer.start(tmp.resolve("upstream"))) {
      URI repo = URI.create(upstream.baseUrl() + "/bench/refs");
      GobletProxy proxy = GobletProxy.create(ServerConfig.builder()
          .cacheRoot(tmp.resolve("cache"))
          .allowedUpstreams(upstream.baseUrl())
          .metricRegistry(new MetricRegistry())
          .build());
      try (JettyServer jetty = JettyServer.start(Map.of("/*", new GobletServlet(proxy)))) {
        String viaProxy = jetty.baseUrl() + "/" + upstream.baseUrl().substring(7) + "/bench/refs";
        report.append(fetchOverhead(git, tmp.resolve("client"), viaProxy, repo.toString(),
            fetches, proxy));
        report.append(lsRefsOverhead(viaProxy, repo.toString(), fetches * 5, proxy));
        lines = proxy.lsRefsCache().get(RepositoryPaths.key(repo)).orElseThrow()
            .listings().stream()
            .filter(listing -> listing.args().isFull())
            .findFirst().orElseThrow().lines();
      } finally {
        proxy.close();
      }
    }
    if (listings > 0) {
      report.append(heap(lines, listings, budget));
    }
    Files.writeString(Path.of("target", "benchmarks-ls-refs.md"), report.toString());
    System.out.println(report);
  }

  private static String fetchOverhead(
      GitCli git, Path client, String viaProxy, String direct, int runs, GobletProxy proxy)
      throws Exception {
    Files.createDirectories(client);
    try {
      git.runOk(client, "init", "-q");
      git.runOk(client, "remote", "add", "proxy", viaProxy);
      git.runOk(client, "remote", "add", "direct", direct);
      git.runOk(client, "fetch", "-q", "proxy", "main"); // the mirror, the listings, the objects
      git.runOk(client, "fetch", "-q", "direct", "main");
      for (int i = 0; i < 5; i++) { // warm-up, both sides
        git.runOk(client, "fetch", "-q", "proxy", "main");
        git.runOk(client, "fetch", "-q", "direct", "main");
      }
      Writes before = Writes.of(proxy.lsRefsCache());
      long[] proxied = new long[runs];
      long[] native_ = new long[runs];
      long[] overhead = new long[runs];
      for (int i = 0; i < runs; i++) { // interleaved: the machine's noise hits both
        proxied[i] = timed(() -> git.runOk(client, "fetch", "-q", "proxy", "main"));
        native_[i] = timed(() -> git.runOk(client, "fetch", "-q", "direct", "main"));
        overhead[i] = proxied[i] - native_[i];
      }
      return table("`git fetch <remote> main`, nothing new, " + REFS + " refs, " + runs
              + " interleaved runs each", proxied, native_, overhead)
          + before.since(proxy.lsRefsCache(), runs, "proxied fetches");
    } finally {
      BenchmarkSuite.deleteTree(client);
    }
  }

  /**
   * The server side alone: the ls-refs request {@code git fetch origin main} sends (its
   * prefixes), POSTed over HTTP, the answer read whole; no git process, so less noise.
   */
  private static String lsRefsOverhead(
      String viaProxy, String direct, int runs, GobletProxy proxy) throws Exception {
    byte[] body = new Command(Command.LS_REFS, List.of("agent=git/2.39.5"),
        BenchmarkSuite.FETCH_MAIN_PREFIXES).encode();
    for (int i = 0; i < 20; i++) {
      post(viaProxy, body);
      post(direct, body);
    }
    Writes before = Writes.of(proxy.lsRefsCache());
    long[] proxied = new long[runs];
    long[] native_ = new long[runs];
    long[] overhead = new long[runs];
    for (int i = 0; i < runs; i++) {
      proxied[i] = timed(() -> post(viaProxy, body));
      native_[i] = timed(() -> post(direct, body));
      overhead[i] = proxied[i] - native_[i];
    }
    return table("one ls-refs POST with `git fetch origin main`'s prefixes, answer read whole, "
            + REFS + " refs, " + runs + " interleaved runs each",
        proxied, native_, overhead)
        + before.since(proxy.lsRefsCache(), runs, "proxied requests");
  }

  /** The cache's file-write counters at one moment. */
  private record Writes(long files, long bytes) {
    static Writes of(LsRefsCache cache) {
      cache.flush(); // what is still behind is written now, and counted where it belongs
      return new Writes(cache.fileWrites(), cache.bytesWritten());
    }

    /** @return a report line of the files and bytes written since this moment */
    String since(LsRefsCache cache, int rounds, String what) {
      Writes now = of(cache);
      long bytes = now.bytes() - bytes();
      return "- cache files written during the " + rounds + " " + what + ": "
          + (now.files() - files()) + ", " + bytes + " bytes in all, "
          + String.format("%.0f", (double) bytes / rounds) + " bytes per round\n\n";
    }
  }

  private static void post(String repositoryUrl, byte[] body) throws Exception {
    HttpResponse<byte[]> response = HTTP.send(
        BenchmarkSuite.uploadPackRequest(repositoryUrl, body),
        HttpResponse.BodyHandlers.ofByteArray());
    String answer = new String(response.body(), StandardCharsets.ISO_8859_1);
    if (response.statusCode() != 200 || !answer.contains("refs/heads/main")) {
      throw new IllegalStateException("ls-refs failed: " + response.statusCode() + " " + answer);
    }
  }

  private static String table(String title, long[] proxied, long[] native_, long[] overhead) {
    Samples p = Samples.of(proxied);
    Samples d = Samples.of(native_);
    Samples o = Samples.of(overhead);
    return "## " + title + "\n\n"
        + "| | median | p90 |\n|---|---|---|\n"
        + "| proxy (upstream on: ls-refs relayed and remembered) | "
        + Samples.millis(p.median()) + " | " + Samples.millis(p.percentile(90)) + " |\n"
        + "| direct (git http-backend) | "
        + Samples.millis(d.median()) + " | " + Samples.millis(d.percentile(90)) + " |\n"
        + "| overhead, proxy minus direct of the same round | "
        + Samples.millis(o.median()) + " | " + Samples.millis(o.percentile(90)) + " |\n"
        + "| overhead, difference of the medians | "
        + Samples.millis(p.median().minus(d.median())) + " | - |\n\n";
  }

  private static long timed(Samples.ThrowingRunnable action) throws Exception {
    long start = System.nanoTime();
    action.run();
    return System.nanoTime() - start;
  }

  private static String heap(List<String> lines, int listings, long budget) throws Exception {
    long before = usedAfterGc();
    // The writer drops its tasks: this measures memory; a real proxy writes the files behind.
    LsRefsCache cache =
        new LsRefsCache(Files.createTempDirectory("ls-refs-heap"), Clock.systemUTC(), 100_000,
            budget, task -> {});
    LsRefsArgs args = LsRefsArgs.parse(List.of("peel", "symrefs"));
    long start = System.nanoTime();
    for (int i = 0; i < listings; i++) {
      List<String> answer = new ArrayList<>(lines.size());
      for (String line : lines) {
        answer.add(new String(line.toCharArray())); // each answer its own strings
      }
      cache.put("bench/repo-" + i, URI.create("http://127.0.0.1/bench/repo-" + i), args, answer);
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    long after = usedAfterGc();
    long retained = after - before;
    long estimate = cache.retainedBytes();
    int kept = cache.size();
    assertThat(retained).isLessThanOrEqualTo(budget);
    String out = "## Heap of cached " + REFS + "-ref listings, budget " + mib(budget) + "\n\n"
        + "- listings put: " + listings + " (one per repository, " + took.toSeconds() + " s)\n"
        + "- listings kept: " + kept + " (the least recently used evicted beyond the budget)\n"
        + "- heap retained, measured after a full GC: " + mib(retained)
        + String.format(" (%.1f MiB per listing)", retained / 1048576.0 / Math.max(1, kept)) + "\n"
        + "- the weigher's estimate of it: " + mib(estimate)
        + String.format(" (measured / estimated = %.2f)", (double) retained / estimate) + "\n"
        + "- within the budget: " + (retained <= budget) + "\n";
    cache.invalidateAll();
    return out;
  }

  private static long usedAfterGc() throws InterruptedException {
    var memory = ManagementFactory.getMemoryMXBean();
    long used = Long.MAX_VALUE;
    for (int i = 0; i < 5; i++) { // until a GC frees nothing more
      memory.gc();
      long now = memory.getHeapMemoryUsage().getUsed();
      if (now >= used) {
        break;
      }
      used = now;
    }
    return used;
  }

  private static String mib(long bytes) {
    return String.format("%.1f MiB", bytes / 1048576.0);
  }
}
