package dev.goblet.servlet.testing;

import dev.goblet.OperationLogger;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An {@link OperationLogger} that records every call as a line: {@code <name> start <upstream>},
 * {@code <name> progress <message>}, {@code <name> done ok} or {@code <name> done <stack trace>}.
 * Thread-safe.
 */
public final class RecordingOperationLogger implements OperationLogger {
  private final List<String> lines = new CopyOnWriteArrayList<>();

  @Override
  public Operation start(String name, URI upstream) {
    lines.add(name + " start " + upstream);
    return new Operation() {
      @Override
      public void progress(String message) {
        lines.add(name + " progress " + message);
      }

      @Override
      public void done(Throwable error) {
        lines.add(name + " done " + (error == null ? "ok" : stackTrace(error)));
      }
    };
  }

  /** @return the lines recorded so far, in order */
  public List<String> lines() {
    return List.copyOf(lines);
  }

  /**
   * @param error a failure
   * @return its stack trace, with the messages of its causes
   */
  public static String stackTrace(Throwable error) {
    StringWriter text = new StringWriter();
    error.printStackTrace(new PrintWriter(text));
    return text.toString();
  }
}
