package dev.goblet.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The S3 store's contract against a real S3 API server (s3proxy). */
class S3SnapshotStoreTest {
  @TempDir Path tmp;
  private S3ProxyServer server;
  private S3SnapshotStore store;

  @BeforeEach
  void start() throws Exception {
    server = S3ProxyServer.start(tmp.resolve("s3"), "fleet");
    store = server.store("s3://fleet/goblet/replicas");
  }

  @AfterEach
  void stop() throws Exception {
    store.close();
    server.close();
  }

  private String read(String name) throws IOException {
    try (InputStream in = store.open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void writesListsReadsAndDeletesUnderItsPrefix() throws Exception {
    assertThat(store.write("a/one.txt", out -> out.write("1".getBytes()))).isEqualTo(1);
    store.write("a/two.txt", out -> out.write("22".getBytes()));
    store.write("a/deeper/three.txt", out -> out.write("333".getBytes()));
    Path file = Files.writeString(tmp.resolve("f"), "from a file");
    assertThat(store.writeFile("b/file", file)).isEqualTo(11);

    assertThat(store.list("a/")).containsExactly("a/one.txt", "a/two.txt");
    assertThat(store.list("")).isEmpty();
    assertThat(store.listRecursively("a/"))
        .containsExactly("a/deeper/three.txt", "a/one.txt", "a/two.txt");
    assertThat(store.listRecursively("")).hasSize(4).contains("b/file");
    assertThat(store.listRecursively("c/")).isEmpty();
    assertThat(read("a/two.txt")).isEqualTo("22");
    assertThat(read("b/file")).isEqualTo("from a file");
    assertThat(Files.exists(tmp.resolve("s3/fleet/goblet/replicas/a/one.txt"))).isTrue();

    store.delete("a/one.txt");
    store.delete("a/one.txt"); // nothing to delete: no error
    assertThat(store.list("a/")).containsExactly("a/two.txt");
    assertThatThrownBy(() -> store.open("a/one.txt")).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void createIfAbsentCreatesOnceAndNeverReplaces() throws Exception {
    assertThat(store.createIfAbsent("m/000000000001.json", out -> out.write("first".getBytes())))
        .isTrue();
    assertThat(store.createIfAbsent("m/000000000001.json", out -> out.write("second".getBytes())))
        .isFalse();
    assertThat(read("m/000000000001.json")).isEqualTo("first");
  }

  @Test
  void aFailingContentStoresNothing() throws Exception {
    assertThatThrownBy(() -> store.write("x", out -> {
      out.write("part".getBytes());
      throw new IOException("the producer failed");
    })).hasMessage("the producer failed");
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void badNamesAndLocationsAreRefusedAtOnce() {
    assertThatThrownBy(() -> store.open("../escape")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> S3SnapshotStore.builder().location("http://fleet/x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> S3SnapshotStore.builder().location("s3://Bad_Bucket/x"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> S3SnapshotStore.builder().location("s3://fleet/a/../b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> S3SnapshotStore.builder().build())
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aWrongKeyIsAnIoErrorNotASecretInTheMessage() throws Exception {
    try (S3SnapshotStore wrong = S3SnapshotStore.builder()
        .location("s3://fleet/goblet")
        .endpoint(server.endpoint())
        .pathStyle(true)
        .credentials(software.amazon.awssdk.auth.credentials.StaticCredentialsProvider.create(
            software.amazon.awssdk.auth.credentials.AwsBasicCredentials.create(
                S3ProxyServer.ACCESS_KEY, "not-the-secret")))
        .build()) {
      assertThatThrownBy(() -> wrong.list(""))
          .isInstanceOf(IOException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("not-the-secret"));
    }
  }
}
