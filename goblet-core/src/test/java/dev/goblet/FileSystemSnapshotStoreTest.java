package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The file-system store's conditional create, the commit point of snapshots. */
class FileSystemSnapshotStoreTest {
  @TempDir Path root;

  private static String read(SnapshotStore store, String name) throws IOException {
    try (InputStream in = store.open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void createIfAbsentCreatesOnceAndNeverReplaces() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root.resolve("store"));

    assertThat(store.createIfAbsent("m/000000000001.json", out -> out.write("first".getBytes())))
        .isTrue();
    assertThat(store.createIfAbsent("m/000000000001.json", out -> out.write("second".getBytes())))
        .isFalse();

    assertThat(read(store, "m/000000000001.json")).isEqualTo("first");
    assertThat(store.list("m/")).containsExactly("m/000000000001.json");
    try (Stream<Path> files = Files.list(root.resolve("store/m"))) {
      assertThat(files).hasSize(1); // no temporary file left
    }
  }

  @Test
  void ofManyConcurrentCreatorsExactlyOneWinsAndItsContentIsStored() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root.resolve("store"));
    int creators = 8;
    ExecutorService pool = Executors.newFixedThreadPool(creators);
    CountDownLatch start = new CountDownLatch(1);
    try {
      List<Future<Boolean>> results = new ArrayList<>();
      for (int i = 0; i < creators; i++) {
        String content = "creator " + i;
        results.add(pool.submit(() -> {
          start.await();
          return store.createIfAbsent("gen/000000000007.json",
              out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
        }));
      }
      start.countDown();
      List<Integer> winners = new ArrayList<>();
      for (int i = 0; i < creators; i++) {
        if (results.get(i).get(30, TimeUnit.SECONDS)) {
          winners.add(i);
        }
      }
      assertThat(winners).hasSize(1);
      assertThat(read(store, "gen/000000000007.json")).isEqualTo("creator " + winners.get(0));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void aFailingContentCreatesNothing() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root.resolve("store"));
    assertThatThrownBy(() -> store.createIfAbsent("m/x", out -> {
      out.write("part".getBytes());
      throw new IOException("the producer failed");
    })).hasMessage("the producer failed");
    assertThat(store.list("m/")).isEmpty();
    assertThat(store.createIfAbsent("m/x", out -> out.write("whole".getBytes()))).isTrue();
  }

  @Test
  void namesAndPrefixesAreChecked() {
    assertThatThrownBy(() -> SnapshotStore.checkName("a/../b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SnapshotStore.checkName(".hidden"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SnapshotStore.checkPrefix("a/b"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(SnapshotStore.checkPrefix("snapshots/github.com/o/r/")).endsWith("/");
    assertThat(SnapshotStore.checkPrefix("")).isEmpty();
  }
}
