package dev.goblet.repository;

import dev.goblet.OperationLogger;
import java.util.function.BooleanSupplier;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * Turns JGit's progress into {@link OperationLogger.Operation#progress} lines: one as each task
 * begins, one for every tenth of it, one as it ends; and tells JGit to cancel the operation once
 * {@code cancelled} says so (a stalled fetch, a proxy that is closing). Used by the one thread
 * running the operation.
 */
final class OperationProgress implements ProgressMonitor {
  private final OperationLogger.Operation operation;
  private final BooleanSupplier cancelled;
  private String task;
  private int total;
  private int done;
  private int lastTenth;
  private boolean told;

  OperationProgress(OperationLogger.Operation operation, BooleanSupplier cancelled) {
    this.operation = operation;
    this.cancelled = cancelled;
  }

  @Override
  public void start(int totalTasks) {}

  @Override
  public void beginTask(String title, int totalWork) {
    task = title;
    total = totalWork;
    done = 0;
    lastTenth = 0;
    operation.progress(title + (totalWork > 0 ? " (" + totalWork + ")" : ""));
  }

  @Override
  public void update(int completed) {
    done += completed;
    if (total > 0) {
      int tenth = (int) (10L * done / total);
      if (tenth > lastTenth && tenth < 10) {
        lastTenth = tenth;
        operation.progress(task + ": " + (tenth * 10) + "% (" + done + "/" + total + ")");
      }
    }
  }

  @Override
  public void endTask() {
    operation.progress(task + ": done" + (total > 0 ? " (" + done + "/" + total + ")" : ""));
  }

  @Override
  public boolean isCancelled() {
    if (!told && cancelled.getAsBoolean()) {
      told = true;
      operation.progress("cancelled");
    }
    return told;
  }

  @Override
  public void showDuration(boolean enabled) {}
}
