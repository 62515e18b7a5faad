package dev.goblet.upstream;

import dev.goblet.GobletException;
import dev.goblet.Status;

/**
 * An upstream call that did not succeed. {@link #isOutage()} tells whether it speaks of the
 * upstream being down (which trips the circuit breaker) or of this one request. Immutable.
 */
public final class UpstreamException extends GobletException {
  private static final long serialVersionUID = 1L;

  private final boolean outage;

  /**
   * @param status how a client request that depended on it is answered
   * @param message safe to show the Git user
   * @param outage whether it shows the upstream down
   * @param cause the internal cause, or null
   */
  public UpstreamException(Status status, String message, boolean outage, Throwable cause) {
    super(status, message, cause);
    this.outage = outage;
  }

  /** @return whether the upstream is down (unreachable, timed out, 5xx, garbage) */
  public boolean isOutage() {
    return outage;
  }
}
