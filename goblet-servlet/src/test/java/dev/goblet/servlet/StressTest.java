package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.Timer;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * About 200 mixed git operations from many threads over several warm repositories while the
 * upstream is switched off and on and new commits land upstream: none may fail. Bounded in count
 * and time; loopback only.
 */
class StressTest extends HarnessTestBase {
  private static final int OPERATIONS = 200;
  private static final int WORKERS = 8;
  private static final List<String> REPOS = List.of("team/alpha", "team/beta", "team/gamma");

  private final MetricRegistry registry = new MetricRegistry();
  private final Map<String, UpstreamRepo> repos = new ConcurrentHashMap<>();

  @BeforeEach
  void setUp() throws Exception {
    git = harness.git().withTimeout(Duration.ofSeconds(120));
    for (String name : REPOS) {
      UpstreamRepo repo = harness.newRepo(name);
      repo.commitMany("main", 15, 2);
      repos.put(name, repo);
    }
    harness.startProxy(b -> b.metricRegistry(registry));
    for (String name : REPOS) { // warm: mirror, clone-style and full listings cached
      git.runOk(tmp, "clone", harness.proxyUrl(name), harness.dir("warm-" + slug(name)).toString());
      git.runOk(tmp, "ls-remote", harness.proxyUrl(name));
    }
  }

  @Test
  void mixedLoadWithUpstreamTogglingAndPushesHasNoFailures() throws Exception {
    long infoRefsBefore = timerCount("inbound.not-a-command.none.ok");
    AtomicInteger next = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    List<String> failures = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(WORKERS + 1);
    Future<Integer> chaos = pool.submit(() -> chaos(done));
    List<Future<?>> workers = new ArrayList<>();
    for (int w = 0; w < WORKERS; w++) {
      int worker = w;
      workers.add(pool.submit(() -> work(worker, next, failures)));
    }
    for (Future<?> worker : workers) {
      worker.get(10, TimeUnit.MINUTES);
    }
    done.set(true);
    int toggles = chaos.get(1, TimeUnit.MINUTES);
    pool.shutdownNow();
    harness.proxy().setUpstreamEnabled(true);

    assertThat(failures).isEmpty();
    assertThat(toggles).as("the upstream was switched during the run").isGreaterThan(2);
    // Every git operation starts with exactly one GET info/refs and one ls-refs.
    assertThat(timerCount("inbound.not-a-command.none.ok") - infoRefsBefore).isEqualTo(OPERATIONS);
    assertThat(registry.getTimers().keySet())
        .filteredOn(name -> name.startsWith("goblet.inbound."))
        .allMatch(name -> name.endsWith(".ok"));
    try (var dirs = Files.walk(harness.config().cacheRoot(), 4)) {
      for (Path mirror : dirs.filter(p -> p.toString().endsWith(".git")).toList()) {
        git.runOk(mirror, "fsck", "--no-dangling");
      }
    }
  }

  private long timerCount(String suffix) {
    Timer timer = registry.getTimers().get(harness.proxy().metricName(suffix));
    return timer == null ? 0 : timer.getCount();
  }

  /** Runs operations until the shared budget is spent; records failures. */
  private void work(int worker, AtomicInteger next, List<String> failures) {
    Random random = new Random(worker);
    while (next.getAndIncrement() < OPERATIONS) {
      String name = REPOS.get(random.nextInt(REPOS.size()));
      Path clone = harness.dir("w" + worker + "-" + slug(name));
      GitCli.Result result;
      int kind = random.nextInt(3);
      if (kind == 0 || !Files.isDirectory(clone)) {
        Path target = Files.isDirectory(clone) ? harness.dir("w" + worker + "-" + next.get()) : clone;
        result = git.run(tmp, "clone", "--quiet", harness.proxyUrl(name), target.toString());
      } else if (kind == 1) {
        result = git.run(clone, "fetch", "--quiet", "origin");
      } else {
        result = git.run(tmp, "ls-remote", harness.proxyUrl(name));
      }
      if (result.exitCode() != 0) {
        synchronized (failures) {
          failures.add(name + " kind " + kind + ": " + result.stderr());
        }
      }
    }
  }

  /** Switches the upstream every 150 ms and pushes a commit every third tick, until done. */
  private int chaos(AtomicBoolean done) throws InterruptedException {
    Random random = new Random(99);
    int ticks = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
    while (!done.get() && System.nanoTime() < deadline) {
      Thread.sleep(150);
      ticks++;
      harness.proxy().setUpstreamEnabled(!harness.proxy().isUpstreamEnabled());
      if (ticks % 3 == 0) {
        UpstreamRepo repo = repos.get(REPOS.get(random.nextInt(REPOS.size())));
        repo.commit("main", "stress-" + ticks + ".txt", "tick " + ticks + "\n", "tick " + ticks);
      }
    }
    return ticks;
  }

  private static String slug(String name) {
    return name.replace('/', '-');
  }
}
