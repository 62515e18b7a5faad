package dev.goblet.repository;

import java.time.Instant;

/**
 * What the disk budget knows of one mirror: its size on disk, when it was last served, and who is
 * using it. A mirror in use (served, fetched, maintained or backed up: each holds a lease) is never
 * evicted; once evicted, no lease is granted again, so a caller holding an evicted mirror opens the
 * repository anew. Thread-safe.
 */
final class MirrorUsage {
  private int leases;
  private boolean evicted;
  private long sizeBytes;
  private Instant lastServed;

  /** @param lastServed the time to count as its last use until it is served */
  MirrorUsage(Instant lastServed) {
    this.lastServed = lastServed;
  }

  /** @return whether the lease was granted: false once the mirror is evicted */
  synchronized boolean tryLease() {
    if (evicted) {
      return false;
    }
    leases++;
    return true;
  }

  synchronized void release() {
    if (leases <= 0) {
      throw new IllegalStateException("lease released twice");
    }
    leases--;
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
