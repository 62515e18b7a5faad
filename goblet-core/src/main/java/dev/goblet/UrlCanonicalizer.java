package dev.goblet;

import java.net.URI;
import java.util.Collection;

/**
 * Maps the repository part of a request path to the upstream repository it stands for, or refuses.
 *
 * <p>Called on request threads, concurrently; it must be thread-safe and should be fast. A thrown
 * {@link GobletException} is the answer to the request (typically {@link Status#FORBIDDEN} for an
 * upstream that is not allowed, {@link Status#BAD_REQUEST} for a malformed path).
 */
@FunctionalInterface
public interface UrlCanonicalizer {
  /**
   * @param repositoryPath the request path with the Git endpoint ({@code /info/refs},
   *     {@code /git-upload-pack}) removed, for example {@code /github.com/owner/repo.git}
   * @return the canonical upstream repository URL, for example {@code
   *     https://github.com/owner/repo}: absolute, {@code http} or {@code https}, no user info, no
   *     query, no trailing {@code .git} or slash. Two paths that name one repository must map to
   *     equal URLs: the URL names the mirror.
   * @throws GobletException to refuse the request
   */
  URI canonicalize(String repositoryPath) throws GobletException;

  /**
   * The default canonicalizer: {@code /<host[:port]>/<path>[.git]} maps to {@code
   * <scheme>://<host[:port]>/<path>} when {@code <scheme>://<host[:port]>} is one of {@code
   * allowedUpstreams}; anything else is refused. The proxy never becomes an open relay.
   *
   * @param allowedUpstreams base URLs such as {@code https://github.com} or {@code
   *     http://127.0.0.1:9000}; each with scheme http or https, a host, an optional port and an
   *     optional path prefix
   * @return the canonicalizer
   */
  static UrlCanonicalizer allowList(Collection<URI> allowedUpstreams) {
    return new AllowListCanonicalizer(allowedUpstreams);
  }
}
