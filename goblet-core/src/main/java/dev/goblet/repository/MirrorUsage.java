package dev.goblet.repository;

import java.time.Instant;

/**
 * What the disk budget knows of one mirror: its size on disk, when it was last served, and who is
 * using it. A mirror in use (served, fetched, maintained or backed up: each holds a lease) is never
 * evicted; once evicted, no lease is granted again, so a caller holding an evicted mirror opens the
 * repository anew. Maintenance deletes replaced packs in an {@linkplain #runExclusive exclusive}
 * moment, when it holds the only lease; new leases wait the few milliseconds that takes.
 * Thread-safe.
 */
final class MirrorUsage {
  private int leases;
  private boolean evicted;
  private boolean exclusive;
  private long sizeBytes;
  private Instant lastServed;

  /** @param lastServed the time to count as its last use until it is served */
  MirrorUsage(Instant lastServed) {
    this.lastServed = lastServed;
  }

  /**
   * @return whether the lease was granted: false once the mirror is evicted. Waits while an
   *     exclusive section runs.
   */
  synchronized boolean tryLease() {
    boolean interrupted = false;
    while (exclusive) {
      try {
        wait();
      } catch (InterruptedException e) {
        interrupted = true; // the section is short; finish waiting, then say so
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
    if (evicted) {
      return false;
    }
    leases++;
    return true;
  }

  /** @return how many leases are left */
  synchronized int release() {
    if (leases <= 0) {
      throw new IllegalStateException("lease released twice");
    }
    return --leases;
  }

  /**
   * Runs {@code action} if the caller's lease is the only one, granting no new lease until it ends.
   *
   * @param action a short action
   * @return whether it ran
   */
  boolean runExclusive(Runnable action) {
    synchronized (this) {
      if (leases != 1 || exclusive) {
        return false;
      }
      exclusive = true;
    }
    try {
      action.run();
    } finally {
      synchronized (this) {
        exclusive = false;
        notifyAll();
      }
    }
    return true;
  }

  /**
   * Marks the mirror evicted when nobody uses it.
   *
   * @return whether it was marked (false: in use, or evicted already)
   */
  synchronized boolean evictIfIdle() {
    if (evicted || leases > 0) {
      return false;
    }
    evicted = true;
    return true;
  }

  synchronized boolean isEvicted() {
    return evicted;
  }

  synchronized boolean inUse() {
    return leases > 0;
  }

  synchronized void served(Instant when) {
    if (when.isAfter(lastServed)) {
      lastServed = when;
    }
  }

  synchronized Instant lastServed() {
    return lastServed;
  }

  synchronized void setSize(long bytes) {
    sizeBytes = bytes;
  }

  synchronized long size() {
    return sizeBytes;
  }
}
