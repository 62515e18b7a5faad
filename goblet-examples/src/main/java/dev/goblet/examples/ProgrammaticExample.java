package dev.goblet.examples;

import com.codahale.metrics.MetricRegistry;
import com.codahale.metrics.health.HealthCheckRegistry;
import dev.goblet.GobletHealthChecks;
import dev.goblet.GobletProxy;
import dev.goblet.RequestAuthorizer;
import dev.goblet.ServerConfig;
import dev.goblet.UpstreamCredentials;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.servlet.GobletServlet;
import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Goblet embedded from code: build a {@link ServerConfig}, then mount the servlet on the host's
 * {@link ServletContext} (from a {@code ServletContextListener}, a {@code
 * ServletContainerInitializer}, or a framework's equivalent). The README quotes this class;
 * ProgrammaticExampleTest clones through it, so the quote stays true to the API.
 *
 * <p>Stateless and thread-safe.
 */
public final class ProgrammaticExample {
  private ProgrammaticExample() {}

  /**
   * @param cacheRoot where the mirrors live
   * @param upstreams the allowed upstream base URLs
   * @param clientToken the bearer token clients must present
   * @param upstreamTokens each upstream base URL's own token supplier: a token goes to its
   *     upstream only, and an upstream without one gets none
   * @param metrics the host's registry; the proxy registers its metrics there under {@code goblet.}
   * @return the proxy's configuration
   */
  public static ServerConfig config(
      Path cacheRoot,
      List<URI> upstreams,
      String clientToken,
      Map<URI, Supplier<String>> upstreamTokens,
      MetricRegistry metrics) {
    Map<URI, UpstreamCredentials> credentials = new HashMap<>();
    upstreamTokens.forEach((base, token) -> credentials.put(base, UpstreamCredentials.bearer(token)));
    return ServerConfig.builder()
        .cacheRoot(cacheRoot)
        .urlCanonicalizer(caseInsensitiveGitHub(UrlCanonicalizer.allowList(upstreams)))
        .requestAuthorizer(RequestAuthorizer.bearerToken(clientToken))
        .upstreamCredentials(UpstreamCredentials.perUpstream(credentials))
        .metricRegistry(metrics)
        .offlineMode(true) // answer ls-refs from the cache while the upstream is down
        .lsRefsCacheTtl(Duration.ofMinutes(5))
        .lsRefsMaxStaleness(Duration.ofDays(7))
        .upstreamTimeout(Duration.ofSeconds(5))
        .build();
  }

  /**
   * A custom canonicalizer: GitHub's owner and repository names are case-insensitive, so {@code
   * /github.com/Owner/Repo} and {@code /github.com/owner/repo} should share one mirror.
   *
   * @param allowList decides what is allowed and maps paths to URLs
   * @return the allow-list's mapping, lower-cased for github.com
   */
  public static UrlCanonicalizer caseInsensitiveGitHub(UrlCanonicalizer allowList) {
    return path -> {
      URI upstream = allowList.canonicalize(path);
      return "github.com".equals(upstream.getHost())
          ? URI.create(upstream.toString().toLowerCase(Locale.ROOT))
          : upstream;
    };
  }

  /**
   * Starts a proxy and serves it at {@code /git/*}; clients then clone {@code
   * http://<host>/<context>/git/github.com/owner/repo}. The host closes the returned proxy when
   * the web app stops.
   *
   * @param context the host's servlet context, still starting
   * @param config the proxy's configuration
   * @param health the host's health checks; gets the proxy's checks ({@code goblet.ready}, {@code
   *     goblet.upstream}, {@code goblet.offline-mode}, {@code goblet.ls-refs-cache}, {@code
   *     goblet.cache-root})
   * @return the proxy
   * @throws ServletException when the cache root cannot be created
   */
  public static GobletProxy mount(
      ServletContext context, ServerConfig config, HealthCheckRegistry health)
      throws ServletException {
    GobletProxy proxy;
    try {
      proxy = GobletProxy.create(config);
    } catch (IOException e) {
      throw new ServletException("cannot start the Goblet proxy: " + e.getMessage(), e);
    }
    GobletHealthChecks.register(health, proxy); // goblet.ready, goblet.upstream, ...
    context.addServlet("goblet", new GobletServlet(proxy)).addMapping("/git/*");
    return proxy;
  }
}
