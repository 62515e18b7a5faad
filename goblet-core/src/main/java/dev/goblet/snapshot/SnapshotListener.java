package dev.goblet.snapshot;

import java.time.Duration;

/** Told of snapshot publishing and restoring; must be fast and not throw. */
public interface SnapshotListener {
  /** Records nothing. */
  SnapshotListener NONE = new SnapshotListener() {};

  /**
   * A snapshot was committed.
   *
   * @param key the repository
   * @param bytesUploaded the bytes of the files uploaded for it (files the store held are not)
   * @param took how long publishing took
   */
  default void published(String key, long bytesUploaded, Duration took) {}

  /**
   * Publishing a snapshot failed.
   *
   * @param key the repository
   */
  default void publishFailed(String key) {}

  /**
   * A mirror was restored from a snapshot.
   *
   * @param key the repository
   * @param bytes the bytes downloaded
   * @param took how long restoring took
   */
  default void restored(String key, long bytes, Duration took) {}

  /**
   * A stored snapshot or ls-refs entry could not be used (missing object, bad checksum, invalid).
   *
   * @param key the repository
   */
  default void restoreFailed(String key) {}

  /**
   * A cached ls-refs entry was written to the store.
   *
   * @param key the repository
   */
  default void lsRefsWritten(String key) {}
}
