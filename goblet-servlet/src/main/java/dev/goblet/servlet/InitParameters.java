package dev.goblet.servlet;

import dev.goblet.ServerConfig;
import dev.goblet.SnapshotStore;
import dev.goblet.UpstreamAuthorization;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds a {@link ServerConfig} from named text parameters: the init parameters of a {@link
 * GobletServlet} mounted from {@code web.xml}, or any other source of settings a host keeps
 * (system properties, a properties file) through {@link #toBuilder(Function)}. Parameters:
 *
 * <ul>
 *   <li>{@code cacheRoot} (required): the mirrors' directory
 *   <li>{@code upstreams} (required): comma-separated allowed upstream base URLs, such as {@code
 *       https://github.com,http://127.0.0.1:9000}
 *   <li>{@code offlineMode}: {@code true} (default) or {@code false}
 *   <li>{@code lsRefsCacheTtl}: an ISO-8601 duration such as {@code PT5M}; default {@code PT5M}
 *   <li>{@code lsRefsMaxStaleness}: an ISO-8601 duration; default no limit
 *   <li>{@code upstreamTimeout}: an ISO-8601 duration; default {@code PT10S}
 *   <li>{@code storeDirectory}: a directory (a local disk for one host's backup, or a mount the
 *       replicas share) to publish mirror snapshots to and restore them from, with {@link
 *       SnapshotStore#filesystem}; default none
 *   <li>{@code storePublishDelay}: an ISO-8601 duration; the least time between two snapshots of
 *       one repository; default {@code PT5M}
 *   <li>{@code restoreAllAtStart}: {@code true} to restore every stored repository the cache root
 *       lacks at start, before the proxy reports ready, or {@code false} (default: on demand);
 *       needs a store (this directory, or one the host adds in code)
 *   <li>{@code backupDirectory}, {@code backupInterval}: deprecated (the former bundle backups);
 *       read as {@code storeDirectory} with {@code restoreAllAtStart=true}, and as {@code
 *       storePublishDelay}, with a warning in the log
 *   <li>{@code clientAuth}: {@code upstream} to let the upstream decide, per user and repository,
 *       who may read (see {@link dev.goblet.UpstreamAuthorization}), or {@code none} (default)
 *   <li>{@code clientAuthTtl}: an ISO-8601 duration; how long an upstream's allow is trusted;
 *       default {@code PT5M}
 *   <li>{@code clientAuthGrace}: an ISO-8601 duration; how old an allow may be and still be
 *       honoured while the upstream is down; default {@code PT8H}
 *   <li>{@code cacheMaxBytes}: the mirrors' disk budget in bytes; default no limit
 *   <li>{@code cacheMinFreeBytes}: the least usable space, in bytes, the cache root's disk must
 *       keep (least recently served mirrors are evicted below it); default no floor
 *   <li>{@code lsRefsCacheMaxBytes}: the heap the cached ls-refs listings may hold, in bytes;
 *       default 67108864 (64 MiB)
 * </ul>
 *
 * <p>Stateless and thread-safe.
 */
public final class InitParameters {
  /** The mirrors' directory. */
  public static final String CACHE_ROOT = "cacheRoot";

  /** Comma-separated allowed upstream base URLs. */
  public static final String UPSTREAMS = "upstreams";

  /** Whether ls-refs falls back to the cache when the upstream fails. */
  public static final String OFFLINE_MODE = "offlineMode";

  /** How long a cached ls-refs answer counts as fresh. */
  public static final String LS_REFS_CACHE_TTL = "lsRefsCacheTtl";

  /** The age beyond which cached refs are never served. */
  public static final String LS_REFS_MAX_STALENESS = "lsRefsMaxStaleness";

  /** How long an upstream ls-refs may take before the proxy falls back. */
  public static final String UPSTREAM_TIMEOUT = "upstreamTimeout";

  /** A directory to publish mirror snapshots to and restore them from. */
  public static final String STORE_DIRECTORY = "storeDirectory";

  /** The least time between two snapshots of one repository. */
  public static final String STORE_PUBLISH_DELAY = "storePublishDelay";

  /** Whether every stored repository the cache root lacks is restored at start. */
  public static final String RESTORE_ALL_AT_START = "restoreAllAtStart";

  /** Deprecated: read as {@link #STORE_DIRECTORY} with {@link #RESTORE_ALL_AT_START} true. */
  public static final String BACKUP_DIRECTORY = "backupDirectory";

  /** Deprecated: read as {@link #STORE_PUBLISH_DELAY}. */
  public static final String BACKUP_INTERVAL = "backupInterval";

  /** {@code upstream} (per-user authorization by the upstream) or {@code none}. */
  public static final String CLIENT_AUTH = "clientAuth";

  /** How long an upstream's allow of a client is trusted. */
  public static final String CLIENT_AUTH_TTL = "clientAuthTtl";

  /** How old an allow may be and still be honoured while the upstream is down. */
  public static final String CLIENT_AUTH_GRACE = "clientAuthGrace";
  /** The mirrors' disk budget in bytes. */
  public static final String CACHE_MAX_BYTES = "cacheMaxBytes";

  /** The least usable space, in bytes, the cache root's disk must keep. */
  public static final String CACHE_MIN_FREE_BYTES = "cacheMinFreeBytes";
  /** The heap budget of the cached ls-refs listings, in bytes. */
  public static final String LS_REFS_CACHE_MAX_BYTES = "lsRefsCacheMaxBytes";

  /** Every parameter name this class reads. */
  public static final List<String> NAMES =
      List.of(
          CACHE_ROOT,
          UPSTREAMS,
          OFFLINE_MODE,
          LS_REFS_CACHE_TTL,
          LS_REFS_MAX_STALENESS,
          UPSTREAM_TIMEOUT,
          STORE_DIRECTORY,
          STORE_PUBLISH_DELAY,
          RESTORE_ALL_AT_START,
          BACKUP_DIRECTORY,
          BACKUP_INTERVAL,
          CLIENT_AUTH,
          CLIENT_AUTH_TTL,
          CLIENT_AUTH_GRACE,
          CACHE_MAX_BYTES,
          CACHE_MIN_FREE_BYTES,
          LS_REFS_CACHE_MAX_BYTES);

  private static final Logger log = LoggerFactory.getLogger(InitParameters.class);

  private InitParameters() {}

  /**
   * @param servletConfig the servlet's config
   * @return the proxy config
   * @throws ServletException naming the parameter that is missing or wrong
   */
  public static ServerConfig toConfig(ServletConfig servletConfig) throws ServletException {
    try {
      return toBuilder(servletConfig::getInitParameter).build();
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new ServletException("invalid Goblet init parameters: " + e.getMessage(), e);
    }
  }

  /**
   * Reads the parameters from any source, leaving the builder open for what text cannot express
   * (hooks, credentials, a metric registry).
   *
   * @param parameters looks a parameter up by name; {@code null} or blank means not set
   * @return a builder holding the parameters' values
   * @throws IllegalArgumentException naming the parameter that is missing or wrong
   */
  public static ServerConfig.Builder toBuilder(Function<String, String> parameters) {
    Objects.requireNonNull(parameters, "parameters");
    ServerConfig.Builder builder = ServerConfig.builder();
    builder.cacheRoot(Path.of(required(parameters, CACHE_ROOT)));
    builder.allowedUpstreams(upstreams(required(parameters, UPSTREAMS)));
    ifSet(parameters, OFFLINE_MODE, v -> builder.offlineMode(bool(OFFLINE_MODE, v)));
    ifSet(parameters, LS_REFS_CACHE_TTL,
        v -> builder.lsRefsCacheTtl(duration(LS_REFS_CACHE_TTL, v)));
    ifSet(parameters, LS_REFS_MAX_STALENESS,
        v -> builder.lsRefsMaxStaleness(duration(LS_REFS_MAX_STALENESS, v)));
    ifSet(parameters, UPSTREAM_TIMEOUT,
        v -> builder.upstreamTimeout(duration(UPSTREAM_TIMEOUT, v)));
    snapshotStore(parameters, builder);
    ifSet(parameters, CACHE_MAX_BYTES, v -> builder.cacheMaxBytes(bytes(CACHE_MAX_BYTES, v)));
    ifSet(parameters, CACHE_MIN_FREE_BYTES,
        v -> builder.cacheMinFreeBytes(bytes(CACHE_MIN_FREE_BYTES, v)));
    ifSet(parameters, LS_REFS_CACHE_MAX_BYTES,
        v -> builder.lsRefsCacheMaxBytes(bytes(LS_REFS_CACHE_MAX_BYTES, v)));
    clientAuth(parameters).ifPresent(builder::upstreamAuthorization);
    return builder;
  }

  /**
   * Reads the snapshot store's parameters, and their deprecated names. The delay and {@code
   * restoreAllAtStart} are read without a directory too: a host may add its store in code.
   */
  private static void snapshotStore(
      Function<String, String> parameters, ServerConfig.Builder builder) {
    String directory = renamed(parameters, BACKUP_DIRECTORY, STORE_DIRECTORY);
    renamed(parameters, BACKUP_INTERVAL, STORE_PUBLISH_DELAY); // at most one of them is set
    if (directory != null) {
      builder.snapshotStore(SnapshotStore.filesystem(Path.of(directory)));
    }
    durationSetting(parameters, STORE_PUBLISH_DELAY, builder::storePublishDelay);
    durationSetting(parameters, BACKUP_INTERVAL, builder::storePublishDelay);
    String restoreAll = optional(parameters, RESTORE_ALL_AT_START);
    if (restoreAll != null) {
      builder.restoreAllAtStart(bool(RESTORE_ALL_AT_START, restoreAll));
    } else if (optional(parameters, BACKUP_DIRECTORY) != null) {
      builder.restoreAllAtStart(true); // what the bundle backups did
    }
  }

  /** @return the value of {@code name}, or of its deprecated {@code old} name (with a warning) */
  private static String renamed(Function<String, String> parameters, String old, String name) {
    String oldValue = optional(parameters, old);
    String value = optional(parameters, name);
    if (oldValue != null && value != null) {
      throw new IllegalArgumentException(
          "'" + old + "' and '" + name + "' are both set; set only '" + name + "'");
    }
    if (oldValue != null) {
      log.warn("the init parameter '{}' is deprecated: it is read as '{}'; rename it", old, name);
      return oldValue;
    }
    return value;
  }

  private static long bytes(String name, String value) {
    try {
      return Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "'" + name + "' must be a number of bytes such as 10737418240, not '" + value + "'", e);
    }
  }

  private static Optional<UpstreamAuthorization> clientAuth(Function<String, String> parameters) {
    String mode = optional(parameters, CLIENT_AUTH);
    if (mode == null || mode.equals("none")) {
      for (String name : List.of(CLIENT_AUTH_TTL, CLIENT_AUTH_GRACE)) {
        if (optional(parameters, name) != null) {
          throw new IllegalArgumentException(
              "'" + name + "' is set but '" + CLIENT_AUTH + "' is not 'upstream'");
        }
      }
      return Optional.empty();
    }
    if (!mode.equals("upstream")) {
      throw new IllegalArgumentException(
          "'" + CLIENT_AUTH + "' must be upstream or none, not '" + mode + "'");
    }
    UpstreamAuthorization.Builder auth = UpstreamAuthorization.builder();
    durationSetting(parameters, CLIENT_AUTH_TTL, auth::ttl);
    durationSetting(parameters, CLIENT_AUTH_GRACE, auth::grace);
    return Optional.of(auth.build());
  }

  /** Applies a duration parameter, naming it when the value is refused. */
  private static void durationSetting(
      Function<String, String> parameters, String name, Consumer<Duration> apply) {
    ifSet(parameters, name, v -> {
      Duration value = duration(name, v);
      try {
        apply.accept(value);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("'" + name + "': " + e.getMessage(), e);
      }
    });
  }

  private static List<URI> upstreams(String value) {
    List<URI> upstreams =
        Arrays.stream(value.split(","))
            .map(String::trim)
            .filter(s -> !s.isEmpty())
            .map(InitParameters::uri)
            .toList();
    if (upstreams.isEmpty()) {
      throw new IllegalArgumentException("'" + UPSTREAMS + "' names no upstream: " + value);
    }
    return upstreams;
  }

  private static URI uri(String value) {
    try {
      return URI.create(value);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + UPSTREAMS + "' has an invalid URL: " + value, e);
    }
  }

  private static boolean bool(String name, String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "true" -> true;
      case "false" -> false;
      default ->
          throw new IllegalArgumentException(
              "'" + name + "' must be true or false, not '" + value + "'");
    };
  }

  private static Duration duration(String name, String value) {
    try {
      return Duration.parse(value);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException(
          "'" + name + "' must be an ISO-8601 duration such as PT5M, not '" + value + "'", e);
    }
  }

  private static String required(Function<String, String> parameters, String name) {
    String value = optional(parameters, name);
    if (value == null) {
      throw new IllegalArgumentException("the parameter '" + name + "' is required");
    }
    return value;
  }

  private static void ifSet(
      Function<String, String> parameters, String name, Consumer<String> apply) {
    String value = optional(parameters, name);
    if (value != null) {
      apply.accept(value);
    }
  }

  private static String optional(Function<String, String> parameters, String name) {
    String value = parameters.apply(name);
    return value == null || value.isBlank() ? null : value.trim();
  }
}
