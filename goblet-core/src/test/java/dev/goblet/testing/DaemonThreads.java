package dev.goblet.testing;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads for the fixtures, so that a fixture a test forgot to close never keeps the test JVM
 * alive.
 */
final class DaemonThreads {
  private DaemonThreads() {}

  /**
   * @param prefix the thread name prefix; threads are named {@code prefix-1}, {@code prefix-2}, ...
   * @return a factory making named daemon threads
   */
  static ThreadFactory factory(String prefix) {
    AtomicInteger counter = new AtomicInteger();
    return runnable -> {
      Thread thread = new Thread(runnable, prefix + "-" + counter.incrementAndGet());
      thread.setDaemon(true);
      return thread;
    };
  }

  /**
   * Starts one named daemon thread.
   *
   * @return the started thread
   */
  static Thread start(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
