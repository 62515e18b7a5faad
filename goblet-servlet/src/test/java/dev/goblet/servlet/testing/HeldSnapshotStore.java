package dev.goblet.servlet.testing;

import dev.goblet.SnapshotStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real {@link SnapshotStore} whose reads and listings of chosen names wait until the test
 * releases them, to hold a restore at a known point. Thread-safe.
 */
public final class HeldSnapshotStore implements SnapshotStore {
  private final SnapshotStore store;
  private final Predicate<String> held;
  private final CountDownLatch reached = new CountDownLatch(1);
  private final CountDownLatch released = new CountDownLatch(1);

  /**
   * @param store the store that answers
   * @param held the object names (or listing prefixes) whose reads (listings) wait for {@link
   *     #release()}
   */
  public HeldSnapshotStore(SnapshotStore store, Predicate<String> held) {
    this.store = store;
    this.held = held;
  }

  /**
   * @param timeout the longest wait
   * @return whether a held read or listing has started waiting within the timeout
   * @throws InterruptedException when interrupted
   */
  public boolean awaitHeld(Duration timeout) throws InterruptedException {
    return reached.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Lets every held read and listing go, now and later. */
  public void release() {
    released.countDown();
  }

  private void hold(String name) throws IOException {
    if (!held.test(name)) {
      return;
    }
    reached.countDown();
    try {
      if (!released.await(60, TimeUnit.SECONDS)) {
        throw new IOException("the test never released " + name);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while held", e);
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    hold(prefix);
    return store.list(prefix);
  }

  @Override
  public List<String> listRecursively(String prefix) throws IOException {
    hold(prefix);
    return store.listRecursively(prefix);
  }

  @Override
  public InputStream open(String name) throws IOException {
    hold(name);
    return store.open(name);
  }

  @Override
  public long write(String name, Content content) throws IOException {
    return store.write(name, content);
  }

  @Override
  public boolean createIfAbsent(String name, Content content) throws IOException {
    return store.createIfAbsent(name, content);
  }

  @Override
  public long writeFile(String name, Path file) throws IOException {
    return store.writeFile(name, file);
  }

  @Override
  public void delete(String name) throws IOException {
    store.delete(name);
  }

  @Override
  public String toString() {
    return "held " + store;
  }
}
