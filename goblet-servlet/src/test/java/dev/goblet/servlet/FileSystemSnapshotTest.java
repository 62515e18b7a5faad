package dev.goblet.servlet;

import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.SnapshotScenarios;
import java.io.RandomAccessFile;
import java.nio.file.Path;

/** The fleet scenarios with the built-in file-system store (a directory shared by replicas). */
class FileSystemSnapshotTest extends SnapshotScenarios {
  private Path storeDir;

  @Override
  protected SnapshotStore newStore(Path tmp) {
    storeDir = tmp.resolve("store");
    return SnapshotStore.filesystem(storeDir);
  }

  @Override
  protected void corrupt(String name) throws Exception {
    try (RandomAccessFile file = new RandomAccessFile(storeDir.resolve(name).toFile(), "rw")) {
      file.seek(file.length() / 2);
      int b = file.read();
      file.seek(file.length() / 2);
      file.write(b ^ 0xff);
    }
  }
}
