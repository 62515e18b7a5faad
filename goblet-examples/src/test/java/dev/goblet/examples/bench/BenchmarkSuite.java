package dev.goblet.examples.bench;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.protocol.Command;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.servlet.testing.JettyServer;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.MemoryExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Measures the proxy against direct serving by native {@code git http-backend}, side by side in one
 * run: ls-refs from the cache (in process and over HTTP), warm clones, a cold burst, an upstream
 * outage, and memory under concurrent clones. Produces a Markdown table.
 */
final class BenchmarkSuite {
  static final List<String> CLONE_PREFIXES =
      List.of("peel", "symrefs", "ref-prefix HEAD", "ref-prefix refs/heads/", "ref-prefix refs/tags/");
  static final List<String> FETCH_MAIN_PREFIXES =
      List.of("peel", "symrefs", "ref-prefix main", "ref-prefix refs/main",
          "ref-prefix refs/tags/main", "ref-prefix refs/heads/main", "ref-prefix refs/remotes/main",
          "ref-prefix refs/remotes/main/HEAD", "ref-prefix refs/tags/");

  /** The sizes of one run. */
  record Scale(
      String name,
      SyntheticRepos.Shape history,
      SyntheticRepos.Shape refs,
      int lsRefsRuns,
      int cloneRuns,
      int burst,
      int concurrentClones) {
    static Scale named(String name) {
      return switch (name) {
        case "full" ->
            new Scale("full", new SyntheticRepos.Shape(20_000, 3_000, 8_192, 3, 1_024, 0),
                new SyntheticRepos.Shape(0, 0, 0, 0, 0, 50_000), 5_000, 5, 20, 16);
        case "medium" -> // the full scale's shape at a tenth of its history, for a loaded machine
            new Scale("medium", new SyntheticRepos.Shape(2_000, 1_000, 8_192, 3, 1_024, 0),
                new SyntheticRepos.Shape(0, 0, 0, 0, 0, 5_000), 1_000, 3, 10, 8);
        case "smoke" ->
            new Scale("smoke", new SyntheticRepos.Shape(60, 20, 512, 2, 256, 0),
                new SyntheticRepos.Shape(0, 0, 0, 0, 0, 500), 200, 2, 4, 3);
        default ->
            throw new IllegalArgumentException("unknown scale " + name + ": full, medium or smoke");
      };
    }
  }

  /** One line of the results table. */
  record Row(String benchmark, String proxy, String direct, String ratio, String goal) {}

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Scale scale;
  private final Path work;
  private final Path data;
  private final GitCli git;
  private final List<Row> rows = new ArrayList<>();
  private GitUpstreamServer upstream;

  BenchmarkSuite(Scale scale, Path work, Path data) throws IOException {
    this.scale = scale;
    this.work = work;
    this.data = Files.createDirectories(data).toAbsolutePath();
    this.git = GitCli.create(Files.createDirectories(work.resolve("home")))
        .withTimeout(Duration.ofMinutes(20));
  }

  List<Row> run() throws Exception {
    SyntheticRepos repos = new SyntheticRepos(git, data);
    Path big = repos.history("big", scale.history());
    Path refs = repos.manyRefs("refs", scale.refs());
    Path upstreamRoot = Files.createDirectories(work.resolve("upstream/bench"));
    Files.createSymbolicLink(upstreamRoot.resolve("big.git"), big);
    Files.createSymbolicLink(upstreamRoot.resolve("refs.git"), refs);
    upstream = GitUpstreamServer.start(work.resolve("upstream"));
    try (Proxy warm = Proxy.start(config(work.resolve("cache-warm"), b -> b))) {
      lsRefsInProcess(warm);
      lsRemoteOverHttp(warm);
      warmClone(warm);
      memory(warm, scale.concurrentClones());
    }
    // The same load with no bound on concurrent pack generation, for comparison.
    try (Proxy unbounded = Proxy.start(config(work.resolve("cache-warm"),
        b -> b.maxConcurrentPackGenerations(scale.concurrentClones())))) {
      memory(unbounded, scale.concurrentClones());
    }
    ciBurst(List.of(), "full clone");
    ciBurst(List.of("--depth", "50", "--single-branch"), "`--depth 50 --single-branch`");
    coldBurst();
    outage();
    rows.addAll(new SnapshotRestoreBench(git, work, upstream.baseUrl())
        .run(Math.min(3, scale.cloneRuns())));
    upstream.close();
    return rows;
  }

  private ServerConfig.Builder config(Path cacheRoot, UnaryOperator<ServerConfig.Builder> custom) {
    return custom.apply(
        ServerConfig.builder()
            .cacheRoot(cacheRoot)
            .allowedUpstreams(upstream.baseUrl())
            .metricRegistry(new MetricRegistry()));
  }

  private String host() {
    return upstream.baseUrl().substring("http://".length());
  }

  private void lsRefsInProcess(Proxy warm) throws Exception {
    URI refsUpstream = URI.create(upstream.baseUrl() + "/bench/refs");
    warm.proxy().openRepository(refsUpstream).fetchUpstream().get(30, TimeUnit.MINUTES);
    String path = "/" + host() + "/bench/refs/git-upload-pack";
    for (List<String> args : List.of(CLONE_PREFIXES, FETCH_MAIN_PREFIXES, List.of("peel", "symrefs"))) {
      lsRefs(warm.proxy(), path, args); // online: relayed and remembered
    }
    warm.proxy().setUpstreamEnabled(false);
    try {
      for (var entry : Map.of("clone", CLONE_PREFIXES, "fetch origin main", FETCH_MAIN_PREFIXES)
          .entrySet()) {
        Samples.time(Math.max(100, scale.lsRefsRuns() / 5), () -> lsRefs(warm.proxy(), path,
            entry.getValue()));
        Samples s = Samples.time(scale.lsRefsRuns(), () -> lsRefs(warm.proxy(), path,
            entry.getValue()));
        rows.add(new Row(
            "ls-refs from cache, in process, " + scale.refs().refs() + " refs, `" + entry.getKey()
                + "` prefixes (p50 / p99 of " + s.count() + ")",
            Samples.millis(s.median()) + " / " + Samples.millis(s.percentile(99)), "-", "-",
            "p50 <= 1 ms, p99 <= 5 ms"));
      }
    } finally {
      warm.proxy().setUpstreamEnabled(true);
    }
  }

  private static void lsRefs(GobletProxy proxy, String path, List<String> args) throws IOException {
    byte[] body = new Command(Command.LS_REFS, List.of("agent=bench"), args).encode();
    MemoryExchange exchange =
        new MemoryExchange("POST", path, "", body)
            .header("Git-Protocol", "version=2")
            .header("Content-Type", "application/x-git-upload-pack-request");
    proxy.handle(exchange.request(), exchange.response());
    String answer = new String(exchange.responseBody(), StandardCharsets.ISO_8859_1);
    if (exchange.status() != 200 || answer.contains("ERR ")) {
      throw new IllegalStateException("ls-refs failed: " + answer);
    }
  }

  private void lsRemoteOverHttp(Proxy warm) throws Exception {
    String viaProxy = warm.url(host() + "/bench/refs");
    String direct = upstream.baseUrl() + "/bench/refs";
    git.runOk(work, "ls-remote", viaProxy);
    warm.proxy().setUpstreamEnabled(false);
    try {
      Samples proxied = Samples.time(10, () -> git.runOk(work, "ls-remote", viaProxy));
      Samples native_ = Samples.time(10, () -> git.runOk(work, "ls-remote", direct));
      rows.add(ratioRow("`git ls-remote`, " + scale.refs().refs() + " refs, from cache (median of 10)",
          proxied.median(), native_.median(), "-"));
    } finally {
      warm.proxy().setUpstreamEnabled(true);
    }
  }

  private void warmClone(Proxy warm) throws Exception {
    String viaProxy = warm.url(host() + "/bench/big");
    String direct = upstream.baseUrl() + "/bench/big";
    clone(viaProxy, "prime"); // the mirror fetches and repacks once
    long[] proxied = new long[scale.cloneRuns()];
    long[] native_ = new long[scale.cloneRuns()];
    for (int i = 0; i < scale.cloneRuns(); i++) { // interleaved: the machine's noise hits both
      proxied[i] = clone(viaProxy, "p" + i);
      native_[i] = clone(direct, "d" + i);
    }
    rows.add(ratioRow("warm `git clone --bare` of " + sizeOf(data.resolve("big.git"))
            + " (median of " + scale.cloneRuns() + ")",
        Samples.of(proxied).median(), Samples.of(native_).median(), "ratio <= 1.0"));
    // The same clones with ls-refs answered from the cache (upstream off): the proxy's cost
    // without the round trip to the upstream that it makes on every online ls-refs.
    warm.proxy().setUpstreamEnabled(false);
    try {
      long[] cached = new long[scale.cloneRuns()];
      long[] nativeAgain = new long[scale.cloneRuns()];
      for (int i = 0; i < scale.cloneRuns(); i++) {
        cached[i] = clone(viaProxy, "c" + i);
        nativeAgain[i] = clone(direct, "n" + i);
      }
      rows.add(ratioRow("the same warm clone with ls-refs from the cache (upstream switched off)",
          Samples.of(cached).median(), Samples.of(nativeAgain).median(), "-"));
    } finally {
      warm.proxy().setUpstreamEnabled(true);
    }
    // The server's share: the same full-clone fetch request, its answer read and dropped.
    byte[] fetch =
        new Command(Command.FETCH, List.of("agent=bench"),
                List.of("ofs-delta", "no-progress", "want " + git.runOk(data.resolve("big.git"),
                    "rev-parse", "main").stdout().trim(), "done"))
            .encode();
    long[] proxiedServe = new long[scale.cloneRuns()];
    long[] nativeServe = new long[scale.cloneRuns()];
    for (int i = 0; i < scale.cloneRuns(); i++) {
      proxiedServe[i] = serveOnly(viaProxy, fetch);
      nativeServe[i] = serveOnly(direct, fetch);
    }
    rows.add(ratioRow("the server's share of that clone: one v2 fetch request, answer read and"
            + " dropped (median of " + scale.cloneRuns() + ")",
        Samples.of(proxiedServe).median(), Samples.of(nativeServe).median(), "-"));
  }

  /** @return a protocol v2 {@code git-upload-pack} POST of {@code body} to the repository */
  static HttpRequest uploadPackRequest(String repositoryUrl, byte[] body) {
    return HttpRequest.newBuilder(URI.create(repositoryUrl + "/git-upload-pack"))
        .header("Git-Protocol", "version=2")
        .header("Content-Type", "application/x-git-upload-pack-request")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
  }

  /** @return nanoseconds to POST {@code fetch} and read its answer (at least 1 KiB) to the end */
  static long serveOnly(String repositoryUrl, byte[] fetch) throws Exception {
    HttpRequest request = uploadPackRequest(repositoryUrl, fetch);
    long start = System.nanoTime();
    try (InputStream body =
        HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream()).body()) {
      if (body.transferTo(OutputStream.nullOutputStream()) < 1024) {
        throw new IllegalStateException("no pack from " + repositoryUrl);
      }
    }
    return System.nanoTime() - start;
  }

  private long clone(String url, String name) throws IOException {
    Path dir = work.resolve("clones").resolve(name);
    long start = System.nanoTime();
    git.runOk(work, "clone", "--bare", "-q", url, dir.toString());
    long nanos = System.nanoTime() - start;
    deleteTree(dir);
    return nanos;
  }

  /**
   * The CI-burst: {@code scale.burst()} identical clones at once against a warm mirror, with the
   * pack cache on and off in turn (each on a fresh proxy over the same cache root): the process's
   * CPU seconds per clone (the proxy and Jetty; git clients are other processes) and wall time.
   */
  private void ciBurst(List<String> cloneOptions, String kind) throws Exception {
    long[] cpu = new long[2];
    long[] wall = new long[2];
    List<String> failures = new ArrayList<>();
    for (int cache = 0; cache < 2; cache++) {
      boolean enabled = cache == 0;
      try (Proxy proxy = Proxy.start(config(work.resolve("cache-warm"),
          b -> b.packCacheEnabled(enabled)))) {
        String url = proxy.url(host() + "/bench/big");
        concurrentClones(url, 1, "ci-prime", cloneOptions); // the mirror is current
        long cpuStart = processCpuNanos();
        long start = System.nanoTime();
        failures.addAll(concurrentClones(url, scale.burst(), "ci", cloneOptions));
        wall[cache] = System.nanoTime() - start;
        cpu[cache] = processCpuNanos() - cpuStart;
      }
    }
    String clones = scale.burst() + " concurrent identical clones (" + kind + ")";
    String fail = failures.isEmpty() ? "" : "; FAILURES " + failures;
    rows.add(new Row(
        "CI burst, " + clones + ": proxy process CPU s per clone; Proxy = pack cache on, Direct ="
            + " pack cache off" + fail,
        String.format("%.3f", cpu[0] / 1e9 / scale.burst()),
        String.format("%.3f", cpu[1] / 1e9 / scale.burst()),
        String.format("%.2f", (double) cpu[0] / cpu[1]),
        "ratio <= 0.1 for the shallow burst"));
    rows.add(ratioRow("CI burst, " + clones + ": wall time; Proxy = pack cache on, Direct = off",
        Duration.ofNanos(wall[0]), Duration.ofNanos(wall[1]), "ratio <= 1.0"));
  }

  private static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private void coldBurst() throws Exception {
    long fetchesBefore = upstream.fetchCount();
    try (Proxy cold = Proxy.start(config(work.resolve("cache-cold"), b -> b))) {
      String url = cold.url(host() + "/bench/big");
      long start = System.nanoTime();
      List<String> failures = concurrentClones(url, scale.burst(), "burst");
      Duration wall = Duration.ofNanos(System.nanoTime() - start);
      long started = cold.proxy().metricRegistry()
          .counter(cold.proxy().metricName("upstream-fetches.started")).getCount();
      rows.add(new Row(
          scale.burst() + " concurrent cold clones: wall time; upstream fetches started (fetch"
              + " requests seen upstream)" + (failures.isEmpty() ? "" : "; FAILURES " + failures),
          Samples.millis(wall) + "; " + started + " (" + (upstream.fetchCount() - fetchesBefore)
              + ")", "-", "-", "upstream fetches <= 2"));
    }
  }

  private void outage() throws Exception {
    try (Proxy proxy = Proxy.start(config(work.resolve("cache-outage"),
        b -> b.upstreamTimeout(Duration.ofSeconds(2))))) {
      String url = proxy.url(host() + "/bench/refs");
      git.runOk(work, "ls-remote", url); // warm the cache
      proxy.proxy().openRepository(URI.create(upstream.baseUrl() + "/bench/refs")).fetchUpstream()
          .get(30, TimeUnit.MINUTES); // and the mirror
      upstream.hang(true);
      try {
        Samples first = Samples.time(1, () -> git.runOk(work, "ls-remote", url));
        Samples steady = Samples.time(10, () -> git.runOk(work, "ls-remote", url));
        rows.add(new Row(
            "`git ls-remote` with the upstream hanging (timeout 2 s): first request; then median of"
                + " 10",
            Samples.millis(first.median()) + "; " + Samples.millis(steady.median()), "-", "-",
            "first <= timeout; then no wait"));
      } finally {
        upstream.hang(false);
      }
    }
  }

  private void memory(Proxy warm, int clients) throws Exception {
    String url = warm.url(host() + "/bench/big");
    System.gc();
    List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(pool -> pool.getType() == MemoryType.HEAP).toList();
    heap.forEach(MemoryPoolMXBean::resetPeakUsage);
    resetPeakRss();
    long start = System.nanoTime();
    List<String> failures = concurrentClones(url, clients, "memory");
    Duration wall = Duration.ofNanos(System.nanoTime() - start);
    long peakHeap = heap.stream().mapToLong(pool -> pool.getPeakUsage().getUsed()).sum();
    rows.add(new Row(
        clients + " concurrent warm clones: wall time; peak heap; peak RSS (max heap "
            + mib(Runtime.getRuntime().maxMemory()) + ", "
            + warm.proxy().config().maxConcurrentPackGenerations() + " pack generations at once)"
            + (failures.isEmpty() ? "" : "; FAILURES " + failures),
        Samples.millis(wall) + "; " + mib(peakHeap) + "; " + peakRss(), "-", "-",
        "no OutOfMemoryError; extra clients wait"));
  }

  private List<String> concurrentClones(String url, int clients, String prefix) throws Exception {
    return concurrentClones(url, clients, prefix, List.of());
  }

  private List<String> concurrentClones(
      String url, int clients, String prefix, List<String> options) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<GitCli.Result>> clones = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        Path dir = work.resolve("clones").resolve(prefix + i);
        List<String> args = new ArrayList<>(List.of("clone", "--bare", "-q"));
        args.addAll(options);
        args.addAll(List.of(url, dir.toString()));
        clones.add(pool.submit(() -> git.run(work, args.toArray(String[]::new))));
      }
      List<String> failures = new ArrayList<>();
      for (Future<GitCli.Result> clone : clones) {
        GitCli.Result result = clone.get();
        if (result.exitCode() != 0) {
          failures.add(result.stderr().strip());
        }
      }
      deleteTree(work.resolve("clones"));
      return failures;
    } finally {
      pool.shutdownNow();
    }
  }

  private static Row ratioRow(String benchmark, Duration proxy, Duration direct, String goal) {
    return new Row(benchmark, Samples.millis(proxy), Samples.millis(direct),
        String.format("%.2f", (double) proxy.toNanos() / direct.toNanos()), goal);
  }

  static String table(List<Row> rows) {
    StringBuilder out = new StringBuilder();
    out.append("| Benchmark | Proxy | Direct (git http-backend) | Ratio | Goal |\n");
    out.append("|---|---|---|---|---|\n");
    for (Row row : rows) {
      out.append("| ").append(row.benchmark()).append(" | ").append(row.proxy()).append(" | ")
          .append(row.direct()).append(" | ").append(row.ratio()).append(" | ")
          .append(row.goal()).append(" |\n");
    }
    return out.toString();
  }

  private static String sizeOf(Path repo) throws IOException {
    try (Stream<Path> files = Files.walk(repo.resolve("objects/pack"))) {
      long bytes = files.filter(p -> p.toString().endsWith(".pack"))
          .mapToLong(p -> p.toFile().length()).sum();
      return "a " + mib(bytes) + " pack";
    }
  }

  private static String mib(long bytes) {
    return String.format("%.0f MiB", bytes / (1024.0 * 1024.0));
  }

  private static void resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc/self/clear_refs"), "5");
    } catch (IOException e) {
      // not Linux, or not allowed: the peak then counts from the JVM's start
    }
  }

  private static String peakRss() throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
      if (line.startsWith("VmHWM:")) {
        long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
        return mib(kib * 1024);
      }
    }
    return "n/a";
  }

  static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** A proxy in Jetty on loopback. */
  private record Proxy(GobletProxy proxy, JettyServer jetty) implements AutoCloseable {
    static Proxy start(ServerConfig.Builder config) throws Exception {
      GobletProxy proxy = GobletProxy.create(config.build());
      return new Proxy(proxy, JettyServer.start(Map.of("/*", new GobletServlet(proxy))));
    }

    String url(String path) {
      return jetty.baseUrl() + "/" + path;
    }

    @Override
    public void close() throws Exception {
      jetty.close();
      proxy.close();
    }
  }
}
