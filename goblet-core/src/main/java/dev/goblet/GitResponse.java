package dev.goblet;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The response the proxy writes, free of any servlet type.
 *
 * <p>Implementations are used by one thread at a time.
 */
public interface GitResponse {
  /** @param code the HTTP status code; only before the response is committed */
  void setStatus(int code);

  /** Sets a header, replacing earlier values; ignored once the response is committed. */
  void setHeader(String name, String value);

  /** Adds a header value beside earlier ones; ignored once the response is committed. */
  void addHeader(String name, String value);

  /** @return whether status and headers were already sent */
  boolean isCommitted();

  /**
   * @return the body stream; writing commits the response. The proxy never closes it.
   * @throws IOException when the stream cannot be had
   */
  OutputStream body() throws IOException;
}
