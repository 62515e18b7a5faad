package dev.goblet;

import dev.goblet.io.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/** {@link SnapshotStore#filesystem(Path)}. Thread-safe (no state but the directory). */
final class FileSystemSnapshotStore implements SnapshotStore {
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_~+-][A-Za-z0-9._~+-]{0,254}");
  private static final String TEMP_SUFFIX = ".tmp";

  private final Path root;

  FileSystemSnapshotStore(Path root) {
    this.root = Objects.requireNonNull(root, "directory").toAbsolutePath().normalize();
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return listBelow(prefix, 1);
  }

  @Override
  public List<String> listRecursively(String prefix) throws IOException {
    return listBelow(prefix, Integer.MAX_VALUE);
  }

  /** @return the objects below the prefix's directory, at most {@code depth} levels down */
  private List<String> listBelow(String prefix, int depth) throws IOException {
    Objects.requireNonNull(prefix, "prefix");
    Path dir;
    if (prefix.isEmpty()) {
      dir = root;
    } else if (prefix.endsWith("/")) {
      dir = resolve(prefix.substring(0, prefix.length() - 1));
    } else {
      throw new IllegalArgumentException("a prefix is empty or ends with '/': " + prefix);
    }
    List<String> names = new ArrayList<>();
    collect(dir, prefix, depth, names);
    names.sort(null);
    return names;
  }

  /** Adds the objects below {@code dir}; entries that vanish meanwhile are left out. */
  private static void collect(Path dir, String prefix, int depth, List<String> names)
      throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path entry : entries) {
        String name = entry.getFileName().toString();
        if (!SEGMENT.matcher(name).matches()) {
          continue; // temporary files
        }
        if (Files.isRegularFile(entry)) {
          names.add(prefix + name);
        } else if (depth > 1 && Files.isDirectory(entry)) {
          collect(entry, prefix + name + "/", depth - 1, names);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      // not there (any more): nothing below it
    }
  }

  private static boolean isValidName(String name) {
    for (String segment : name.split("/", -1)) {
      if (!SEGMENT.matcher(segment).matches()) {
        return false;
      }
    }
    return true;
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
    if (!isValidName(name)) {
      throw new IllegalArgumentException("not a valid store object name: " + name);
    }
    return name;
  }

  /** @return the file of a valid name, always below the root */
  private Path resolve(String name) {
    checkName(name);
    Path path = root.resolve(name).normalize();
    if (!path.startsWith(root) || path.equals(root)) {
      throw new IllegalArgumentException("not a valid store object name: " + name);
    }
    return path;
  }

  @Override
  public String toString() {
    return "SnapshotStore.filesystem(" + root + ")";
  }
}
