package dev.goblet.servlet;

import dev.goblet.BackupStore;
import dev.goblet.ServerConfig;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link ServerConfig} from servlet init parameters, for hosts that mount {@link
 * GobletServlet} from {@code web.xml}. Parameters:
 *
 * <ul>
 *   <li>{@code cacheRoot} (required): the mirrors' directory
 *   <li>{@code upstreams} (required): comma-separated allowed upstream base URLs
 *   <li>{@code offlineMode}: {@code true} (default) or {@code false}
 *   <li>{@code lsRefsCacheTtl}: an ISO-8601 duration such as {@code PT5M}
 *   <li>{@code lsRefsMaxStaleness}: an ISO-8601 duration; default no limit
 *   <li>{@code upstreamTimeout}: an ISO-8601 duration; default {@code PT10S}
 *   <li>{@code backupDirectory}: a directory (such as a shared mount) to back up to and restore
 *       from at start, with {@link dev.goblet.BackupStore#filesystem}; default no backups
 *   <li>{@code backupInterval}: an ISO-8601 duration; default {@code PT1H}
 * </ul>
 */
public final class InitParameters {
  private InitParameters() {}

  /**
   * @param servletConfig the servlet's config
   * @return the proxy config
   * @throws ServletException naming the parameter that is missing or wrong
   */
  public static ServerConfig toConfig(ServletConfig servletConfig) throws ServletException {
    try {
      ServerConfig.Builder builder = ServerConfig.builder();
      builder.cacheRoot(Path.of(required(servletConfig, "cacheRoot")));
      List<URI> upstreams =
          Arrays.stream(required(servletConfig, "upstreams").split(","))
              .map(String::trim)
              .filter(s -> !s.isEmpty())
              .map(URI::create)
              .toList();
      builder.allowedUpstreams(upstreams);
      String offline = servletConfig.getInitParameter("offlineMode");
      if (offline != null) {
        builder.offlineMode(Boolean.parseBoolean(offline.trim()));
      }
      String ttl = servletConfig.getInitParameter("lsRefsCacheTtl");
      if (ttl != null) {
        builder.lsRefsCacheTtl(Duration.parse(ttl.trim()));
      }
      String maxStaleness = servletConfig.getInitParameter("lsRefsMaxStaleness");
      if (maxStaleness != null) {
        builder.lsRefsMaxStaleness(Duration.parse(maxStaleness.trim()));
      }
      String timeout = servletConfig.getInitParameter("upstreamTimeout");
      if (timeout != null) {
        builder.upstreamTimeout(Duration.parse(timeout.trim()));
      }
      String backupDirectory = servletConfig.getInitParameter("backupDirectory");
      if (backupDirectory != null && !backupDirectory.isBlank()) {
        builder.backupStore(BackupStore.filesystem(Path.of(backupDirectory.trim())));
      }
      String backupInterval = servletConfig.getInitParameter("backupInterval");
      if (backupInterval != null) {
        builder.backupInterval(Duration.parse(backupInterval.trim()));
      }
      return builder.build();
    } catch (RuntimeException e) {
      throw new ServletException("invalid Goblet init parameters: " + e.getMessage(), e);
    }
  }

  private static String required(ServletConfig config, String name) throws ServletException {
    String value = config.getInitParameter(name);
    if (value == null || value.isBlank()) {
      throw new ServletException("the init parameter '" + name + "' is required");
    }
    return value.trim();
  }
}
