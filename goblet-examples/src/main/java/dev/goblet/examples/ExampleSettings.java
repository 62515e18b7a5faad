package dev.goblet.examples;

import dev.goblet.ServerConfig;
import dev.goblet.UpstreamCredentials;
import dev.goblet.servlet.InitParameters;
import jakarta.servlet.ServletContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 *   <tr><td>{@code goblet.upstreamToken}</td><td>none</td>
 *       <td>sent to every allowed upstream as {@code Authorization: Bearer <token>}</td></tr>
 * </table>
 *
 * <p>The fleet's settings ({@code goblet.store}, {@code goblet.s3.*}, {@code
 * goblet.storePublishDelay}) are those of {@link ExampleStoreSettings}.
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

  /** The name (after {@link #PREFIX}) of the upstream token setting. */
  public static final String UPSTREAM_TOKEN = "upstreamToken";

  /** The allowed upstreams unless {@code goblet.upstreams} says otherwise. */
  public static final String DEFAULT_UPSTREAMS = "https://github.com,https://gitlab.com";

  private final Function<String, String> source;

  private ExampleSettings(Function<String, String> source) {
    this.source = Objects.requireNonNull(source, "source");
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
    return new ExampleSettings(source);
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
    String token = get(UPSTREAM_TOKEN);
    if (token != null) {
      builder.upstreamCredentials(UpstreamCredentials.bearer(() -> token));
    }
    try {
      return ExampleStoreSettings.apply(this::get).apply(builder);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid Goblet setting: " + e.getMessage(), e);
    }
  }

  /** @return the settings in effect as {@code goblet.name=value} pairs, the token masked */
  public String describe() {
    List<String> pairs = new ArrayList<>();
    for (String name : InitParameters.NAMES) {
      String value = get(name);
      if (value != null) {
        pairs.add(PREFIX + name + "=" + value);
      }
    }
    pairs.add(PREFIX + UPSTREAM_TOKEN + "=" + (get(UPSTREAM_TOKEN) == null ? "(none)" : "(set)"));
    for (String name : ExampleStoreSettings.NAMES) {
      String value = get(name);
      if (value != null) {
        pairs.add(PREFIX + name + "=" + value);
      }
    }
    return String.join(" ", pairs);
  }

  private static boolean isSet(String value) {
    return value != null && !value.isBlank();
  }
}
