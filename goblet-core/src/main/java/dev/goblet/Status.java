package dev.goblet;

/** The outcome of a request, with the HTTP status it is answered with. Immutable. */
public enum Status {
  /** The request was served. */
  OK(200),
  /** The request is malformed or asks for something the proxy does not do. */
  BAD_REQUEST(400),
  /** The request authorizer refused the request. */
  UNAUTHORIZED(401),
  /** The request names an upstream the proxy is not configured for. */
  FORBIDDEN(403),
  /** The path names no Git endpoint. */
  NOT_FOUND(404),
  /** The endpoint exists but not for this HTTP method. */
  METHOD_NOT_ALLOWED(405),
  /** The request body is larger than the configured limit. */
  PAYLOAD_TOO_LARGE(413),
  /** The body's content type or encoding is not one Git sends. */
  UNSUPPORTED_MEDIA_TYPE(415),
  /** An unexpected failure inside the proxy. */
  INTERNAL(500),
  /** The service (for example push) is one the proxy does not offer. */
  NOT_IMPLEMENTED(501),
  /** The upstream answered with an error or garbage. */
  BAD_GATEWAY(502),
  /** The upstream is unreachable and nothing cached can answer. */
  UNAVAILABLE(503),
  /** The upstream did not answer in time. */
  GATEWAY_TIMEOUT(504);

  private final int httpCode;

  Status(int httpCode) {
    this.httpCode = httpCode;
  }

  /** @return the HTTP status code */
  public int httpCode() {
    return httpCode;
  }

  /**
   * @return whether this is a failure of the proxy or the upstream rather than of the client (a
   *     refused push, {@link #NOT_IMPLEMENTED}, is the client's)
   */
  public boolean isServerError() {
    return httpCode >= 500 && this != NOT_IMPLEMENTED;
  }
}
