package dev.goblet;

/**
 * Receives server-side failures (statuses where {@link Status#isServerError()} holds, and failures
 * of background work), never client errors. Exceptions it throws are logged and ignored.
 *
 * <p>Called concurrently; must be thread-safe and fast.
 */
@FunctionalInterface
public interface ErrorReporter {
  /** Reports nothing (the proxy still logs the failure). */
  ErrorReporter NONE = (request, error) -> {};

  /**
   * @param request the request that failed, or {@code null} for background work
   * @param error the failure
   */
  void report(GitRequest request, Throwable error);
}
