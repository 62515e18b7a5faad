package dev.goblet.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * One request as {@link GitUpstreamServer} saw it.
 *
 * @param method the HTTP method, for example {@code GET}
 * @param path the decoded request path, for example {@code /owner/repo/info/refs}
 * @param query the raw query string without {@code ?}, or an empty string
 * @param headers the request headers, names in lower case, values in order
 * @param status the HTTP status sent, or {@code -1} if no response was sent (a hung request
 *     abandoned at close, or a failure before the status line)
 * @param commands the protocol v2 command names in the request body, in order, for example {@code
 *     ["ls-refs"]} or {@code ["fetch"]}; empty for a GET or a body that is not protocol v2
 */
public record RecordedRequest(
    String method,
    String path,
    String query,
    Map<String, List<String>> headers,
    int status,
    List<String> commands) {

  /** Copies the collections and makes them unmodifiable; lower-cases header names. */
  public RecordedRequest {
    Map<String, List<String>> lowerCased = new TreeMap<>();
    headers.forEach((name, values) ->
        lowerCased.computeIfAbsent(name.toLowerCase(Locale.ROOT), key -> new ArrayList<>())
            .addAll(values));
    lowerCased.replaceAll((name, values) -> List.copyOf(values));
    headers = Map.copyOf(lowerCased);
    commands = List.copyOf(commands);
    query = query == null ? "" : query;
  }

  /**
   * @param name a header name, case-insensitive
   * @return the header's first value, or {@code null} if absent
   */
  public String header(String name) {
    List<String> values = headers.get(name.toLowerCase(Locale.ROOT));
    return values == null || values.isEmpty() ? null : values.get(0);
  }
}
