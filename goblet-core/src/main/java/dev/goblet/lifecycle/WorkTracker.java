package dev.goblet.lifecycle;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Counts the work of a proxy that may write under its cache root (requests, background tasks,
 * scheduled snapshot publishing), so that closing the proxy can stop new work, wait for what runs, and act
 * once nothing runs any more. Thread-safe.
 *
 * <p>Once {@linkplain #close() closed} it admits nothing new: {@link #enter()} answers false and
 * its executors refuse tasks. Tasks queued before that still run and still count; long ones should
 * poll {@link #isClosing()} to stop early.
 */
public final class WorkTracker {
  private static final Logger log = LoggerFactory.getLogger(WorkTracker.class);

  private final Object lock = new Object();
  private int active;
  private boolean closing;
  private final List<Runnable> whenIdle = new ArrayList<>();

  /** @return whether the unit of work may start; when true, call {@link #exit()} when it ends */
  public boolean enter() {
    synchronized (lock) {
      if (closing) {
        return false;
      }
      active++;
      return true;
    }
  }

  /** Ends a unit of work admitted by {@link #enter()}. */
  public void exit() {
    List<Runnable> actions = List.of();
    synchronized (lock) {
      if (active <= 0) {
        throw new IllegalStateException("exit() without enter()");
      }
      active--;
      if (active == 0) {
        lock.notifyAll();
        if (closing && !whenIdle.isEmpty()) {
          actions = List.copyOf(whenIdle);
          whenIdle.clear();
        }
      }
    }
    actions.forEach(WorkTracker::runGuarded);
  }

  /** @return whether {@link #close()} has been called */
  public boolean isClosing() {
    synchronized (lock) {
      return closing;
    }
  }

  /** @return how many units of work run now (queued tasks included) */
  public int active() {
    synchronized (lock) {
      return active;
    }
  }

  /** Admits no new work from now on. */
  public void close() {
    synchronized (lock) {
      closing = true;
    }
  }

  /**
   * @param timeout the longest wait
   * @return whether no work runs any more
   * @throws InterruptedException when the waiting thread is interrupted
   */
  public boolean awaitIdle(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (active > 0) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  /**
   * Runs {@code action} once the tracker is closed and no work runs: at once when that is so now,
   * else on the thread that ends the last unit of work.
   *
   * @param action must not block for long; its exceptions are logged
   */
  public void whenClosedAndIdle(Runnable action) {
    synchronized (lock) {
      if (!closing || active > 0) {
        whenIdle.add(action);
        return;
      }
    }
    runGuarded(action);
  }

  /**
   * @param delegate runs the tasks
   * @return an executor that counts each task from submission to its end and refuses tasks once
   *     the tracker is closed
   */
  public Executor executor(Executor delegate) {
    return task -> {
      if (!enter()) {
        throw new RejectedExecutionException("the proxy is shutting down");
      }
      try {
        delegate.execute(new Counted(task));
      } catch (RuntimeException e) {
        exit();
        throw e;
      }
    };
  }

  /**
   * @param task a task run by a scheduler the tracker does not control
   * @return the task, counted while it runs, and skipped once the tracker is closed
   */
  public Runnable track(Runnable task) {
    return () -> {
      if (enter()) {
        runAndExit(task);
      }
    };
  }

  /**
   * A task counted by the tracker, as its executors hand it to their delegate. One that the
   * delegate drops without running it (as {@code shutdownNow()} does) must be {@linkplain #abandon()
   * abandoned}, or the tracker never becomes idle.
   */
  public final class Counted implements Runnable {
    private final Runnable task;
    private boolean ended;

    private Counted(Runnable task) {
      this.task = task;
    }

    @Override
    public void run() {
      if (end()) {
        runAndExit(task);
      }
    }

    /** Stops counting the task without running it. */
    public void abandon() {
      if (end()) {
        exit();
      }
    }

    private synchronized boolean end() {
      boolean first = !ended;
      ended = true;
      return first;
    }
  }

  private void runAndExit(Runnable task) {
    try {
      task.run();
    } finally {
      exit();
    }
  }

  private static void runGuarded(Runnable action) {
    try {
      action.run();
    } catch (RuntimeException e) {
      log.error("an action run after the last task of a closed proxy failed", e);
    }
  }
}
