package dev.goblet.examples;

import dev.goblet.AdminAuthorizer;
import dev.goblet.ServerConfig;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.InitParameters;
import jakarta.servlet.ServletContext;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * The example web app's settings. Each setting {@code goblet.<name>} is read from the system
 * property of that name, else from the servlet context init parameter of that name, else it takes
 * its default; a blank value counts as unset.
 *
 * <table>
 *   <caption>Settings</caption>
 *   <tr><th>Name</th><th>Default</th><th>Meaning</th></tr>
 *   <tr><td>{@code goblet.cacheRoot}</td><td>{@code ~/.cache/goblet}</td>
 *       <td>the mirrors' directory</td></tr>
 *   <tr><td>{@code goblet.upstreams}</td><td>{@value #DEFAULT_UPSTREAMS}</td>
 *       <td>comma-separated allowed upstream base URLs</td></tr>
 *   <tr><td>{@code goblet.offlineMode}</td><td>{@code true}</td>
 *       <td>serve ls-refs from the cache when the upstream fails</td></tr>
 *   <tr><td>{@code goblet.lsRefsCacheTtl}</td><td>{@code PT5M}</td>
 *       <td>how long a cached ls-refs answer counts as fresh (ISO-8601)</td></tr>
 *   <tr><td>{@code goblet.lsRefsMaxStaleness}</td><td>no limit</td>
 *       <td>cached refs older than this are never served (ISO-8601)</td></tr>
 *   <tr><td>{@code goblet.upstreamTimeout}</td><td>{@code PT10S}</td>
 *       <td>an upstream ls-refs slower than this falls back to the cache (ISO-8601)</td></tr>
 *   <tr><td>{@code goblet.upstreamTokens}</td><td>none</td>
 *       <td>comma-separated {@code <upstream base URL>=env:<VARIABLE>} or {@code
 *       =file:<path>}: each listed upstream's own token, sent only to it as {@code
 *       Authorization: Bearer <token>}</td></tr>
 *   <tr><td>{@code goblet.adminToken}</td><td>none: the admin API answers 403</td>
 *       <td>{@code env:<VARIABLE>} or {@code file:<path>}: the bearer token of the admin API</td></tr>
 *   <tr><td>{@code goblet.clientAuth}</td><td>{@code none}</td>
 *       <td>{@code upstream}: the upstream decides, per user and repository, who may read</td></tr>
 *   <tr><td>{@code goblet.clientAuthTtl}, {@code goblet.clientAuthGrace}</td>
 *       <td>{@code PT5M}, {@code PT8H}</td>
 *       <td>how long an upstream's allow is trusted, and honoured during an outage (ISO-8601)</td></tr>
 *   <tr><td>{@code goblet.cacheMaxBytes}</td><td>no limit</td>
 *       <td>the mirrors' disk budget in bytes; least recently served mirrors are evicted</td></tr>
 *   <tr><td>{@code goblet.cacheMinFreeBytes}</td><td>no floor</td>
 *       <td>the least usable bytes the cache root's disk keeps; least recently served mirrors are
 *       evicted below it</td></tr>
 *   <tr><td>{@code goblet.lsRefsCacheMaxBytes}</td><td>{@code 67108864} (64 MiB)</td>
 *       <td>the heap the cached ls-refs listings may hold, in bytes; least recently used
 *       repositories are evicted</td></tr>
 * </table>
 *
 * <p>Secrets are never a setting's value: {@code env:} and {@code file:} name where they are, so
 * they show in no {@code ps} output or log. The old {@code goblet.upstreamToken} (one token for
 * every upstream) is refused.
 *
 * <p>The fleet's settings ({@code goblet.store}, {@code goblet.s3.*}) are those of {@link
 * ExampleStoreSettings}; {@code goblet.storePublishDelay} and {@code goblet.restoreAllAtStart} are
 * read with the others.
 *
 * <p>The names after the prefix are those of {@link InitParameters}, which does the parsing. The
 * listen address ({@code goblet.port}, {@code goblet.host}) belongs to the container, not to the
 * app: {@code mvn jetty:run} reads it (see the module's pom).
 *
 * <p>Immutable and thread-safe when its source is.
 */
public final class ExampleSettings {
  /** The prefix of every setting's name. */
  public static final String PREFIX = "goblet.";

  /** The name (after {@link #PREFIX}) of the per-upstream token setting. */
  public static final String UPSTREAM_TOKENS = "upstreamTokens";

  /** The name (after {@link #PREFIX}) of the admin API's token setting. */
  public static final String ADMIN_TOKEN = "adminToken";

  /** The removed single-token setting, refused with a pointer to its replacement. */
  static final String REMOVED_UPSTREAM_TOKEN = "upstreamToken";

  /** The allowed upstreams unless {@code goblet.upstreams} says otherwise. */
  public static final String DEFAULT_UPSTREAMS = "https://github.com,https://gitlab.com";

  private final Function<String, String> source;
  private final Function<String, String> environment;

  private ExampleSettings(Function<String, String> source, Function<String, String> environment) {
    this.source = Objects.requireNonNull(source, "source");
    this.environment = Objects.requireNonNull(environment, "environment");
  }

  /**
   * @param context the web app's context, whose init parameters back up the system properties
   * @return the settings from system properties, else the context's init parameters
   */
  public static ExampleSettings of(ServletContext context) {
    Objects.requireNonNull(context, "context");
    return of(firstSet(System::getProperty, context::getInitParameter));
  }

  /** @return a source asking {@code first}, then {@code second} when {@code first} has no value */
  static Function<String, String> firstSet(
      Function<String, String> first, Function<String, String> second) {
    return name -> {
      String value = first.apply(name);
      return isSet(value) ? value : second.apply(name);
    };
  }

  /**
   * @param source looks a setting up by its full name, such as {@code goblet.cacheRoot}; returns
   *     {@code null} when it is not set
   * @return the settings from that source
   */
  public static ExampleSettings of(Function<String, String> source) {
    return of(source, System::getenv);
  }

  /**
   * @param source looks a setting up by its full name; returns {@code null} when it is not set
   * @param environment looks an environment variable up (for {@code env:} secrets)
   * @return the settings from that source
   */
  public static ExampleSettings of(
      Function<String, String> source, Function<String, String> environment) {
    return new ExampleSettings(source, environment);
  }

  /** @return {@code ~/.cache/goblet}, the cache root unless {@code goblet.cacheRoot} is set */
  public static Path defaultCacheRoot() {
    return Path.of(System.getProperty("user.home"), ".cache", "goblet");
  }

  /**
   * @param name a setting's name after {@link #PREFIX}, such as {@code cacheRoot}
   * @return its value, or its default; {@code null} when neither is set
   */
  public String get(String name) {
    String value = source.apply(PREFIX + name);
    if (isSet(value)) {
      return value.trim();
    }
    return switch (name) {
      case InitParameters.CACHE_ROOT -> defaultCacheRoot().toString();
      case InitParameters.UPSTREAMS -> DEFAULT_UPSTREAMS;
      default -> null;
    };
  }

  /**
   * @return a builder holding these settings, for the caller to add hooks to and build
   * @throws IllegalArgumentException naming the setting that is wrong
   */
  public ServerConfig.Builder toConfigBuilder() {
    ServerConfig.Builder builder;
    try {
      builder = InitParameters.toBuilder(this::get);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "invalid Goblet setting (each is the system property or context parameter "
              + PREFIX + "<name>): " + e.getMessage(),
          e);
    }
    if (get(REMOVED_UPSTREAM_TOKEN) != null) {
      throw new IllegalArgumentException(
          PREFIX + REMOVED_UPSTREAM_TOKEN + " (one token for every upstream) was removed: give each"
              + " upstream its own with " + PREFIX + UPSTREAM_TOKENS
              + "=<upstream base URL>=env:<VARIABLE> (or =file:<path>)");
    }
    String tokens = get(UPSTREAM_TOKENS);
    if (tokens != null) {
      builder.upstreamCredentials(UpstreamCredentials.perUpstream(upstreamTokens(tokens)));
    }
    String admin = get(ADMIN_TOKEN);
    if (admin != null) {
      builder.adminAuthorizer(
          AdminAuthorizer.bearerToken(SecretReference.read(PREFIX + ADMIN_TOKEN, admin, environment)));
    }
    try {
      return ExampleStoreSettings.apply(this::get).apply(builder);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid Goblet setting: " + e.getMessage(), e);
    }
  }

  /** @return each listed upstream's bearer token, read now from its variable or file */
  private Map<URI, UpstreamCredentials> upstreamTokens(String value) {
    List<String> allowed =
        Arrays.stream(get(InitParameters.UPSTREAMS).split(",")).map(ExampleSettings::base).toList();
    Map<URI, UpstreamCredentials> byBase = new LinkedHashMap<>();
    for (String entry : value.split(",")) {
      int eq = entry.indexOf('=');
      String base = eq < 0 ? "" : base(entry.substring(0, eq));
      if (base.isEmpty()) {
        throw new IllegalArgumentException(
            PREFIX + UPSTREAM_TOKENS + " entries must be <upstream base URL>=env:<VARIABLE> or"
                + " <upstream base URL>=file:<path>");
      }
      if (!allowed.contains(base)) {
        throw new IllegalArgumentException(
            PREFIX + UPSTREAM_TOKENS + " names " + base + ", which is not one of "
                + PREFIX + InitParameters.UPSTREAMS);
      }
      String token =
          SecretReference.read(
              PREFIX + UPSTREAM_TOKENS + " (" + base + ")", entry.substring(eq + 1).trim(),
              environment);
      if (byBase.put(URI.create(base), UpstreamCredentials.bearer(() -> token)) != null) {
        throw new IllegalArgumentException(PREFIX + UPSTREAM_TOKENS + " lists " + base + " twice");
      }
    }
    return byBase;
  }

  private static String base(String url) {
    String base = url.trim();
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base;
  }

  /** @return the settings in effect as {@code goblet.name=value} pairs; secrets are references */
  public String describe() {
    List<String> pairs = new ArrayList<>();
    List<String> names = new ArrayList<>(InitParameters.NAMES);
    names.addAll(ExampleStoreSettings.NAMES);
    for (String name : names) {
      String value = get(name);
      if (value != null) {
        pairs.add(PREFIX + name + "=" + value);
      }
    }
    for (String name : List.of(UPSTREAM_TOKENS, ADMIN_TOKEN)) {
      // env:/file: references name where a secret is, never the secret
      pairs.add(PREFIX + name + "=" + (get(name) == null ? "(none)" : get(name)));
    }
    return String.join(" ", pairs);
  }

  private static boolean isSet(String value) {
    return value != null && !value.isBlank();
  }
}
