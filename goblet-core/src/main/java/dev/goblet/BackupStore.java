package dev.goblet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;

/**
 * Where backups go: a flat store of named objects, such as a directory on a shared mount (see
 * {@link #filesystem(Path)}) or a cloud bucket a host adapts. The proxy writes a bundle of every
 * mirror, a copy of its cached ls-refs entry, and manifests of what it backed up; a fresh replica
 * restores from them (see {@link ServerConfig.Builder#backupStore}).
 *
 * <p>A name is one or more segments joined by {@code /}; a segment is 1 to 255 characters of {@code
 * [A-Za-z0-9._~+-]} and does not start with {@code .} (names starting with {@code .} are left to
 * implementations, for their temporary objects). Example: {@code
 * bundles/github.com/owner/repo/001700000000.bundle}.
 *
 * <p>Implementations must be thread-safe. The store's content is trusted: restoring creates a
 * mirror for every repository URL a manifest lists.
 */
public interface BackupStore {
  /**
   * Lists the objects directly under a prefix, like a bucket listing with delimiter {@code /}.
   *
   * @param prefix empty, or a name followed by {@code /}
   * @return the full names of the objects whose names are {@code prefix} followed by one segment,
   *     sorted; empty when there are none
   * @throws IOException when the store cannot be listed
   * @throws IllegalArgumentException when the prefix is not empty or a name and {@code /}
   */
  List<String> list(String prefix) throws IOException;

  /**
   * @param name an object's name
   * @return its content; the caller closes it
   * @throws java.nio.file.NoSuchFileException when there is no such object
   * @throws IOException when it cannot be read
   * @throws IllegalArgumentException when the name is not a valid name
   */
  InputStream open(String name) throws IOException;

  /**
   * Stores an object atomically: readers see the previous object, or none, until the whole new
   * content is stored. When {@code content} throws, nothing is stored.
   *
   * @param name the object's name; an existing object is replaced
   * @param content produces the content
   * @return the number of bytes stored
   * @throws IOException when the content or the store fails
   * @throws IllegalArgumentException when the name is not a valid name
   */
  long write(String name, Content content) throws IOException;

  /**
   * Deletes an object; does nothing when there is none.
   *
   * @param name the object's name
   * @throws IOException when it cannot be deleted
   * @throws IllegalArgumentException when the name is not a valid name
   */
  void delete(String name) throws IOException;

  /** Produces an object's content. */
  @FunctionalInterface
  interface Content {
    /**
     * @param out where the content goes; not to be closed
     * @throws IOException when the content cannot be produced or written
     */
    void writeTo(OutputStream out) throws IOException;
  }

  /**
   * A store in a directory, such as a shared network mount: an object is a file at its name below
   * the directory, written through a hidden temporary file in the same directory that is forced to
   * disk and renamed into place. Leftover temporary files of interrupted writes are never listed.
   *
   * @param directory the store's directory; created when first written to
   * @return the store
   */
  static BackupStore filesystem(Path directory) {
    return new FileSystemBackupStore(directory);
  }
}
