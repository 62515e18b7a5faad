package dev.goblet.repository;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exclusive lock on a cache root, held for a proxy's lifetime, so that two proxies (in one JVM
 * or in two processes) never write the same mirrors and cache files. The second one refuses to
 * start. The operating system releases the lock if the process dies. A read-only cache root is
 * served without a lock (nothing can be written to it). Thread-safe.
 */
public final class CacheRootLock implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(CacheRootLock.class);

  /** The lock file's name under the cache root. */
  public static final String FILE_NAME = ".goblet.lock";

  /**
   * Roots locked by this JVM. A second channel on the lock file must never be opened here: closing
   * it would release this JVM's lock (POSIX locks belong to the process, not the channel).
   */
  private static final Set<Path> LOCKED_HERE = ConcurrentHashMap.newKeySet();

  private final Path root;
  private final FileChannel channel;
  private final FileLock lock;

  private CacheRootLock(Path root, FileChannel channel, FileLock lock) {
    this.root = root;
    this.channel = channel;
    this.lock = lock;
  }

  /**
   * @param cacheRoot the cache root; created when missing
   * @return the held lock
   * @throws IOException when the root is in use by another proxy, or the lock file cannot be made
   */
  public static CacheRootLock acquire(Path cacheRoot) throws IOException {
    Files.createDirectories(cacheRoot);
    Path root = cacheRoot.toRealPath();
    if (!LOCKED_HERE.add(root)) {
      throw inUse(cacheRoot);
    }
    try {
      FileChannel channel;
      try {
        channel =
            FileChannel.open(
                root.resolve(FILE_NAME), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      } catch (FileSystemException e) {
        if (!Files.isWritable(root) || "Read-only file system".equals(e.getReason())) {
          // Nobody can write a read-only root, so nobody can corrupt it: serve what it holds.
          log.warn("the cache root {} is read-only; serving what it holds, without a lock", root);
          return new CacheRootLock(root, null, null);
        }
        throw e;
      }
      FileLock lock;
      try {
        lock = channel.tryLock();
      } catch (IOException | RuntimeException e) {
        channel.close();
        throw e;
      }
      if (lock == null) {
        channel.close(); // holds no lock of this JVM's: the root was not locked here
        throw inUse(cacheRoot);
      }
      channel.truncate(0);
      channel.write(
          ByteBuffer.wrap(
              ("pid " + ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)));
      return new CacheRootLock(root, channel, lock);
    } catch (IOException | RuntimeException e) {
      LOCKED_HERE.remove(root);
      throw e;
    }
  }

  private static IOException inUse(Path cacheRoot) {
    return new IOException(
        "the cache root " + cacheRoot + " is in use by another Goblet proxy; each proxy needs a"
            + " cache root of its own");
  }

  @Override
  public void close() throws IOException {
    try {
      if (lock != null) {
        lock.release();
        channel.close();
      }
    } finally {
      LOCKED_HERE.remove(root);
    }
  }
}
