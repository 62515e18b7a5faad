package dev.goblet;

import java.io.InputStream;
import java.util.List;

/**
 * One HTTP request as the proxy sees it, free of any servlet type. Adapters (such as the servlet in
 * goblet-servlet) implement it over their container's request.
 *
 * <p>Implementations are used by one thread at a time.
 */
public interface GitRequest {
  /** @return the HTTP method, upper case */
  String method();

  /**
   * @return the request path below the proxy's mount point, decoded, starting with {@code /}, for
   *     example {@code /github.com/owner/repo.git/info/refs}
   */
  String path();

  /** @return the raw query string without {@code ?}, or an empty string */
  String query();

  /**
   * @param name a header name, case-insensitive
   * @return the header's first value, or {@code null}
   */
  String header(String name);

  /**
   * @param name a header name, case-insensitive
   * @return all values of the header, in order; empty when absent
   */
  List<String> headers(String name);

  /** @return the request body; the proxy reads it at most once and does not close it */
  InputStream body();

  /** @return the address of the client, for logs; may be empty */
  String remoteAddress();
}
