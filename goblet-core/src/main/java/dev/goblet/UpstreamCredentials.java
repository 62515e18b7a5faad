package dev.goblet;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The credentials the proxy presents to an upstream (the Go original's token source), chosen for
 * each upstream repository URL. The value is sent as the {@code Authorization} header of the
 * upstream requests for that repository, only to its own host (the proxy follows no redirects),
 * and never logged. With several upstreams, give each its own with {@link #perUpstream}: a GitHub
 * token must not reach a self-hosted GitLab, or the reverse.
 *
 * <p>Called concurrently from request and background threads; it must be thread-safe. It may block
 * briefly (to refresh a token). An exception fails the upstream request, which then counts as an
 * upstream failure.
 */
@FunctionalInterface
public interface UpstreamCredentials {
  /** Sends no credentials. */
  UpstreamCredentials NONE = upstream -> Optional.empty();

  /**
   * @param upstream the canonical upstream repository URL
   * @return the full {@code Authorization} header value, for example {@code Bearer abc}, or empty
   * @throws IOException when the credentials cannot be had
   */
  Optional<String> authorization(URI upstream) throws IOException;

  /**
   * @param token supplies the current token; called for each upstream request
   * @return credentials that send {@code Authorization: Bearer <token>} to <em>every</em> upstream;
   *     with more than one upstream, wrap them in {@link #perUpstream}
   */
  static UpstreamCredentials bearer(Supplier<String> token) {
    return upstream -> Optional.of("Bearer " + token.get());
  }

  /**
   * @param byBaseUrl credentials per upstream base URL ({@code <scheme>://<host[:port]>[/prefix]},
   *     as given to the allow-list)
   * @return credentials that give a repository those of the longest base covering it (same
   *     scheme, host and port; path below the prefix), and none to a repository no base covers
   * @throws IllegalArgumentException for a base that is not an absolute http(s) URL with a host
   *     and no user info, query or fragment, or one listed twice
   */
  static UpstreamCredentials perUpstream(Map<URI, ? extends UpstreamCredentials> byBaseUrl) {
    return new PerUpstreamCredentials(byBaseUrl);
  }
}
