package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.MetricRegistry;
import com.google.gson.JsonObject;
import dev.goblet.AdminAuthorizer;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.FakeClock;
import dev.goblet.testing.GitCli;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Metric counts move as real requests flow through Jetty; a fresh registry for every test. */
class MetricsTest {
  @TempDir Path tmp;
  private ProxyHarness harness;
  private GitCli git;
  private final MetricRegistry registry = new MetricRegistry();
  private final FakeClock clock = FakeClock.at(Instant.parse("2026-11-24T10:00:00Z"));

  @BeforeEach
  void setUp() throws Exception {
    harness =
        ProxyHarness.create(tmp)
            .mount("/metrics", GobletMetricsServlet::new)
            .mount("/admin/*", GobletAdminServlet::new);
    git = harness.git();
    harness.newRepo("owner/repo").commitMany("main", 3, 2);
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private long count(String suffix) {
    String name = harness.proxy().metricName(suffix);
    if (registry.getTimers().containsKey(name)) {
      return registry.timer(name).getCount();
    }
    if (registry.getMeters().containsKey(name)) {
      return registry.meter(name).getCount();
    }
    if (registry.getHistograms().containsKey(name)) {
      return registry.histogram(name).getCount();
    }
    return registry.getCounters().containsKey(name) ? registry.counter(name).getCount() : 0;
  }

  private Object gauge(String suffix) {
    return registry.getGauges().get(harness.proxy().metricName(suffix)).getValue();
  }

  private Path clone(String name) {
    Path dir = harness.dir(name);
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), dir.toString());
    return dir;
  }

  @Test
  void clonesMoveInboundOutboundAndFetchMetrics() throws Exception {
    harness.startProxy(b -> b.metricRegistry(registry));
    clone("first");

    assertThat(count("inbound.not-a-command.none.ok")).isGreaterThanOrEqualTo(1); // info/refs
    assertThat(count("inbound.ls-refs.queried-upstream.ok")).isEqualTo(1);
    long waited = count("inbound.fetch.queried-upstream.ok");
    // The first fetch waits for the mirror, unless the fetch that ls-refs started already ended.
    assertThat(waited + count("inbound.fetch.served-locally.ok")).isEqualTo(1);
    assertThat(count("fetch.upstream-wait")).isEqualTo(waited);
    assertThat(count("outbound.ls-refs.ok")).isGreaterThanOrEqualTo(1);
    assertThat(count("outbound.fetch.ok")).isGreaterThanOrEqualTo(1);
    assertThat(count("upstream-fetches.started")).isGreaterThanOrEqualTo(1);
    assertThat(count("inbound.request-bytes")).isPositive();
    assertThat(count("inbound.response-bytes")).isPositive();

    long servedLocally = count("inbound.fetch.served-locally.ok");
    clone("second");
    assertThat(count("inbound.fetch.served-locally.ok")).isEqualTo(servedLocally + 1);
    assertThat(count("inbound.ls-refs.queried-upstream.ok")).isEqualTo(2);
    assertThat(gauge("upstream.available")).isEqualTo(1);
    assertThat(gauge("ls-refs-cache.entries")).isEqualTo(1);

    HttpResponse<String> response = Http.get(harness.url("/metrics"));
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject json = Http.json(response);
    assertThat(json.keySet())
        .containsExactlyInAnyOrder("counters", "gauges", "meters", "histograms", "timers");
    JsonObject lsRefs =
        json.getAsJsonObject("timers").getAsJsonObject("goblet.inbound.ls-refs.queried-upstream.ok");
    assertThat(lsRefs.get("count").getAsLong()).isEqualTo(2);
    assertThat(lsRefs.keySet()).contains("p50_ms", "p99_ms", "mean_ms", "m1_rate");
    assertThat(lsRefs.get("p99_ms").getAsDouble()).isPositive();
    assertThat(json.getAsJsonObject("gauges").getAsJsonObject("goblet.upstream.available")
        .get("value").getAsInt()).isEqualTo(1);
    assertThat(json.getAsJsonObject("meters").getAsJsonObject("goblet.inbound.response-bytes")
        .get("count").getAsLong()).isEqualTo(count("inbound.response-bytes"));
  }

  @Test
  void offlineServesMoveTheCacheMetrics() throws Exception {
    harness.startProxy(b -> b.metricRegistry(registry).clock(clock));
    Path clone = clone("warm");
    harness.proxy().setUpstreamEnabled(false);

    clone("offline");
    assertThat(count("ls-refs-cache.hits")).isEqualTo(1);
    assertThat(count("inbound.ls-refs.served-from-cache.ok")).isEqualTo(1);

    clock.advance(Duration.ofMinutes(6)); // past the 5-minute TTL
    git.runOk(clone, "fetch", "origin");
    assertThat(count("ls-refs-cache.hits")).isEqualTo(2);
    assertThat(count("ls-refs-cache.stale-serves")).isEqualTo(1);
    assertThat(count("inbound.ls-refs.served-stale.ok")).isEqualTo(1);
    assertThat(count("ls-refs-cache.served-age-seconds")).isEqualTo(2);
    assertThat(gauge("ls-refs-cache.oldest-served-age-seconds")).isEqualTo(360L);

    harness.newRepo("owner/cold");
    GitCli.Result cold =
        git.run(tmp, "clone", harness.proxyUrl("owner/cold"), harness.dir("cold").toString());
    assertThat(cold.exitCode()).isNotZero();
    assertThat(count("ls-refs-cache.misses")).isEqualTo(1);
    assertThat(count("inbound.ls-refs.none.unavailable")).isEqualTo(1);
    assertThat(gauge("upstream.available")).isEqualTo(0);
    assertThat(gauge("upstream.enabled")).isEqualTo(0);
  }

  @Test
  void refreshesWhileAFetchRunsAreCoalesced() throws Exception {
    harness.startProxy(b -> b.metricRegistry(registry).adminAuthorizer(AdminAuthorizer.ALLOW_ALL));
    clone("warm");
    String key = harness.proxy().repositoryStatuses().get(0).key();
    String refresh = harness.url("/admin/repositories/" + key + "/-/refresh");
    long started = count("upstream-fetches.started");
    long coalesced = count("upstream-fetches.coalesced");
    long fetched = count("outbound.fetch.ok");

    harness.upstream().hang(true); // the first refresh's fetch waits on the upstream
    try {
      assertThat(Http.send("POST", refresh, null).statusCode()).isEqualTo(202);
      assertThat(Http.send("POST", refresh, null).statusCode()).isEqualTo(202);
    } finally {
      harness.upstream().hang(false);
    }

    // A fetch counts as started when its task runs on the fetch executor, which may be after both
    // 202s (seen once on a loaded machine); the second refresh joined the running one at once.
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while ((count("upstream-fetches.started") - started
            + count("upstream-fetches.coalesced") - coalesced < 2
            || count("outbound.fetch.ok") == fetched)
        && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(count("upstream-fetches.started") - started
        + count("upstream-fetches.coalesced") - coalesced).isEqualTo(2);
    assertThat(count("upstream-fetches.coalesced") - coalesced).isGreaterThanOrEqualTo(1);
    assertThat(count("outbound.fetch.ok")).isGreaterThan(fetched);
  }

  @Test
  void everyNameIsUnderTheConfiguredPrefix() throws Exception {
    harness.startProxy(b -> b.metricRegistry(registry).metricPrefix("ci-proxy"));
    clone("clone");
    assertThat(registry.getNames()).isNotEmpty().allMatch(name -> name.startsWith("ci-proxy."));
    assertThat(registry.timer("ci-proxy.inbound.ls-refs.queried-upstream.ok").getCount())
        .isEqualTo(1);
    harness.stopProxy();
    assertThat(registry.getNames()).isNotEmpty(); // the host's registry keeps its metrics
  }
}
