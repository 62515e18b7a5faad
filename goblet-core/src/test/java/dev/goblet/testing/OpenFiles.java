package dev.goblet.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * The files this JVM holds open, read from Linux's {@code /proc/self/fd}: a closed proxy must hold
 * none under its cache root (an open file, or a deleted one still open, keeps the file system busy:
 * it can be neither unmounted nor remounted read-only).
 */
public final class OpenFiles {
  private static final Path FDS = Path.of("/proc/self/fd");

  private OpenFiles() {}

  /**
   * @param root a directory
   * @return the targets of this JVM's open file descriptors under {@code root}, deleted ones
   *     marked {@code (deleted)} by the kernel
   * @throws IOException when {@code /proc/self/fd} cannot be read
   */
  public static List<String> under(Path root) throws IOException {
    Requirements.require(Files.isDirectory(FDS), "Linux's /proc/self/fd");
    String prefix = root.toRealPath().toString() + "/";
    List<String> open = new ArrayList<>();
    try (Stream<Path> fds = Files.list(FDS)) {
      for (Path fd : fds.toList()) {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith(prefix)) {
            open.add(target);
          }
        } catch (IOException closedMeanwhile) {
          // the descriptor was closed between listing and reading it
        }
      }
    }
    return open;
  }
}
