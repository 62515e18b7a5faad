package dev.goblet.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The fleet test's replica JVM cannot outlive the JVM that started it. */
class ReplicaProcessTest {
  @TempDir Path tmp;

  @Test
  void aReplicaProcessServesAndExitsWhenItsParentsPipeCloses() throws Exception {
    try (S3ProxyServer s3 = S3ProxyServer.start(tmp.resolve("s3"), "fleet");
        ReplicaProcess replica = ReplicaProcess.start(tmp.resolve("cache"),
            "http://127.0.0.1:9", s3.endpoint(), "s3://fleet/goblet", tmp.resolve("replica.log"))) {
      assertThat(replica.baseUrl()).startsWith("http://127.0.0.1:");
      assertThat(ProcessHandle.of(replica.pid())).isPresent();
      assertThat(replica.closeInputAndAwaitExit()).isZero();
      assertThat(ProcessHandle.of(replica.pid()).filter(ProcessHandle::isAlive)).isEmpty();
    }
  }
}
