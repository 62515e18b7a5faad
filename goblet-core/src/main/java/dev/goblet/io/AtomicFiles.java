package dev.goblet.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes files so that readers see the old content or the whole new content, never a part: the
 * content goes to a temporary file in the target's directory, is forced to disk, and is renamed over
 * the target; the directory is then forced where the platform allows. Stateless and thread-safe;
 * two writers of one target race only on which complete content wins.
 */
public final class AtomicFiles {
  private static final Logger LOG = LoggerFactory.getLogger(AtomicFiles.class);

  private AtomicFiles() {}

  /** Produces a file's content. */
  @FunctionalInterface
  public interface Content {
    /**
     * @param out where the content goes; closed by the caller
     * @throws IOException when the content cannot be produced or written; nothing is then stored
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * Replaces {@code target} atomically. On failure the target is left as it was and the temporary
   * file is deleted.
   *
   * @param target the file to write; its directory must exist
   * @param tempPrefix the start of the temporary file's name (a leading {@code .} hides it)
   * @param tempSuffix the end of the temporary file's name, by which leftovers are recognized
   * @param content produces the content
   * @return the number of bytes written
   * @throws IOException when writing, forcing or renaming fails
   */
  public static long write(Path target, String tempPrefix, String tempSuffix, Content content)
      throws IOException {
    Path directory = target.toAbsolutePath().getParent();
    Path temp = Files.createTempFile(directory, tempPrefix, tempSuffix);
    long size;
    try {
      try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE)) {
        OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
        content.writeTo(out);
        out.flush();
        channel.force(true);
        size = channel.size();
      }
      Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
    forceDirectory(directory);
    return size;
  }

  /**
   * Forces a directory's entries (a rename or a deletion in it) to disk. Some platforms (Windows)
   * cannot open a directory; there the change is as durable as the platform makes it.
   *
   * @param directory the directory
   */
  public static void forceDirectory(Path directory) {
    try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException e) {
      LOG.debug("Could not force directory {}", directory, e);
    }
  }
}
