package dev.goblet;

/**
 * Decides whether a request may use the proxy. It runs before anything else, so a refused request
 * never reaches the upstream or the cache.
 *
 * <p>Called on request threads, concurrently; it must be thread-safe. A thrown {@link
 * GobletException} is the answer to the request ({@link Status#UNAUTHORIZED} makes the proxy ask
 * for credentials with {@code WWW-Authenticate}).
 */
@FunctionalInterface
public interface RequestAuthorizer {
  /** Lets every request through; for proxies reachable only by trusted clients. */
  RequestAuthorizer ALLOW_ALL = request -> {};

  /**
   * @param request the request, whose body must not be read here
   * @throws GobletException to refuse the request
   */
  void authorize(GitRequest request) throws GobletException;

  /**
   * @param token the one bearer token that is accepted
   * @return an authorizer that accepts {@code Authorization: Bearer <token>} and answers 401
   *     otherwise; the token is compared in constant time
   */
  static RequestAuthorizer bearerToken(String token) {
    return new BearerTokenAuthorizer(token);
  }
}
