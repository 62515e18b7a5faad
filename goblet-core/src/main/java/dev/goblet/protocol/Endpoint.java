package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;

/**
 * The Git smart HTTP endpoints, and the split of a request path into repository path and endpoint.
 * Immutable.
 */
public enum Endpoint {
  /** {@code GET .../info/refs?service=...}: the capability or ref advertisement. */
  INFO_REFS("/info/refs"),
  /** {@code POST .../git-upload-pack}: clone and fetch. */
  UPLOAD_PACK("/git-upload-pack"),
  /** {@code POST .../git-receive-pack}: push, which the proxy refuses. */
  RECEIVE_PACK("/git-receive-pack");

  private final String suffix;

  Endpoint(String suffix) {
    this.suffix = suffix;
  }

  /**
   * A request path split into the repository and the endpoint.
   *
   * @param repositoryPath the path without the endpoint suffix, such as {@code /github.com/o/r}
   * @param endpoint the endpoint
   */
  public record Route(String repositoryPath, Endpoint endpoint) {}

  /**
   * @param path the request path below the mount point
   * @return the route
   * @throws GobletException ({@link Status#NOT_FOUND}) when the path names no Git endpoint, ({@link
   *     Status#BAD_REQUEST}) when it holds characters no repository path has
   */
  public static Route route(String path) throws GobletException {
    if (path == null || path.isEmpty()) {
      throw new GobletException(Status.NOT_FOUND, "not a Git smart HTTP endpoint");
    }
    for (int i = 0; i < path.length(); i++) {
      char c = path.charAt(i);
      if (c < 0x20 || c == 0x7f || c == '\\') {
        throw new GobletException(
            Status.BAD_REQUEST, "the path holds a control character or a backslash");
      }
    }
    for (Endpoint endpoint : values()) {
      if (path.endsWith(endpoint.suffix) && path.length() > endpoint.suffix.length()) {
        return new Route(path.substring(0, path.length() - endpoint.suffix.length()), endpoint);
      }
    }
    throw new GobletException(
        Status.NOT_FOUND,
        "not a Git smart HTTP endpoint: the path must end in /info/refs or /git-upload-pack");
  }
}
