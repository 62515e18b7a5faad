package dev.goblet.repository;

import dev.goblet.Status;
import dev.goblet.upstream.UpstreamException;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Runs a mirror's upstream fetches one at a time and lets callers share them, so a burst of
 * requests costs at most two fetches: the one running, and one queued follow-up that starts when it
 * ends. A follow-up knows which objects its callers need, and the task may skip the upstream when
 * the fetch before it already brought them all. Thread-safe.
 */
final class FetchCoordinator {
  /** The fetch itself; runs on the executor. */
  interface Task {
    /**
     * @param needed the objects the callers need, or {@code null} when the fetch must run anyway
     */
    void run(Set<ObjectId> needed) throws Exception;
  }

  private final Executor executor;
  private final Task task;
  private final MirrorContext.FetchListener listener;
  private CompletableFuture<Void> running;
  private CompletableFuture<Void> queued;
  private Set<ObjectId> queuedNeeds; // null: the queued fetch must run whatever is present

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
    return start(new CompletableFuture<>(), null);
  }

  /**
   * @param needed objects the caller needs; empty when the caller needs a fresh fetch whatever
   *     the mirror has
   * @return a fetch that starts no earlier than now: a new one when none runs, else the follow-up
   *     queued behind the running one (shared by every caller until it starts)
   */
  synchronized CompletableFuture<Void> startAfterNow(Set<ObjectId> needed) {
    if (running == null) {
      return start(new CompletableFuture<>(), null);
    }
    if (queued == null) {
      queued = new CompletableFuture<>();
      queuedNeeds = needed.isEmpty() ? null : new HashSet<>(needed);
    } else {
      listener.coalesced();
      if (queuedNeeds != null && !needed.isEmpty()) {
        queuedNeeds.addAll(needed);
      } else {
        queuedNeeds = null;
      }
    }
    return queued;
  }

  /** @return the fetch that will end last of those running or queued, if any */
  synchronized CompletableFuture<Void> pending() {
    return queued != null ? queued : running;
  }

  /** @return whether a fetch is running */
  synchronized boolean isRunning() {
    return running != null;
  }

  private CompletableFuture<Void> start(CompletableFuture<Void> future, Set<ObjectId> needed) {
    running = future;
    try {
      executor.execute(() -> run(future, needed));
    } catch (RejectedExecutionException e) {
      running = null;
      future.completeExceptionally(
          new UpstreamException(
              Status.UNAVAILABLE,
              "the proxy cannot start another upstream fetch now (" + e.getMessage()
                  + "); try again shortly",
              false,
              e));
    }
    return future;
  }

  private void run(CompletableFuture<Void> future, Set<ObjectId> needed) {
    Throwable failure = null;
    try {
      task.run(needed);
    } catch (Throwable t) {
      failure = t;
    }
    // The fetch is over before its waiters hear of it: one that asks for a fetch at once must
    // get a new one, never this finished future.
    synchronized (this) {
      running = null;
      if (queued != null) {
        CompletableFuture<Void> next = queued;
        Set<ObjectId> nextNeeds = queuedNeeds;
        queued = null;
        queuedNeeds = null;
        start(next, nextNeeds);
      }
    }
    if (failure == null) {
      future.complete(null);
    } else {
      future.completeExceptionally(failure);
    }
  }
}
