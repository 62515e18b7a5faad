package dev.goblet;

import dev.goblet.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** {@link BackupStore#filesystem(Path)} and {@link SnapshotStore#filesystem(Path)}. Thread-safe (every operation is one file system call). */
final class FileSystemBackupStore implements SnapshotStore {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_~+-][A-Za-z0-9._~+-]{0,254}");
  private static final String TEMP_SUFFIX = ".tmp";

  private final Path root;

  FileSystemBackupStore(Path root) {
    this.root = Objects.requireNonNull(root, "directory").toAbsolutePath().normalize();
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    Objects.requireNonNull(prefix, "prefix");
    Path dir;
    if (prefix.isEmpty()) {
      dir = root;
    } else if (prefix.endsWith("/")) {
      dir = resolve(prefix.substring(0, prefix.length() - 1));
    } else {
      throw new IllegalArgumentException("a prefix is empty or ends with '/': " + prefix);
    }
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children
          .filter(Files::isRegularFile)
          .map(p -> p.getFileName().toString())
          .filter(name -> SEGMENT.matcher(name).matches()) // leaves out temporary files
          .map(name -> prefix + name)
          .sorted()
          .toList();
    }
  }

  @Override
  public InputStream open(String name) throws IOException {
    return Files.newInputStream(resolve(name));
  }

  @Override
  public long write(String name, Content content) throws IOException {
    Objects.requireNonNull(content, "content");
    Path target = resolve(name);
    Files.createDirectories(target.getParent());
    return AtomicFiles.write(
        target, "." + target.getFileName() + ".", TEMP_SUFFIX, content::writeTo);
  }

  @Override
  public boolean createIfAbsent(String name, Content content) throws IOException {
    Objects.requireNonNull(content, "content");
    Path target = resolve(name);
    Files.createDirectories(target.getParent());
    if (Files.exists(target)) {
      return false;
    }
    Path temp =
        Files.createTempFile(target.getParent(), "." + target.getFileName() + ".", TEMP_SUFFIX);
    try {
      AtomicFiles.write(temp, "." + target.getFileName() + ".", TEMP_SUFFIX, content::writeTo);
      try {
        Files.createLink(target, temp); // fails, atomically, when the name exists
      } catch (FileAlreadyExistsException e) {
        return false;
      }
      AtomicFiles.forceDirectory(target.getParent());
      return true;
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public void delete(String name) throws IOException {
    Path target = resolve(name);
    if (Files.deleteIfExists(target)) {
      AtomicFiles.forceDirectory(target.getParent());
    }
  }

  /** {@link SnapshotStore#checkName}. */
  static String checkName(String name) {
    Objects.requireNonNull(name, "name");
    String[] segments = name.split("/", -1);
    for (String segment : segments) {
      if (!SEGMENT.matcher(segment).matches()) {
        throw new IllegalArgumentException("not a valid backup object name: " + name);
      }
    }
    return name;
  }

  /** @return the file of a valid name, always below the root */
  private Path resolve(String name) {
    checkName(name);
    Path path = root.resolve(name).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      throw new IllegalArgumentException("not a valid backup object name: " + name);
    }
    return path;
  }

  @Override
  public String toString() {
    return "BackupStore.filesystem(" + root + ")";
  }
}
