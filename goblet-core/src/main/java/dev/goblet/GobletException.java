package dev.goblet;

import java.util.Objects;

/**
 * The one checked exception of Goblet: an outcome that ends a request, with a {@link Status} that
 * says how it is answered and a message that is safe to show the Git user.
 *
 * <p>The message never carries credentials or internal detail; the cause (if any) may, and is only
 * logged or passed to the {@link ErrorReporter}. Immutable.
 */
public class GobletException extends Exception {
  private static final long serialVersionUID = 1L;

  private final Status status;

  /**
   * @param status how the request is answered
   * @param message what the Git user sees; safe to show
   */
  public GobletException(Status status, String message) {
    this(status, message, null);
  }

  /**
   * @param status how the request is answered
   * @param message what the Git user sees; safe to show
   * @param cause the internal cause, logged and reported but never shown to the client
   */
  public GobletException(Status status, String message, Throwable cause) {
    super(Objects.requireNonNull(message, "message"), cause);
    this.status = Objects.requireNonNull(status, "status");
  }

  /** @return how the request is answered */
  public Status status() {
    return status;
  }
}
