package dev.goblet.repository;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;

/**
 * Runs a mirror's upstream fetches one at a time and lets callers share them, so a burst of
 * requests costs at most two fetches: the one running, and one queued follow-up that starts when it
 * ends. Thread-safe.
 */
final class FetchCoordinator {
  /** The fetch itself; runs on the executor. */
  interface Task {
    void run() throws Exception;
  }

  private final Executor executor;
  private final Task task;
  private final MirrorContext.FetchListener listener;
  private CompletableFuture<Void> running;
  private CompletableFuture<Void> queued;

  FetchCoordinator(Executor executor, Task task, MirrorContext.FetchListener listener) {
    this.executor = executor;
    this.task = task;
    this.listener = listener;
  }

  /** @return the running fetch, or a new one when none runs */
  synchronized CompletableFuture<Void> join() {
    if (running != null) {
      listener.coalesced();
      return running;
    }
    return start(new CompletableFuture<>());
  }

  /**
   * @return a fetch that starts no earlier than now: a new one when none runs, else the follow-up
   *     queued behind the running one (shared by every caller until it starts)
   */
  synchronized CompletableFuture<Void> startAfterNow() {
    if (running == null) {
      return start(new CompletableFuture<>());
    }
    if (queued == null) {
      queued = new CompletableFuture<>();
    } else {
      listener.coalesced();
    }
    return queued;
  }

  /** @return whether a fetch is running */
  synchronized boolean isRunning() {
    return running != null;
  }

  private CompletableFuture<Void> start(CompletableFuture<Void> future) {
    running = future;
    listener.started();
    try {
      executor.execute(() -> run(future));
    } catch (RejectedExecutionException e) {
      running = null;
      future.completeExceptionally(e);
    }
    return future;
  }

  private void run(CompletableFuture<Void> future) {
    try {
      task.run();
      future.complete(null);
    } catch (Throwable t) {
      future.completeExceptionally(t);
    } finally {
      synchronized (this) {
        running = null;
        if (queued != null) {
          CompletableFuture<Void> next = queued;
          queued = null;
          start(next);
        }
      }
    }
  }
}
