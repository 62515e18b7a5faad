package dev.goblet.upstream;

import dev.goblet.GobletException;
import dev.goblet.Status;

/**
 * An upstream call that did not succeed, and what kind of failure it was: an {@linkplain
 * Kind#OUTAGE outage} (the only kind the cache may stand in for), a {@linkplain Kind#REFUSED
 * refusal} of the repository (401, 403, 404: the proxy stops serving it), or another {@linkplain
 * Kind#ERROR error} (a redirect, an {@code ERR} line). Immutable.
 */
public final class UpstreamException extends GobletException {
  private static final long serialVersionUID = 1L;

  /** What a failure says about the upstream. */
  public enum Kind {
    /** The upstream is down: unreachable, timed out, 5xx or 429, a broken answer. */
    OUTAGE,
    /** The upstream answered 401, 403 or 404 for the repository: access is gone. */
    REFUSED,
    /** The upstream answered, but not usefully: a redirect, an {@code ERR} line, another 4xx. */
    ERROR
  }

  private final Kind kind;

  /**
   * @param status how a client request that depended on it is answered
   * @param message safe to show the Git user
   * @param outage whether it shows the upstream down ({@link Kind#OUTAGE}, else {@link
   *     Kind#ERROR})
   * @param cause the internal cause, or null
   */
  public UpstreamException(Status status, String message, boolean outage, Throwable cause) {
    this(status, message, outage ? Kind.OUTAGE : Kind.ERROR, cause);
  }

  /**
   * @param status how a client request that depended on it is answered
   * @param message safe to show the Git user
   * @param kind what the failure says about the upstream
   * @param cause the internal cause, or null
   */
  public UpstreamException(Status status, String message, Kind kind, Throwable cause) {
    super(status, message, cause);
    this.kind = kind;
  }

  /** @return what the failure says about the upstream */
  public Kind kind() {
    return kind;
  }

  /** @return whether the upstream is down (unreachable, timed out, 5xx, garbage) */
  public boolean isOutage() {
    return kind == Kind.OUTAGE;
  }

  /** @return whether the upstream refused the repository (401, 403, 404) */
  public boolean isRefusal() {
    return kind == Kind.REFUSED;
  }
}
