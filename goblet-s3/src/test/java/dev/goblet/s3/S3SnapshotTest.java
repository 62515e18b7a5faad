package dev.goblet.s3;

import dev.goblet.SnapshotStore;
import dev.goblet.servlet.testing.SnapshotScenarios;
import java.io.RandomAccessFile;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;

/** The fleet scenarios with an S3 store on a real S3 API server (s3proxy). */
class S3SnapshotTest extends SnapshotScenarios {
  private S3ProxyServer server;
  private S3SnapshotStore store;

  @Override
  protected SnapshotStore newStore(Path tmp) throws Exception {
    server = S3ProxyServer.start(tmp.resolve("s3"), "fleet");
    store = server.store("s3://fleet/goblet");
    return store;
  }

  @Override
  protected void corrupt(String name) throws Exception {
    Path file = server.file("fleet", "goblet/" + name);
    try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
      raf.seek(raf.length() / 2);
      int b = raf.read();
      raf.seek(raf.length() / 2);
      raf.write(b ^ 0xff);
    }
  }

  @AfterEach
  void stopServer() throws Exception {
    store.close();
    server.close();
  }
}
