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

  private final List<UpstreamBase> bases;

  AllowListCanonicalizer(Collection<URI> allowedUpstreams) {
    if (allowedUpstreams == null || allowedUpstreams.isEmpty()) {
      throw new IllegalArgumentException("allowed upstreams must name at least one base URL");
    }
    List<UpstreamBase> list = new ArrayList<>();
    for (URI uri : allowedUpstreams) {
      list.add(UpstreamBase.of(uri));
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
    for (UpstreamBase base : bases) {
      if (base.authority().equals(authority) && base.covers(path)) {
        try {
          return new URI(base.scheme() + "://" + base.authority() + path);
        } catch (URISyntaxException e) {
          throw new GobletException(Status.BAD_REQUEST, "invalid repository path", e);
        }
      }
    }
    throw new GobletException(
        Status.FORBIDDEN, "upstream " + authority + path + " is not on this proxy's allow-list");
  }
}
