package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The file-system store: atomic writes, listings (one level and recursive) that leave temporary
 * files out, names that cannot leave the directory, and the conditional create, the commit point
 * of snapshots.
 */
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

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesListsReadsAndDeletesObjects() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root.resolve("store"));
    assertThat(store.list("snapshots/github.com/o/r/")).isEmpty();
    assertThat(store.listRecursively("snapshots/")).isEmpty();

    long size = store.write("snapshots/github.com/o/r/objects/b2",
        out -> out.write(new byte[] {1, 2, 3}));
    store.write("snapshots/github.com/o/r/objects/a1", out -> out.write(1));
    store.write("snapshots/github.com/o/r/manifests/000000000001.json", out -> out.write(1));
    store.write("snapshots/gitlab.com/g/sub/r/ls-refs.json", out -> out.write(1));
    store.write("other/file.txt", out -> out.write("u\n".getBytes(StandardCharsets.UTF_8)));
    Files.writeString(root.resolve("store/snapshots/github.com/o/r/objects/.a1.123.tmp"), "x");
    Files.createDirectories(root.resolve("store/snapshots/.tmp-dir"));
    Files.writeString(root.resolve("store/snapshots/.tmp-dir/leftover"), "x");

    assertThat(size).isEqualTo(3);
    assertThat(store.list("snapshots/github.com/o/r/objects/"))
        .containsExactly(
            "snapshots/github.com/o/r/objects/a1", "snapshots/github.com/o/r/objects/b2");
    assertThat(store.list("")).isEmpty(); // directories are not objects
    assertThat(store.listRecursively("snapshots/"))
        .containsExactly(
            "snapshots/github.com/o/r/manifests/000000000001.json",
            "snapshots/github.com/o/r/objects/a1",
            "snapshots/github.com/o/r/objects/b2",
            "snapshots/gitlab.com/g/sub/r/ls-refs.json");
    assertThat(store.listRecursively("")).hasSize(5).contains("other/file.txt");
    assertThat(store.listRecursively("snapshots/nothing/")).isEmpty();
    assertThat(read(store, "other/file.txt")).isEqualTo("u\n");
    assertThat(Files.readAllBytes(root.resolve("store/snapshots/github.com/o/r/objects/b2")))
        .containsExactly(1, 2, 3);

    store.delete("snapshots/github.com/o/r/objects/a1");
    store.delete("snapshots/github.com/o/r/objects/a1"); // absent: nothing to do
    assertThat(store.list("snapshots/github.com/o/r/objects/"))
        .containsExactly("snapshots/github.com/o/r/objects/b2");
    assertThatThrownBy(() -> store.open("snapshots/github.com/o/r/objects/a1"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void contentIsWrittenToAHiddenTempFileAndRenamedIntoPlace() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root);
    store.write("a/object", out -> out.write("old".getBytes(StandardCharsets.UTF_8)));
    AtomicReference<List<String>> duringWrite = new AtomicReference<>();
    AtomicReference<String> visibleDuringWrite = new AtomicReference<>();

    store.write(
        "a/object",
        out -> {
          out.write("new".getBytes(StandardCharsets.UTF_8));
          out.flush();
          duringWrite.set(filesIn(root.resolve("a")));
          visibleDuringWrite.set(read(store, "a/object"));
        });

    assertThat(visibleDuringWrite.get()).isEqualTo("old");
    assertThat(duringWrite.get()).hasSize(2).contains("object")
        .anyMatch(name -> name.startsWith(".object.") && name.endsWith(".tmp"));
    assertThat(read(store, "a/object")).isEqualTo("new");
    assertThat(filesIn(root.resolve("a"))).containsExactly("object");
  }

  @Test
  void aFailedWriteLeavesThePreviousObjectAndNoTempFile() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root);
    store.write("a/object", out -> out.write("good".getBytes(StandardCharsets.UTF_8)));

    assertThatThrownBy(
            () ->
                store.write(
                    "a/object",
                    out -> {
                      out.write("half".getBytes(StandardCharsets.UTF_8));
                      throw new IOException("disk full");
                    }))
        .hasMessage("disk full");
    assertThatThrownBy(
            () -> store.write("a/new", out -> {
              throw new IOException("broken source");
            }))
        .hasMessage("broken source");

    assertThat(read(store, "a/object")).isEqualTo("good");
    assertThat(filesIn(root.resolve("a"))).containsExactly("object");
    assertThat(store.list("a/")).containsExactly("a/object");
  }

  @Test
  void leftoverTempFilesAreNeverListed() throws Exception {
    SnapshotStore store = SnapshotStore.filesystem(root);
    store.write("m/000000000001-aa.txt", out -> out.write(1));
    Files.writeString(root.resolve("m/.000000000002-bb.txt.123.tmp"), "interrupted");

    assertThat(store.list("m/")).containsExactly("m/000000000001-aa.txt");
    assertThatThrownBy(() -> store.open("m/.000000000002-bb.txt.123.tmp"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void namesThatCouldLeaveTheDirectoryAreRefused() {
    SnapshotStore store = SnapshotStore.filesystem(root.resolve("store"));
    for (String bad :
        new String[] {"", "/abs", "a//b", "../x", "a/../../x", "a/./b", ".hidden", "a/", "a b",
          "a\\b", "a\nb"}) {
      assertThatThrownBy(() -> store.write(bad, out -> out.write(1)))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.open(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.delete(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> store.list("a")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.list("../")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.listRecursively("../"))
        .isInstanceOf(IllegalArgumentException.class);
    assertThat(root.resolve("x")).doesNotExist();
  }
}
