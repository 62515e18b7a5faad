package dev.goblet.servlet;

import static org.assertj.core.api.Assertions.assertThat;

import com.codahale.metrics.health.HealthCheck;
import com.codahale.metrics.health.HealthCheckRegistry;
import com.google.gson.JsonObject;
import dev.goblet.GobletHealthChecks;
import dev.goblet.RestoreReport;
import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.HeldSnapshotStore;
import dev.goblet.servlet.testing.Http;
import dev.goblet.servlet.testing.ProxyHarness;
import dev.goblet.testing.GitCli;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SortedMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The health JSON endpoint and the Dropwizard health checks in each upstream state. */
class HealthTest {
  @TempDir Path tmp;
  private ProxyHarness harness;
  private GitCli git;

  @BeforeEach
  void setUp() throws Exception {
    harness = ProxyHarness.create(tmp).mount("/healthz", GobletHealthServlet::new);
    git = harness.git();
    harness.newRepo("owner/repo").commitMany("main", 3, 1);
  }

  @AfterEach
  void tearDown() throws Exception {
    harness.close();
  }

  private HttpResponse<String> health() throws Exception {
    return Http.get(harness.url("/healthz"));
  }

  private void clone(String name) {
    git.runOk(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir(name).toString());
  }

  private static void assertHealth(
      HttpResponse<String> response, int code, String status, String upstream, String offline) {
    assertThat(response.statusCode()).as(response.body()).isEqualTo(code);
    assertThat(response.headers().firstValue("Content-Type").orElse(""))
        .startsWith("application/json");
    JsonObject json = Http.json(response);
    assertThat(json.get("status").getAsString()).isEqualTo(status);
    assertThat(json.get("upstream_status").getAsString()).isEqualTo(upstream);
    assertThat(json.get("offline_mode").getAsString()).isEqualTo(offline);
  }

  @Test
  void upstreamOnIsHealthyWithTheOfflineModeOnStandby() throws Exception {
    harness.startProxy();
    HttpResponse<String> before = health();
    assertHealth(before, 200, "healthy", "available", "standby");
    JsonObject json = Http.json(before);
    assertThat(json.get("cached_repos").getAsInt()).isZero();
    assertThat(json.getAsJsonObject("cache_stats").keySet())
        .containsExactlyInAnyOrder("hits", "misses", "stale_serves");
    assertThat(json.get("ready").getAsBoolean()).isTrue();
    assertThat(json.get("cache_root_writable").getAsBoolean()).isTrue();
    assertThat(json.get("cache_root_free_bytes").getAsLong()).isPositive();

    clone("clone");
    assertThat(Http.json(health()).get("cached_repos").getAsInt()).isEqualTo(1);
  }

  @Test
  void upstreamSwitchedOffServesFromTheCacheAndStaysHealthy() throws Exception {
    harness.startProxy();
    clone("warm");
    harness.proxy().setUpstreamEnabled(false);
    clone("offline");

    HttpResponse<String> response = health();
    assertHealth(response, 200, "healthy", "disabled", "active");
    JsonObject stats = Http.json(response).getAsJsonObject("cache_stats");
    assertThat(stats.get("hits").getAsLong()).isEqualTo(1);
    assertThat(stats.get("misses").getAsLong()).isZero();
  }

  @Test
  void aStoppedUpstreamOpensTheBreakerAndTheCacheAnswers() throws Exception {
    harness.startProxy();
    clone("warm");
    harness.upstream().stop();
    clone("during-outage"); // the upstream call fails, the breaker opens, the cache answers

    assertHealth(health(), 200, "healthy", "unavailable", "active");
  }

  @Test
  void withOfflineModeOffAStoppedUpstreamIsUnhealthy() throws Exception {
    harness.startProxy(b -> b.offlineMode(false));
    clone("warm");
    harness.upstream().stop();
    assertThat(git.run(tmp, "clone", harness.proxyUrl("owner/repo"), harness.dir("x").toString())
        .exitCode()).isNotZero();

    assertHealth(health(), 503, "unhealthy", "unavailable", "disabled");
  }

  @Test
  void notReadyUntilTheRestoreAtStartHasFinished() throws Exception {
    HeldSnapshotStore held =
        new HeldSnapshotStore(SnapshotStore.filesystem(tmp.resolve("store")), name -> true);
    harness.startProxy(b -> b.snapshotStore(held).restoreAllAtStart(true));
    try {
      assertThat(held.awaitHeld(Duration.ofSeconds(60))).isTrue();
      HttpResponse<String> starting = health();
      assertHealth(starting, 503, "starting", "available", "standby");
      assertThat(Http.json(starting).get("ready").getAsBoolean()).isFalse();
      assertThat(harness.proxy().isReady()).isFalse();
    } finally {
      held.release();
    }
    assertThat(harness.proxy().whenReady().get(60, TimeUnit.SECONDS)).isEqualTo(RestoreReport.NONE);

    HttpResponse<String> ready = health();
    assertHealth(ready, 200, "healthy", "available", "standby");
    assertThat(Http.json(ready).get("ready").getAsBoolean()).isTrue();
  }

  @Test
  void dropwizardHealthChecksFollowTheUpstream() throws Exception {
    harness.startProxy();
    HealthCheckRegistry registry = new HealthCheckRegistry();
    List<String> names = GobletHealthChecks.register(registry, harness.proxy());
    assertThat(names).containsExactly(
        "goblet.ready", "goblet.upstream", "goblet.offline-mode", "goblet.ls-refs-cache",
        "goblet.cache-root");
    clone("warm");
    assertThat(registry.runHealthChecks().values()).allMatch(HealthCheck.Result::isHealthy);

    harness.upstream().stop();
    clone("during-outage");
    SortedMap<String, HealthCheck.Result> results = registry.runHealthChecks();
    assertThat(results.get("goblet.upstream").isHealthy()).isFalse();
    assertThat(results.get("goblet.offline-mode").isHealthy()).isTrue();
    assertThat(results.get("goblet.offline-mode").getDetails())
        .containsEntry("offline_mode", "active");
    assertThat(results.get("goblet.ls-refs-cache").getDetails())
        .containsEntry("entries", 1)
        .containsEntry("hits", 1L);
    assertThat(results.get("goblet.cache-root").isHealthy()).isTrue();

    GobletHealthChecks.register(registry, harness.proxy(), Long.MAX_VALUE);
    assertThat(registry.runHealthCheck("goblet.cache-root").getMessage())
        .contains("short of free space");
    GobletHealthChecks.unregister(registry, harness.proxy());
    assertThat(registry.getNames()).isEmpty();
  }
}
