package dev.goblet.servlet.testing;

import com.codahale.metrics.MetricRegistry;
import dev.goblet.GobletProxy;
import dev.goblet.ServerConfig;
import dev.goblet.servlet.GobletServlet;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.GitUpstreamServer;
import dev.goblet.testing.UpstreamRepo;
import jakarta.servlet.http.HttpServlet;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/**
 * Everything an end-to-end test needs: a real upstream ({@code git http-backend}), the proxy in
 * Jetty 12, and the real {@code git} CLI, all under one temporary directory. Close it after use.
 */
public final class ProxyHarness implements AutoCloseable {
  private final Path root;
  private final GitCli git;
  private final Path upstreamRoot;
  private final GitUpstreamServer upstream;
  private final Map<String, Function<GobletProxy, HttpServlet>> mounts = new LinkedHashMap<>();
  private final MetricRegistry metrics = new MetricRegistry();
  private final AtomicInteger concurrentClones = new AtomicInteger();
  private GobletProxy proxy;
  private JettyServer jetty;
  private ServerConfig config;

  private ProxyHarness(Path root) throws IOException {
    this.root = root;
    this.git = GitCli.create(Files.createDirectories(root.resolve("home")));
    this.upstreamRoot = Files.createDirectories(root.resolve("upstream"));
    this.upstream = GitUpstreamServer.start(upstreamRoot);
  }

  /**
   * @param root an empty temporary directory
   * @return a harness with the upstream running and no proxy yet
   * @throws IOException when the directories cannot be made
   */
  public static ProxyHarness create(Path root) throws IOException {
    return new ProxyHarness(root);
  }

  /**
   * @return the default test config: cache under the root, the upstream allow-listed, metrics in
   *     the harness's registry (see {@link #timerCount})
   */
  public ServerConfig.Builder defaultConfig() {
    return ServerConfig.builder()
        .cacheRoot(root.resolve("cache"))
        .allowedUpstreams(upstream.baseUrl())
        .metricRegistry(metrics);
  }

  /**
   * How many times the running proxy updated some timers, waiting up to 10 s until that is at least
   * {@code atLeast}: the proxy records a command once its last byte is written, so a client can be
   * done a moment before the timer is.
   *
   * @param atLeast the count to wait for
   * @param suffixes timer names below the proxy's metric prefix, such as {@code
   *     inbound.fetch.served-locally.ok}
   * @return the timers' summed counts (below {@code atLeast} only if the wait ran out)
   * @throws InterruptedException when interrupted while waiting
   */
  public long timerCount(long atLeast, String... suffixes) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (true) {
      long count = 0;
      for (String suffix : suffixes) {
        count += proxy.metricRegistry().timer(proxy.metricName(suffix)).getCount();
      }
      if (count >= atLeast || System.nanoTime() > deadline) {
        return count;
      }
      Thread.sleep(10);
    }
  }

  /**
   * @param suffix a counter name below the proxy's metric prefix, such as {@code
   *     ls-refs-cache.hits}
   * @return the running proxy's counter
   */
  public long counterCount(String suffix) {
    return proxy.metricRegistry().counter(proxy.metricName(suffix)).getCount();
  }

  /**
   * Starts (or restarts) the proxy in Jetty.
   *
   * @param customize adjusts the default config
   * @return this
   * @throws Exception when Jetty cannot start
   */
  public ProxyHarness startProxy(UnaryOperator<ServerConfig.Builder> customize) throws Exception {
    stopProxy();
    config = customize.apply(defaultConfig()).build();
    proxy = GobletProxy.create(config);
    Map<String, HttpServlet> servlets = new LinkedHashMap<>();
    mounts.forEach((pathSpec, servlet) -> servlets.put(pathSpec, servlet.apply(proxy)));
    servlets.put("/*", new GobletServlet(proxy));
    jetty = JettyServer.start(servlets);
    return this;
  }

  /**
   * Mounts another servlet beside the Git servlet (which stays at {@code /*}) from the next {@link
   * #startProxy} on, for example {@code mount("/admin/*", GobletAdminServlet::new)}.
   *
   * @param pathSpec a servlet path spec, such as {@code /admin/*} or {@code /healthz}
   * @param servlet makes the servlet for each started proxy
   * @return this
   */
  public ProxyHarness mount(String pathSpec, Function<GobletProxy, HttpServlet> servlet) {
    mounts.put(pathSpec, servlet);
    return this;
  }

  /**
   * @param path a path on the proxy's server, such as {@code /admin/repositories}
   * @return its URL
   */
  public String url(String path) {
    return jetty.baseUrl() + path;
  }

  /** Starts the proxy with the default config. */
  public ProxyHarness startProxy() throws Exception {
    return startProxy(b -> b);
  }

  /** Stops Jetty and closes the proxy (the cache root stays). */
  public void stopProxy() throws Exception {
    if (jetty != null) {
      jetty.close();
      jetty = null;
    }
    if (proxy != null) {
      proxy.close();
      proxy = null;
    }
  }

  /**
   * @param name the repository name on the upstream, such as {@code owner/repo}
   * @return a new upstream repository with one commit on main
   */
  public UpstreamRepo newRepo(String name) {
    UpstreamRepo repo = newEmptyRepo(name);
    repo.commit("main", "README.md", "hello from " + name + "\n", "initial commit");
    return repo;
  }

  /**
   * @param name the repository name on the upstream, such as {@code owner/repo}
   * @return a new upstream repository with what clients must all get right: 21 commits on main
   *     (HEAD), a branch {@code feature} one commit ahead of main, an annotated tag {@code v1.0} at
   *     main and a lightweight tag {@code light} at feature
   */
  public UpstreamRepo newRepoWithBranchesAndTags(String name) {
    UpstreamRepo repo = newRepo(name);
    repo.commitMany("main", 20, 2);
    repo.commit("feature", "f.txt", "feature\n", "feature work");
    repo.tag("v1.0", "main", true);
    repo.tag("light", "feature", false);
    return repo;
  }

  /**
   * @param name the repository name on the upstream, such as {@code owner/repo}
   * @return a new upstream repository without commits or refs
   */
  public UpstreamRepo newEmptyRepo(String name) {
    return UpstreamRepo.create(git, upstreamRoot, name);
  }

  /**
   * @param name the repository name on the upstream
   * @return the repository's URL through the proxy
   */
  public String proxyUrl(String name) {
    return jetty.baseUrl() + "/" + upstream.baseUrl().substring("http://".length()) + "/" + name;
  }

  /**
   * Clones {@code name} through the proxy with {@code clients} git processes at once and waits
   * for all of them.
   *
   * @param name the repository name on the upstream
   * @param clients how many clones run at the same time
   * @param gitOptions options before {@code clone}, such as {@code -c protocol.version=0}
   * @return each clone's result; clones go to fresh directories below {@link #dir}
   * @throws Exception when a clone cannot be run
   */
  public List<GitCli.Result> cloneConcurrently(String name, int clients, String... gitOptions)
      throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(clients);
    try {
      List<Future<GitCli.Result>> clones = new ArrayList<>();
      for (int i = 0; i < clients; i++) {
        List<String> args = new ArrayList<>(List.of(gitOptions));
        String dir = dir("concurrent-" + concurrentClones.incrementAndGet()).toString();
        args.addAll(List.of("clone", proxyUrl(name), dir));
        clones.add(pool.submit(() -> git.run(root, args.toArray(String[]::new))));
      }
      List<GitCli.Result> results = new ArrayList<>();
      for (Future<GitCli.Result> clone : clones) {
        results.add(clone.get());
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** @return the proxy's base URL */
  public String proxyBaseUrl() {
    return jetty.baseUrl();
  }

  /**
   * @param name the repository name on the upstream
   * @return the repository's URL on the upstream, for direct clones
   */
  public String directUrl(String name) {
    return upstream.repoUrl(name).toString();
  }

  /**
   * @param name a name for a new directory under the harness root
   * @return the new (not yet existing) path
   */
  public Path dir(String name) {
    return root.resolve("work").resolve(name);
  }

  public Path root() {
    return root;
  }

  public GitCli git() {
    return git;
  }

  public GitUpstreamServer upstream() {
    return upstream;
  }

  public GobletProxy proxy() {
    return proxy;
  }

  public ServerConfig config() {
    return config;
  }

  @Override
  public void close() throws Exception {
    stopProxy();
    upstream.close();
  }
}
