package dev.goblet;

import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The credentials the proxy presents to an upstream (the Go original's token source). The value is
 * sent as the {@code Authorization} header of every upstream request and never logged.
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
   * @return credentials that send {@code Authorization: Bearer <token>}
   */
  static UpstreamCredentials bearer(Supplier<String> token) {
    return upstream -> Optional.of("Bearer " + token.get());
  }
}
