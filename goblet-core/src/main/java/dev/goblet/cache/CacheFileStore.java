package dev.goblet.cache;

import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.io.AtomicFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache directory: one {@code .json} file per repository (see {@link CacheFileCodec}), written
 * atomically through a {@code .tmp} file in the same directory.
 *
 * <p>A repository key maps to the file name {@code <readable>-<sha256 of key>.json}, where the
 * readable part is the key with every character other than {@code [A-Za-z0-9._-]} replaced by
 * {@code _}, cut to {@value #READABLE_LENGTH} characters, and prefixed with {@code _} unless it
 * starts with a letter, digit or {@code _} (no hidden files, no names a shell takes for options).
 * The name never contains a separator, so no key can escape the directory, and the hash keeps
 * distinct keys apart.
 *
 * <p>Methods are thread-safe for distinct repository keys; callers serialize operations on the
 * same key (two writers of one file would race on which content wins).
 */
final class CacheFileStore {

  static final String SUFFIX = ".json";
  static final String TEMP_SUFFIX = ".tmp";
  static final String CORRUPT_INFIX = ".corrupt-";
  private static final int READABLE_LENGTH = 64;

  private static final Logger LOG = LoggerFactory.getLogger(CacheFileStore.class);

  private final Path directory;
  private final Clock clock;

  CacheFileStore(Path directory, Clock clock) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  Path directory() {
    return directory;
  }

  /** @return the file holding {@code repoKey}'s entry, always directly inside the directory */
  Path fileFor(String repoKey) {
    return directory.resolve(fileName(repoKey));
  }

  static String fileName(String repoKey) {
    String readable = repoKey.replaceAll("[^A-Za-z0-9._-]", "_");
    if (readable.length() > READABLE_LENGTH) {
      readable = readable.substring(0, READABLE_LENGTH);
    }
    if (!readable.matches("[A-Za-z0-9_].*")) {
      readable = "_" + readable;
    }
    return readable + "-" + sha256(repoKey) + SUFFIX;
  }

  /**
   * Replaces the entry's file atomically: the content is written and forced to a temporary file
   * in the directory, moved over the file, and the directory is forced where the platform allows.
   */
  void write(String repoKey, byte[] content) throws IOException {
    Files.createDirectories(directory);
    Path target = fileFor(repoKey);
    AtomicFiles.write(target, target.getFileName().toString(), TEMP_SUFFIX, out -> out.write(content));
  }

  /** Deletes {@code repoKey}'s file if there is one. */
  void delete(String repoKey) throws IOException {
    if (Files.deleteIfExists(fileFor(repoKey))) {
      AtomicFiles.forceDirectory(directory);
    }
  }

  /**
   * Reads every entry file, creating the directory if missing. Leftover temporary files of
   * interrupted writes are deleted. A file that cannot be decoded, or whose name does not match
   * the key it holds, is renamed aside to {@code <name>.corrupt-<epoch millis>} with a warning. A
   * file that cannot be read is skipped with a warning.
   *
   * @return the entries read, in no particular order
   * @throws IOException if the directory cannot be created or listed
   */
  List<Entry> loadAll() throws IOException {
    Files.createDirectories(directory);
    deleteTempFiles();
    List<Entry> entries = new ArrayList<>();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
      for (Path file : files) {
        try {
          Entry entry = CacheFileCodec.decode(Files.readAllBytes(file));
          if (!file.getFileName().toString().equals(fileName(entry.repoKey()))) {
            throw new CacheFileCodec.FormatException(
                "holds repository "
                    + entry.repoKey()
                    + ", whose file is "
                    + fileFor(entry.repoKey()),
                null);
          }
          entries.add(entry);
        } catch (CacheFileCodec.FormatException e) {
          setAside(file, e);
        } catch (IOException e) {
          LOG.warn("Skipping unreadable ls-refs cache file {}", file, e);
        }
      }
    }
    return entries;
  }

  private void deleteTempFiles() throws IOException {
    try (DirectoryStream<Path> temps = Files.newDirectoryStream(directory, "*" + TEMP_SUFFIX)) {
      for (Path temp : temps) {
        try {
          Files.deleteIfExists(temp);
          LOG.info("Deleted {}, left over by an interrupted ls-refs cache write", temp);
        } catch (IOException e) {
          LOG.warn("Could not delete leftover ls-refs cache file {}", temp, e);
        }
      }
    }
  }

  private void setAside(Path file, Exception problem) {
    Path aside = file.resolveSibling(file.getFileName() + CORRUPT_INFIX + clock.millis());
    try {
      Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
      LOG.warn(
          "Set aside corrupt ls-refs cache file {} as {}: {}", file, aside, problem.getMessage());
    } catch (IOException e) {
      LOG.warn(
          "Could not set aside corrupt ls-refs cache file {}: {}", file, problem.getMessage(), e);
    }
  }

  private static String sha256(String key) {
    return sha256(key.getBytes(StandardCharsets.UTF_8));
  }

  /** @return the SHA-256 of {@code content}, in lowercase hex */
  static String sha256(byte[] content) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
