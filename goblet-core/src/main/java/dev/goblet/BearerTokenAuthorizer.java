package dev.goblet;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/** {@link RequestAuthorizer#bearerToken}: one shared bearer token, compared in constant time. */
final class BearerTokenAuthorizer implements RequestAuthorizer {
  private final byte[] expected;

  BearerTokenAuthorizer(String token) {
    if (token == null || token.isBlank()) {
      throw new IllegalArgumentException("bearer token must not be empty");
    }
    this.expected = token.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public void authorize(GitRequest request) throws GobletException {
    String header = request.header("Authorization");
    if (header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)) {
      byte[] presented = header.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      if (MessageDigest.isEqual(expected, presented)) {
        return;
      }
    }
    throw new GobletException(Status.UNAUTHORIZED, "a valid bearer token is required");
  }
}
