package dev.goblet.examples.bench;

import static org.assertj.core.api.Assertions.assertThat;

import dev.goblet.ManagedRepository;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.servlet.testing.StalledClient;
import dev.goblet.testing.FaultInjectingProxy;
import dev.goblet.testing.GitCli;
import dev.goblet.testing.UpstreamRepo;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The isolation benchmark (not part of the test suite; its name matches no test pattern): how much
 * a healthy request slows down beside misbehaving ones, the proxy in its default configuration.
 *
 * <ul>
 *   <li><b>Stalled clients</b>: 20 clones of a small repository, median latency, with no other
 *       traffic, then while two clients have stopped reading a 12 MiB pack of a big repository,
 *       then with no other traffic again.
 *   <li><b>Hanging upstream</b>: 20 rounds of "commit upstream, then {@code git fetch} through the
 *       proxy" (so every fetch waits for a mirror fetch), from a healthy upstream server, with no
 *       other traffic, then while four mirror fetches trickle from another server at 5 bytes a
 *       second, then alone again; and how long the four take to end, and with what error.
 * </ul>
 *
 * Writes {@code goblet-examples/target/benchmarks-isolation.md}. See BENCHMARKS.md.
 */
class IsolationBenchmark {
  private static final int FETCHES = 20;

  @TempDir Path tmp;

  @Test
  void run() throws Exception {
    StringBuilder report = new StringBuilder();
    report.append("| Benchmark | Alone, before | Beside the fault | Alone, after | Ratio | Goal |\n");
    report.append("|---|---|---|---|---|---|\n");
    stalledClients(report);
    hangingUpstream(report);
    String table = report.toString();
    Files.writeString(Path.of("target", "benchmarks-isolation.md"), table);
    System.out.println(table);
  }

  private void stalledClients(StringBuilder report) throws Exception {
    try (ProxyHarness harness = ProxyHarness.create(tmp.resolve("stalled"))) {
      GitCli git = harness.git();
      UpstreamRepo big = harness.newRepo("team/big");
      String tip = big.commitRandom("main", 3, 4 << 20, 14);
      harness.newRepo("team/small").commitMany("main", 20, 5);
      harness.startProxy();
      git.runOk(harness.root(), "clone", "-q", "--bare", harness.proxyUrl("team/big"),
          harness.dir("big-warm").toString());
      AtomicInteger clones = new AtomicInteger();
      Samples.ThrowingRunnable clone =
          () -> git.runOk(harness.root(), "clone", "-q", harness.proxyUrl("team/small"),
              harness.dir("small-" + clones.incrementAndGet()).toString());
      clone.run(); // warm the small mirror
      Samples before = Samples.time(FETCHES, clone);
      List<StalledClient> stalled = new ArrayList<>();
      Samples beside;
      try {
        for (int i = 0; i < 2; i++) {
          stalled.add(StalledClient.fetchAndStall(harness.proxyUrl("team/big"), tip, 4096));
        }
        beside = Samples.time(FETCHES, clone);
      } finally {
        for (StalledClient client : stalled) {
          client.close();
        }
      }
      Samples after = Samples.time(FETCHES, clone);
      row(report, "20 clones of a small repository (median; p90), beside 2 clients stalled mid-pack",
          before, beside, after, "ratio <= 1.5");
    }
  }

  private void hangingUpstream(StringBuilder report) throws Exception {
    try (ProxyHarness harness = ProxyHarness.create(tmp.resolve("hanging"));
        FaultInjectingProxy relay = FaultInjectingProxy.start(harness.upstream().baseUrl())) {
      GitCli git = harness.git();
      for (int i = 1; i <= 4; i++) {
        harness.newRepo("slow/r" + i);
      }
      UpstreamRepo healthy = harness.newRepo("fast/repo");
      healthy.commitMany("main", 20, 5);
      harness.startProxy(b -> b.allowedUpstreams(harness.upstream().baseUrl(), relay.baseUrl()));
      Path clone = harness.dir("fast");
      git.runOk(harness.root(), "clone", "-q", harness.proxyUrl("fast/repo"), clone.toString());
      AtomicInteger round = new AtomicInteger();
      Samples.ThrowingRunnable fetch =
          () -> {
            int i = round.incrementAndGet();
            healthy.commit("main", "round.txt", "round " + i + "\n", "round " + i);
            git.runOk(clone, "fetch", "-q", "origin");
          };
      Samples before = Samples.time(FETCHES, fetch);

      relay.inject(new FaultInjectingProxy.Fault.Trickle(200)); // 5 bytes a second
      long hungStart = System.nanoTime();
      List<CompletableFuture<Void>> hung = new ArrayList<>();
      for (int i = 1; i <= 4; i++) {
        ManagedRepository slow =
            harness.proxy().openRepository(URI.create(relay.baseUrl() + "/slow/r" + i));
        hung.add(slow.fetchUpstream());
      }
      Samples beside = Samples.time(FETCHES, fetch);
      boolean stillHung = hung.stream().noneMatch(CompletableFuture::isDone);
      List<String> errors = new ArrayList<>();
      for (CompletableFuture<Void> f : hung) {
        try {
          f.get(10, TimeUnit.MINUTES);
          errors.add("succeeded");
        } catch (ExecutionException e) {
          errors.add(e.getCause().getMessage());
        }
      }
      Duration hungFor = Duration.ofNanos(System.nanoTime() - hungStart);
      relay.inject(new FaultInjectingProxy.Fault.None());
      Samples after = Samples.time(FETCHES, fetch);
      row(report, "20 rounds of commit upstream + `git fetch` (median; p90), beside 4 mirror fetches"
              + " trickling from another server" + (stillHung ? "" : " (they ended early!)"),
          before, beside, after, "ratio <= 1.5");
      report.append("| the 4 trickling fetches: time until all ended; their errors | - | ")
          .append(hungFor.toSeconds()).append(" s; ")
          .append(String.join(" / ", errors.stream().distinct().toList()).replace('|', '/'))
          .append(" | - | - | ended with a clear error within the documented bound |\n");
      assertThat(errors).noneMatch(e -> e.equals("succeeded"));
    }
  }

  private static void row(
      StringBuilder report, String name, Samples before, Samples beside, Samples after,
      String goal) {
    double alone = (before.median().toNanos() + after.median().toNanos()) / 2.0;
    report.append("| ").append(name).append(" | ")
        .append(cell(before)).append(" | ").append(cell(beside)).append(" | ")
        .append(cell(after)).append(" | ")
        .append(String.format("%.2f", beside.median().toNanos() / alone))
        .append(" | ").append(goal).append(" |\n");
  }

  private static String cell(Samples samples) {
    return Samples.millis(samples.median()) + "; " + Samples.millis(samples.percentile(90));
  }
}
