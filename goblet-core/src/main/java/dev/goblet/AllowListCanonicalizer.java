package dev.goblet;

import dev.goblet.repository.RepositoryPaths;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;

/** {@link UrlCanonicalizer#allowList}: maps {@code /<host[:port]>/<path>} onto allowed bases. */
final class AllowListCanonicalizer implements UrlCanonicalizer {
  private static final int MAX_SEGMENTS = 16;

  private final List<Base> bases;

  AllowListCanonicalizer(Collection<URI> allowedUpstreams) {
    if (allowedUpstreams == null || allowedUpstreams.isEmpty()) {
      throw new IllegalArgumentException("allowed upstreams must name at least one base URL");
    }
    List<Base> list = new ArrayList<>();
    for (URI uri : allowedUpstreams) {
      list.add(Base.of(uri));
    }
    this.bases = List.copyOf(list);
  }

  @Override
  public URI canonicalize(String repositoryPath) throws GobletException {
    if (repositoryPath == null || !repositoryPath.startsWith("/")) {
      throw new GobletException(Status.BAD_REQUEST, "the path must start with /<host>/");
    }
    String[] parts = repositoryPath.substring(1).split("/", -1);
    if (parts.length < 2) {
      throw new GobletException(
          Status.BAD_REQUEST, "the path must name a repository as /<host>/<path>");
    }
    String authority = parts[0].toLowerCase(Locale.ROOT);
    List<String> segments = new ArrayList<>();
    for (int i = 1; i < parts.length; i++) {
      String segment = parts[i];
      if (i == parts.length - 1 && segment.endsWith(".git")) {
        segment = segment.substring(0, segment.length() - 4);
      }
      if (!RepositoryPaths.isValidSegment(segment)) {
        throw new GobletException(
            Status.BAD_REQUEST,
            "invalid repository path segment: each must be letters, digits, '.', '_', '~', '+' or"
                + " '-', must not start with '.' or '-', and must not end in .lock or .git");
      }
      segments.add(segment);
    }
    if (segments.size() > MAX_SEGMENTS) {
      throw new GobletException(Status.BAD_REQUEST, "repository path is too deep");
    }
    String path = "/" + String.join("/", segments);
    for (Base base : bases) {
      if (base.authority.equals(authority) && base.covers(path)) {
        try {
          return new URI(base.scheme + "://" + base.authority + path);
        } catch (URISyntaxException e) {
          throw new GobletException(Status.BAD_REQUEST, "invalid repository path", e);
        }
      }
    }
    throw new GobletException(
        Status.FORBIDDEN, "upstream " + authority + path + " is not on this proxy's allow-list");
  }

  private record Base(String scheme, String authority, String pathPrefix) {
    static Base of(URI uri) {
      if (uri == null || !uri.isAbsolute() || uri.isOpaque()) {
        throw new IllegalArgumentException("allowed upstream must be an absolute URL: " + uri);
      }
      String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
      if (!scheme.equals("http") && !scheme.equals("https")) {
        throw new IllegalArgumentException("allowed upstream must be http or https: " + uri);
      }
      if (uri.getHost() == null || uri.getRawUserInfo() != null || uri.getRawQuery() != null
          || uri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            "allowed upstream must have a host and no user info, query or fragment: " + uri);
      }
      String authority = uri.getHost().toLowerCase(Locale.ROOT)
          + (uri.getPort() == -1 ? "" : ":" + uri.getPort());
      String path = uri.getPath() == null ? "" : uri.getPath();
      while (path.endsWith("/")) {
        path = path.substring(0, path.length() - 1);
      }
      return new Base(scheme, authority, path);
    }

    boolean covers(String path) {
      return pathPrefix.isEmpty() || path.startsWith(pathPrefix + "/");
    }
  }
}
