package dev.goblet;

import java.net.URI;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Wraps the host's observer hooks so that their exceptions are logged, never propagated. */
final class GuardedHooks {
  private static final Logger log = LoggerFactory.getLogger(GuardedHooks.class);

  private GuardedHooks() {}

  static ErrorReporter errors(ErrorReporter reporter) {
    return (request, error) -> {
      try {
        reporter.report(request, error);
      } catch (RuntimeException e) {
        log.warn("the error reporter failed", e);
      }
    };
  }

  static RequestLogger requests(RequestLogger logger) {
    return record -> {
      try {
        logger.log(record);
      } catch (RuntimeException e) {
        log.warn("the request logger failed", e);
      }
    };
  }

  static OperationLogger operations(OperationLogger logger) {
    return (String name, URI upstream) -> {
      OperationLogger.Operation operation;
      try {
        operation = logger.start(name, upstream);
      } catch (RuntimeException e) {
        log.warn("the operation logger failed", e);
        return OperationLogger.Operation.NONE;
      }
      return operation == null ? OperationLogger.Operation.NONE : guard(operation);
    };
  }

  private static OperationLogger.Operation guard(OperationLogger.Operation operation) {
    return new OperationLogger.Operation() {
      @Override
      public void progress(String message) {
        try {
          operation.progress(message);
        } catch (RuntimeException e) {
          log.warn("the operation logger failed", e);
        }
      }

      @Override
      public void done(Throwable error) {
        try {
          operation.done(error);
        } catch (RuntimeException e) {
          log.warn("the operation logger failed", e);
        }
      }
    };
  }
}
