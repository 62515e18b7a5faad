package dev.goblet.repository;

import java.net.URI;
import java.nio.file.Path;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Where a mirror lives: {@code <cacheRoot>/<host>[_<port>]/<path>.git}. Every name is checked so
 * that no upstream URL, whatever canonicalizer produced it, leads outside the cache root.
 * Thread-safe (stateless).
 */
public final class RepositoryPaths {
  /** One path segment: no dot-only names, no separators, no controls, not starting with . or -. */
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._~+-]{0,199}");

  private static final Pattern HOST = Pattern.compile("[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?");

  private static final Pattern PORT = Pattern.compile("[1-9][0-9]{0,4}");

  private RepositoryPaths() {}

  /**
   * @param segment one segment of a repository path
   * @return whether it may name a directory under the cache root
   */
  public static boolean isValidSegment(String segment) {
    return SEGMENT.matcher(segment).matches()
        && !segment.endsWith(".lock")
        && !segment.endsWith(".git");
  }

  /**
   * @param key a string that may be a cache key, such as one typed into an admin URL
   * @return whether it has the form of a key {@link #key(URI)} returns: {@code <host>[_<port>]}
   *     followed by one or more valid segments, each after a {@code /}
   */
  public static boolean isValidKey(String key) {
    String[] parts = key.split("/", -1);
    if (parts.length < 2) {
      return false;
    }
    String hostDir = parts[0];
    int underscore = hostDir.lastIndexOf('_');
    String host = underscore < 0 ? hostDir : hostDir.substring(0, underscore);
    if (!HOST.matcher(host).matches() || host.contains("..")) {
      return false;
    }
    if (underscore >= 0
        && !(PORT.matcher(hostDir.substring(underscore + 1)).matches()
            && Integer.parseInt(hostDir.substring(underscore + 1)) <= 65535)) {
      return false;
    }
    for (int i = 1; i < parts.length; i++) {
      if (!isValidSegment(parts[i])) {
        return false;
      }
    }
    return true;
  }

  /**
   * @param upstream a canonical upstream URL
   * @return the cache key, {@code <host>[_<port>]/<path>}, for example {@code github.com/o/r}
   * @throws IllegalArgumentException when the URL could lead outside the cache root
   */
  public static String key(URI upstream) {
    String scheme = upstream.getScheme() == null ? "" : upstream.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("upstream must be http or https: " + upstream);
    }
    String host = upstream.getHost() == null ? "" : upstream.getHost().toLowerCase(Locale.ROOT);
    if (!HOST.matcher(host).matches() || host.contains("..")) {
      throw new IllegalArgumentException("upstream host is not a plain host name: " + upstream);
    }
    if (upstream.getRawUserInfo() != null || upstream.getRawQuery() != null) {
      throw new IllegalArgumentException("upstream must not carry user info or a query");
    }
    String path = upstream.getRawPath(); // raw: an encoded slash or dot never passes as one
    if (path == null || !path.startsWith("/") || path.length() < 2) {
      throw new IllegalArgumentException("upstream has no repository path: " + upstream);
    }
    String[] segments = path.substring(1).split("/", -1);
    for (String segment : segments) {
      if (!isValidSegment(segment)) {
        throw new IllegalArgumentException("upstream path has an invalid segment: " + upstream);
      }
    }
    String hostDir = upstream.getPort() == -1 ? host : host + "_" + upstream.getPort();
    return hostDir + path;
  }

  /**
   * @param cacheRoot the cache root, absolute and normalized
   * @param upstream a canonical upstream URL
   * @return the mirror's directory, always inside {@code cacheRoot}
   * @throws IllegalArgumentException when the URL could lead outside the cache root
   */
  public static Path directory(Path cacheRoot, URI upstream) {
    Path dir = cacheRoot.resolve(key(upstream) + ".git").normalize();
    if (!dir.startsWith(cacheRoot) || dir.equals(cacheRoot)) {
      throw new IllegalArgumentException("upstream maps outside the cache root: " + upstream);
    }
    return dir;
  }
}
