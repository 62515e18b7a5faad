package dev.goblet;

/**
 * Decides whether a request may use the admin API (switch the upstream off, drop cached refs,
 * trigger fetches and snapshots, read every repository's refs and local paths). It is separate from
 * the {@link RequestAuthorizer}: being allowed to clone never grants it. The default, {@link
 * #DENY_ALL}, refuses everything, so the admin API is closed until the host configures one.
 *
 * <p>Called on request threads, concurrently; it must be thread-safe. A thrown {@link
 * GobletException} is the answer to the request ({@link Status#UNAUTHORIZED} makes the admin API
 * ask for credentials with {@code WWW-Authenticate}).
 */
@FunctionalInterface
public interface AdminAuthorizer {
  /** Refuses every admin request with 403: the admin API is closed. The default. */
  AdminAuthorizer DENY_ALL =
      request -> {
        throw new GobletException(
            Status.FORBIDDEN,
            "the admin API is closed: this proxy has no admin authorizer configured");
      };

  /** Lets every admin request through; only for a proxy that only trusted operators can reach. */
  AdminAuthorizer ALLOW_ALL = request -> {};

  /**
   * @param request the admin request, whose body must not be read here
   * @throws GobletException to refuse the request
   */
  void authorize(GitRequest request) throws GobletException;

  /**
   * @param token the one bearer token that is accepted; keep it apart from any client token
   * @return an authorizer that accepts {@code Authorization: Bearer <token>} and answers 401
   *     otherwise; the token is compared in constant time
   * @throws IllegalArgumentException when the token is empty
   */
  static AdminAuthorizer bearerToken(String token) {
    return new BearerTokenAuthorizer(token)::authorize;
  }
}
