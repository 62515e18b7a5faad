package dev.goblet;

import java.net.URI;

/**
 * Receives long-running operations (upstream fetches) as they start, progress and end.
 * Exceptions it or its operations throw are logged and ignored.
 *
 * <p>Called from background threads, concurrently; must be thread-safe and fast.
 */
@FunctionalInterface
public interface OperationLogger {
  /** Logs nothing. */
  OperationLogger NONE = (name, upstream) -> Operation.NONE;

  /**
   * @param name the operation, for example {@code fetch-upstream}
   * @param upstream the repository it works on
   * @return the handle the operation reports through
   */
  Operation start(String name, URI upstream);

  /** One running operation. Used by one thread at a time. */
  interface Operation {
    /** An operation that records nothing. */
    Operation NONE =
        new Operation() {
          @Override
          public void progress(String message) {}

          @Override
          public void done(Throwable error) {}
        };

    /** @param message a progress line, such as {@code Receiving objects: 40% (400/1000)} */
    void progress(String message);

    /** @param error the failure, or {@code null} when the operation succeeded */
    void done(Throwable error);
  }
}
