package dev.goblet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileSystemBackupStoreTest {
  @TempDir Path root;

  private String read(BackupStore store, String name) throws IOException {
    try (InputStream in = store.open(name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static List<String> filesIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Test
  void writesListsReadsAndDeletesObjects() throws Exception {
    BackupStore store = BackupStore.filesystem(root.resolve("store"));
    assertThat(store.list("bundles/github.com/o/r/")).isEmpty();

    long size =
        store.write("bundles/github.com/o/r/000000000002.bundle", out -> out.write(new byte[] {1, 2, 3}));
    store.write("bundles/github.com/o/r/000000000001.bundle", out -> out.write(1));
    store.write("bundles/github.com/o/r/sub/000000000003.bundle", out -> out.write(1));
    store.write("manifests/000000000001-abcd.txt", out -> out.write("u\n".getBytes(StandardCharsets.UTF_8)));

    assertThat(size).isEqualTo(3);
    assertThat(store.list("bundles/github.com/o/r/"))
        .containsExactly(
            "bundles/github.com/o/r/000000000001.bundle",
            "bundles/github.com/o/r/000000000002.bundle");
    assertThat(store.list("")).isEmpty(); // directories are not objects
    assertThat(read(store, "manifests/000000000001-abcd.txt")).isEqualTo("u\n");
    assertThat(Files.readAllBytes(root.resolve("store/bundles/github.com/o/r/000000000002.bundle")))
        .containsExactly(1, 2, 3);

    store.delete("bundles/github.com/o/r/000000000001.bundle");
    store.delete("bundles/github.com/o/r/000000000001.bundle"); // absent: nothing to do
    assertThat(store.list("bundles/github.com/o/r/"))
        .containsExactly("bundles/github.com/o/r/000000000002.bundle");
    assertThatThrownBy(() -> store.open("bundles/github.com/o/r/000000000001.bundle"))
        .isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void contentIsWrittenToAHiddenTempFileAndRenamedIntoPlace() throws Exception {
    BackupStore store = BackupStore.filesystem(root);
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
    BackupStore store = BackupStore.filesystem(root);
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
    BackupStore store = BackupStore.filesystem(root);
    store.write("m/000000000001-aa.txt", out -> out.write(1));
    Files.writeString(root.resolve("m/.000000000002-bb.txt.123.tmp"), "interrupted");

    assertThat(store.list("m/")).containsExactly("m/000000000001-aa.txt");
    assertThatThrownBy(() -> store.open("m/.000000000002-bb.txt.123.tmp"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void namesThatCouldLeaveTheDirectoryAreRefused() {
    BackupStore store = BackupStore.filesystem(root.resolve("store"));
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
    assertThat(root.resolve("x")).doesNotExist();
  }
}
