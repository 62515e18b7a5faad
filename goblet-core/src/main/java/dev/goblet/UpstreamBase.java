package dev.goblet;

import java.net.URI;
import java.util.Locale;

/**
 * An upstream base URL, {@code <scheme>://<host[:port]>[/prefix]}, and which repository URLs it
 * covers. Immutable.
 *
 * @param scheme {@code http} or {@code https}
 * @param authority {@code host[:port]}, lower case
 * @param pathPrefix the path without a trailing slash; empty for a whole server
 */
record UpstreamBase(String scheme, String authority, String pathPrefix) {
  /**
   * @param uri an absolute http(s) URL with a host and no user info, query or fragment
   * @return the base
   * @throws IllegalArgumentException naming what is wrong with {@code uri}
   */
  static UpstreamBase of(URI uri) {
    if (uri == null || !uri.isAbsolute() || uri.isOpaque()) {
      throw new IllegalArgumentException("an upstream base must be an absolute URL: " + uri);
    }
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("an upstream base must be http or https: " + uri);
    }
    if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
        || uri.getRawFragment() != null) {
      throw new IllegalArgumentException(
          "an upstream base must have a host and no user info, query or fragment: " + uri);
    }
    String authority = uri.getHost().toLowerCase(Locale.ROOT)
        + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
    String path = uri.getPath() == null ? "" : uri.getPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    return new UpstreamBase(scheme, authority, path);
  }

  /**
   * @param path a repository path on this base's server, starting with {@code /}
   * @return whether the path lies below this base
   */
  boolean covers(String path) {
    return pathPrefix.isEmpty() || path.startsWith(pathPrefix + "/");
  }

  /**
   * @param repository a canonical repository URL
   * @return whether it lies below this base: same scheme and server, path below the prefix
   */
  boolean covers(URI repository) {
    String host = repository.getHost();
    if (repository.getScheme() == null || host == null) {
      return false;
    }
    String repoAuthority = host.toLowerCase(Locale.ROOT)
        + (repository.getPort() == -1 ? "" : ":" + repository.getPort());
    return scheme.equalsIgnoreCase(repository.getScheme())
        && authority.equals(repoAuthority)
        && covers(repository.getPath() == null ? "" : repository.getPath());
  }

  @Override
  public String toString() {
    return scheme + "://" + authority + pathPrefix;
  }
}
