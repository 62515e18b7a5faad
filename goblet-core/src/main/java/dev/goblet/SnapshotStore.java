package dev.goblet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Where mirror snapshots and ls-refs cache entries go: a flat store of named objects, such as a
 * directory on a local disk or a shared mount (see {@link #filesystem(Path)}) or an S3-compatible
 * bucket (the {@code goblet-s3} module). Replicas publish to it and restore mirrors they lack from
 * it (see {@link ServerConfig.Builder#snapshotStore} and {@link
 * ServerConfig.Builder#restoreAllAtStart}); a single host uses it as its backup. Objects are
 * created only when none of that name exists (an S3 {@code PUT} with {@code If-None-Match: *}, a
 * hard link on a file system), which makes a snapshot's manifest the commit point that two
 * publishers cannot both claim.
 *
 * <p>A name is one or more segments joined by {@code /}; a segment is 1 to 255 characters of {@code
 * [A-Za-z0-9._~+-]} and does not start with {@code .} (names starting with {@code .} are left to
 * implementations, for their temporary objects). Example: {@code
 * snapshots/github.com/owner/repo/manifests/000000000007.json}.
 *
 * <p>Implementations must be thread-safe. The store's content is trusted to name the upstreams it
 * holds snapshots of: restoring creates a mirror for the upstream URL a manifest names (its files
 * are verified against their checksums).
 */
public interface SnapshotStore {
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
   * Lists every object below a prefix, at any depth, like a bucket listing without a delimiter.
   *
   * @param prefix empty, or a name followed by {@code /}
   * @return the full names of the objects whose names start with {@code prefix}, sorted; empty
   *     when there are none
   * @throws IOException when the store cannot be listed
   * @throws IllegalArgumentException when the prefix is not empty or a name and {@code /}
   */
  List<String> listRecursively(String prefix) throws IOException;

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
   * Stores an object only when no object of that name exists; readers never see a part of the
   * content. Implementations should make the check atomic (of two concurrent creators at most one
   * succeeds); snapshots stay consistent where a store cannot, because restores verify every file
   * and fall back to older generations (docs/FLEET.md, "Concurrent publishers").
   *
   * @param name the object's name
   * @param content produces the content
   * @return whether this call created the object; false when one already existed (nothing stored)
   * @throws IOException when the content or the store fails
   * @throws IllegalArgumentException when the name is not a valid name
   */
  boolean createIfAbsent(String name, Content content) throws IOException;

  /**
   * Stores a file's content as an object, like {@link #write}; stores that can upload a file
   * directly (with its length known in advance) override it.
   *
   * @param name the object's name; an existing object is replaced
   * @param file the file
   * @return the number of bytes stored
   * @throws IOException when the file cannot be read or the store fails
   */
  default long writeFile(String name, Path file) throws IOException {
    return write(name, out -> Files.copy(file, out));
  }

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
   * Checks an object name against the rules above (segments of {@code [A-Za-z0-9._~+-]}, 1 to 255
   * characters, not starting with {@code .}, joined by {@code /}), for implementations.
   *
   * @param name a name
   * @return the name
   * @throws IllegalArgumentException when it is not a valid name
   */
  static String checkName(String name) {
    return FileSystemSnapshotStore.checkName(name);
  }

  /**
   * Checks a listing prefix: empty, or a valid name followed by {@code /}.
   *
   * @param prefix a prefix
   * @return the prefix
   * @throws IllegalArgumentException when it is not a valid prefix
   */
  static String checkPrefix(String prefix) {
    if (!prefix.isEmpty()) {
      if (!prefix.endsWith("/")) {
        throw new IllegalArgumentException("a prefix is empty or ends with '/': " + prefix);
      }
      checkName(prefix.substring(0, prefix.length() - 1));
    }
    return prefix;
  }

  /**
   * A store in a directory, such as a local disk or a shared network mount: an object is a file at
   * its name below the directory, written through a hidden temporary file in the same directory
   * that is forced to disk and renamed into place; {@link #createIfAbsent} hard-links such a file
   * into place, which fails when the name exists. Leftover temporary files of interrupted writes
   * are never listed. The directory's file system must support hard links (every local Linux file
   * system and NFS do).
   *
   * @param directory the store's directory; created when first written to
   * @return the store
   */
  static SnapshotStore filesystem(Path directory) {
    return new FileSystemSnapshotStore(directory);
  }
}
