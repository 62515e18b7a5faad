package dev.goblet.upstream;

import dev.goblet.Status;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Turns an upstream's HTTP answer other than 200 into an {@link UpstreamException} of the right
 * {@linkplain UpstreamException.Kind kind}, with a message a Git user may see: the status, what the
 * upstream said (a short plain-text excerpt), and for a redirect only the target's host, never its
 * full URL (which may carry a token in its query). Stateless.
 */
final class UpstreamAnswers {
  private static final int MAX_SAID = 160;

  private UpstreamAnswers() {}

  /**
   * @param code the HTTP status, not 200
   * @param said what the upstream said: its plain-text body or reason phrase; may be empty
   * @param requested the URL that was requested
   * @param location the {@code Location} header, or {@code null}
   * @param clients whether a client's own credentials were sent (then 401 is answered {@link
   *     Status#UNAUTHORIZED} and 403, 404 {@link Status#FORBIDDEN}), else the proxy's
   * @return the failure
   */
  static UpstreamException error(
      int code, String said, URI requested, String location, boolean clients) {
    String whose = clients ? "your credentials" : "the proxy's credentials";
    String detail = " (HTTP " + code + excerpt(said) + ")";
    if (code >= 300 && code < 400) {
      return new UpstreamException(
          Status.BAD_GATEWAY,
          "the upstream answered with a redirect to " + redirectHost(requested, location)
              + detail + "; this proxy follows no redirects",
          UpstreamException.Kind.ERROR,
          null);
    }
    if (code == 404) {
      return new UpstreamException(
          clients ? Status.FORBIDDEN : Status.NOT_FOUND,
          "the upstream has no such repository, or does not show it to " + whose + detail,
          UpstreamException.Kind.REFUSED,
          null);
    }
    if (code == 401 || code == 403) {
      return new UpstreamException(
          !clients ? Status.BAD_GATEWAY : code == 401 ? Status.UNAUTHORIZED : Status.FORBIDDEN,
          "the upstream refused " + whose + detail,
          UpstreamException.Kind.REFUSED,
          null);
    }
    boolean outage = code >= 500 || code == 429;
    return new UpstreamException(
        Status.BAD_GATEWAY, "the upstream answered HTTP " + code + excerpt(said), outage, null);
  }

  /** @return whether this status is classified here rather than left to the caller */
  static boolean isRedirectOrRefusal(int code) {
    return (code >= 300 && code < 400) || code == 401 || code == 403 || code == 404;
  }

  /**
   * @param body the first bytes of an answer's body
   * @param contentType its {@code Content-Type}, or {@code null}
   * @return its first line when it is plain text, else an empty string
   */
  static String plainText(byte[] body, String contentType) {
    if (contentType == null
        || !contentType.toLowerCase(Locale.ROOT).startsWith("text/plain")) {
      return "";
    }
    String text = new String(body, StandardCharsets.UTF_8).strip();
    int newline = text.indexOf('\n');
    return newline < 0 ? text : text.substring(0, newline).strip();
  }

  private static String excerpt(String said) {
    if (said == null || said.isBlank()) {
      return "";
    }
    String line = said.strip();
    if (line.length() > MAX_SAID) {
      line = line.substring(0, MAX_SAID) + "...";
    }
    return ": " + line.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** @return {@code host[:port]} of the redirect target, or a placeholder when it has none */
  private static String redirectHost(URI requested, String location) {
    if (location == null || location.isBlank()) {
      return "an unnamed location";
    }
    try {
      URI target = requested.resolve(location.strip());
      if (target.getHost() == null) {
        return "an unnamed location";
      }
      return target.getHost() + (target.getPort() == -1 ? "" : ":" + target.getPort());
    } catch (IllegalArgumentException e) {
      return "a malformed location";
    }
  }
}
