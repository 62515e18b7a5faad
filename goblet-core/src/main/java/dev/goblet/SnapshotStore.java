package dev.goblet;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The shared tier of a fleet of replicas: a {@link BackupStore} that can also create an object only
 * when none of that name exists (an S3 {@code PUT} with {@code If-None-Match: *}, a hard link on a
 * file system). Replicas publish mirror snapshots and ls-refs cache entries to it and restore
 * mirrors they lack from it (see {@link ServerConfig.Builder#snapshotStore}); the conditional
 * create makes a snapshot's manifest the commit point that two publishers cannot both claim.
 *
 * <p>The file-system store is built in ({@link #filesystem(Path)}); the {@code goblet-s3} module
 * adds an S3-compatible one. Implementations must be thread-safe.
 */
public interface SnapshotStore extends BackupStore {
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
   * Checks an object name against the rules of {@link BackupStore} (segments of {@code
   * [A-Za-z0-9._~+-]}, 1 to 255 characters, not starting with {@code .}, joined by {@code /}), for
   * implementations.
   *
   * @param name a name
   * @return the name
   * @throws IllegalArgumentException when it is not a valid name
   */
  static String checkName(String name) {
    return FileSystemBackupStore.checkName(name);
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
   * A store in a directory (see {@link BackupStore#filesystem(Path)}); {@link #createIfAbsent}
   * writes a hidden temporary file and hard-links it into place, which fails when the name exists.
   * The directory's file system must support hard links (every local Linux file system and NFS do).
   *
   * @param directory the store's directory; created when first written to
   * @return the store
   */
  static SnapshotStore filesystem(Path directory) {
    return new FileSystemBackupStore(directory);
  }
}
