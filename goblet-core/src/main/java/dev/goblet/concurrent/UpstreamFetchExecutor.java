package dev.goblet.concurrent;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs upstream fetches in one lane per upstream server: at most {@code perUpstream} at once for a
 * server, at most {@code queuePerUpstream} more waiting, each lane independent of the others, so
 * that fetches hanging on one server never delay another server's. A full lane refuses at once
 * with a {@link RejectedExecutionException} naming the server. Thread-safe.
 */
public final class UpstreamFetchExecutor {
  private static final Logger log = LoggerFactory.getLogger(UpstreamFetchExecutor.class);

  private final ExecutorService threads;
  private final int perUpstream;
  private final int queuePerUpstream;
  private final Map<String, Lane> lanes = new HashMap<>();

  private static final class Lane {
    int running;
    final ArrayDeque<Runnable> waiting = new ArrayDeque<>();
  }

  /**
   * @param threads runs the tasks; must not bound them below the lanes' sum (a cached pool)
   * @param perUpstream how many fetches run at once for one server
   * @param queuePerUpstream how many more may wait for one server
   */
  UpstreamFetchExecutor(ExecutorService threads, int perUpstream, int queuePerUpstream) {
    this.threads = threads;
    this.perUpstream = perUpstream;
    this.queuePerUpstream = queuePerUpstream;
  }

  /**
   * @param server the upstream server, such as {@code https://github.com}
   * @param task the fetch
   * @throws RejectedExecutionException when the server's lane is full, or the executor is shut
   *     down
   */
  public void execute(String server, Runnable task) {
    synchronized (this) {
      Lane lane = lanes.computeIfAbsent(server, s -> new Lane());
      if (lane.running >= perUpstream) {
        if (lane.waiting.size() >= queuePerUpstream) {
          throw new RejectedExecutionException(
              perUpstream + " fetches from " + server + " are running and " + queuePerUpstream
                  + " more are waiting");
        }
        lane.waiting.add(task);
        return;
      }
      lane.running++;
    }
    submit(server, task);
  }

  private void submit(String server, Runnable task) {
    try {
      threads.execute(() -> run(server, task));
    } catch (RejectedExecutionException e) {
      synchronized (this) {
        release(server);
      }
      throw e;
    }
  }

  private void run(String server, Runnable task) {
    Runnable next = task;
    while (next != null) {
      try {
        next.run();
      } catch (RuntimeException e) {
        log.error("an upstream fetch task for {} failed", server, e);
      }
      synchronized (this) {
        next = lanes.get(server).waiting.poll();
        if (next == null) {
          release(server);
        }
      }
    }
  }

  private void release(String server) {
    Lane lane = lanes.get(server);
    lane.running--;
    if (lane.running == 0 && lane.waiting.isEmpty()) {
      lanes.remove(server);
    }
  }

  /**
   * @param server an upstream server
   * @return how many of its fetches are running
   */
  public synchronized int running(String server) {
    Lane lane = lanes.get(server);
    return lane == null ? 0 : lane.running;
  }
}
