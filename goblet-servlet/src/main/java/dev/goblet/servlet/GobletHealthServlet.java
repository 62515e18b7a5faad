package dev.goblet.servlet;

import com.google.gson.JsonObject;
import dev.goblet.GobletProxy;
import dev.goblet.Health;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Objects;

/**
 * Answers {@code GET} with the proxy's {@linkplain GobletProxy#health() health} as JSON, in the
 * offline mode plan's format plus readiness and the cache root's state:
 *
 * <pre>{@code
 * {"status":"healthy","upstream_status":"available","offline_mode":"standby","cached_repos":3,
 *  "cache_stats":{"hits":0,"misses":0,"stale_serves":0},"ready":true,
 *  "cache_root_writable":true,"cache_root_free_bytes":53687091200}
 * }</pre>
 *
 * <p>The status code is 200 when the status is {@code healthy} (which implies ready), 503 when it
 * is {@code starting} or {@code unhealthy}, so load balancers can use it as a readiness probe.
 * Values: {@code status} healthy, starting or unhealthy; {@code upstream_status} available,
 * unavailable (a circuit breaker is open) or disabled (switched off); {@code offline_mode} active
 * (answers come from the cache), standby or disabled.
 *
 * <p>Mount it where the host wants (for example {@code /healthz}); it asks for no authorization
 * and shows nothing secret. It never closes the proxy. Thread-safe.
 */
public class GobletHealthServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;

  private final transient GobletProxy proxy;

  /** @param proxy the proxy to report on; never closed here */
  public GobletHealthServlet(GobletProxy proxy) {
    this.proxy = Objects.requireNonNull(proxy, "proxy");
  }

  @Override
  protected void doGet(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    Health health = proxy.health();
    JsonResponses.send(
        response, health.status() == Health.Status.HEALTHY ? 200 : 503, toJson(health));
  }

  /**
   * @param health a snapshot
   * @return its JSON form
   */
  static JsonObject toJson(Health health) {
    JsonObject json = new JsonObject();
    json.addProperty("status", JsonResponses.lower(health.status()));
    json.addProperty("upstream_status", JsonResponses.lower(health.upstreamStatus()));
    json.addProperty("offline_mode", JsonResponses.lower(health.offlineMode()));
    json.addProperty("cached_repos", health.cachedRepos());
    JsonObject stats = new JsonObject();
    stats.addProperty("hits", health.cacheStats().hits());
    stats.addProperty("misses", health.cacheStats().misses());
    stats.addProperty("stale_serves", health.cacheStats().staleServes());
    json.add("cache_stats", stats);
    json.addProperty("ready", health.ready());
    json.addProperty("cache_root_writable", health.cacheRootWritable());
    json.addProperty("cache_root_free_bytes", health.cacheRootFreeBytes());
    return json;
  }
}
