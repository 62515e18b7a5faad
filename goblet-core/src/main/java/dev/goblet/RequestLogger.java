package dev.goblet;

import java.time.Duration;

/**
 * Receives one record for every request the proxy answered. Exceptions it throws are logged and
 * ignored.
 *
 * <p>Called on request threads, concurrently; must be thread-safe and fast.
 */
@FunctionalInterface
public interface RequestLogger {
  /** Logs nothing. */
  RequestLogger NONE = record -> {};

  /** @param record what happened */
  void log(Record record);

  /**
   * One answered request.
   *
   * @param method the HTTP method
   * @param path the request path (no query, so no secrets from it)
   * @param status the HTTP status answered
   * @param requestBytes body bytes read from the client (after any gzip decoding)
   * @param responseBytes body bytes written to the client
   * @param latency time from the start of handling to the last byte
   */
  record Record(
      String method,
      String path,
      int status,
      long requestBytes,
      long responseBytes,
      Duration latency) {}
}
