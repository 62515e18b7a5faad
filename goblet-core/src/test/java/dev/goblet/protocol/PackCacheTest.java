package dev.goblet.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PackCacheTest {
  private static final Duration SLICE = Duration.ofMillis(50);

  @TempDir Path dir;
  private final AtomicLong now = new AtomicLong();
  private final ExecutorService generators = Executors.newFixedThreadPool(1);
  private final ExecutorService readers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    generators.shutdownNow();
    readers.shutdownNow();
  }

  private PackCache cache(boolean enabled, Duration maxAge, long maxBytes) throws IOException {
    return new PackCache(
        dir, enabled, maxAge, maxBytes, generators, Duration.ofSeconds(30), now::get);
  }

  private static PackCache.Generator writes(String text) {
    return out -> out.write(text.getBytes(StandardCharsets.UTF_8));
  }

  private static String read(PackCache.Reader reader) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    reader.transferTo(out, PackCache.Waiting.NONE, SLICE);
    return out.toString(StandardCharsets.UTF_8);
  }

  private List<Path> spoolFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.toList();
    }
  }

  @Test
  void identicalRequestsShareOneGenerationAndReadItWhileItGrows() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 1 << 20);
    CountDownLatch firstHalfWritten = new CountDownLatch(1);
    CountDownLatch secondReaderOpened = new CountDownLatch(1);
    PackCache.Generator generator =
        out -> {
          out.write("first half;".getBytes(StandardCharsets.UTF_8));
          out.flush();
          firstHalfWritten.countDown();
          await(secondReaderOpened);
          out.write("second half".getBytes(StandardCharsets.UTF_8));
        };
    try (PackCache.Reader first = cache.open("k", generator)) {
      // The first reader gets the first half while the generation still runs.
      ByteArrayOutputStream partial = new ByteArrayOutputStream();
      CompletableFuture<String> whole =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  first.transferTo(partial, PackCache.Waiting.NONE, SLICE);
                  return partial.toString(StandardCharsets.UTF_8);
                } catch (Exception e) {
                  throw new IllegalStateException(e);
                }
              },
              readers);
      assertThat(firstHalfWritten.await(10, TimeUnit.SECONDS)).isTrue();
      try (PackCache.Reader second = cache.open("k", writes("never run"))) {
        assertThat(second.shared()).isTrue();
        secondReaderOpened.countDown();
        assertThat(read(second)).isEqualTo("first half;second half");
      }
      assertThat(whole.get(10, TimeUnit.SECONDS)).isEqualTo("first half;second half");
    }
    assertThat(cache.generations()).isEqualTo(1);
    assertThat(cache.hits()).isEqualTo(1);
    assertThat(cache.misses()).isEqualTo(1);
  }

  @Test
  void aReaderThatStopsReadingHoldsItsFileNotTheGenerationThread() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 1 << 30);
    byte[] big = new byte[4 << 20];
    // Opened and never read, like a client that stopped reading: its generation still ends.
    PackCache.Reader stalled = cache.open("big", out -> out.write(big));
    try (PackCache.Reader other = cache.open("small", writes("small answer"))) {
      // One generation thread: "small" runs only because "big" released it.
      assertThat(read(other)).isEqualTo("small answer");
    }
    assertThat(cache.diskBytes()).isEqualTo(big.length + "small answer".length());
    stalled.close();
  }

  @Test
  void entriesExpireByAgeAndHeldFilesGoWhenTheirLastReaderCloses() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 1 << 20);
    PackCache.Reader held = cache.open("k", writes("old"));
    assertThat(read(held)).isEqualTo("old");
    now.addAndGet(Duration.ofMinutes(5).toNanos());
    try (PackCache.Reader fresh = cache.open("k", writes("new"))) {
      assertThat(fresh.shared()).isFalse();
      assertThat(read(fresh)).isEqualTo("new");
    }
    // The expired file is still held open: it stays, and still counts against the budget.
    assertThat(spoolFiles()).hasSize(2);
    assertThat(cache.diskBytes()).isEqualTo(6);
    held.close();
    assertThat(spoolFiles()).hasSize(1);
    assertThat(cache.diskBytes()).isEqualTo(3);
    assertThat(cache.generations()).isEqualTo(2);
  }

  @Test
  void theOldestFinishedEntriesAreEvictedBeyondTheByteBudget() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 10);
    try (PackCache.Reader a = cache.open("a", writes("12345678"))) {
      assertThat(read(a)).hasSize(8);
    }
    now.incrementAndGet();
    try (PackCache.Reader b = cache.open("b", writes("abcdefgh"))) {
      assertThat(read(b)).hasSize(8);
    }
    // Over budget (16 > 10): the next open evicts "a", the oldest.
    try (PackCache.Reader b = cache.open("b", writes("never run"))) {
      assertThat(b.shared()).isTrue();
      assertThat(read(b)).isEqualTo("abcdefgh");
    }
    assertThat(cache.diskBytes()).isEqualTo(8);
    try (PackCache.Reader a = cache.open("a", writes("87654321"))) {
      assertThat(a.shared()).isFalse();
      assertThat(read(a)).isEqualTo("87654321");
    }
  }

  @Test
  void withTheCacheOffEveryRequestGeneratesAndItsFileIsDeletedOnceRead() throws Exception {
    PackCache cache = cache(false, Duration.ofMinutes(5), 1 << 20);
    for (String answer : List.of("one", "two")) {
      try (PackCache.Reader reader = cache.open("k", writes(answer))) {
        assertThat(reader.shared()).isFalse();
        assertThat(read(reader)).isEqualTo(answer);
      }
    }
    assertThat(cache.generations()).isEqualTo(2);
    assertThat(spoolFiles()).isEmpty();
    assertThat(cache.diskBytes()).isZero();
  }

  @Test
  void anUnsharedGenerationStopsWhenItsOnlyReaderLeaves() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 1 << 20);
    CountDownLatch readerGone = new CountDownLatch(1);
    AtomicReference<Throwable> stopped = new AtomicReference<>();
    CountDownLatch generationEnded = new CountDownLatch(1);
    PackCache.Reader reader =
        cache.open(
            null,
            out -> {
              try {
                await(readerGone);
                for (int i = 0; i < 1000; i++) {
                  out.write(new byte[1024]);
                  out.flush();
                }
              } catch (IOException e) {
                stopped.set(e);
                throw e;
              } finally {
                generationEnded.countDown();
              }
            });
    reader.close();
    readerGone.countDown();
    assertThat(generationEnded.await(10, TimeUnit.SECONDS)).isTrue();
    assertThat(stopped.get()).hasMessageContaining("every reader of this pack has gone");
    awaitNoSpoolFiles();
    assertThat(cache.diskBytes()).isZero();
  }

  @Test
  void aFailedGenerationIsReadToItsEndThenRethrownAndNeverServedAgain() throws Exception {
    PackCache cache = cache(true, Duration.ofMinutes(5), 1 << 20);
    try (PackCache.Reader reader =
        cache.open(
            "k",
            out -> {
              out.write("0011ERR bad want".getBytes(StandardCharsets.UTF_8));
              throw new AnsweredException(Status.BAD_REQUEST, "bad want", null);
            })) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      assertThatThrownBy(() -> reader.transferTo(out, PackCache.Waiting.NONE, SLICE))
          .isInstanceOf(AnsweredException.class)
          .hasMessage("bad want");
      assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("0011ERR bad want");
    }
    try (PackCache.Reader again = cache.open("k", writes("fine"))) {
      assertThat(again.shared()).isFalse();
      assertThat(read(again)).isEqualTo("fine");
    }
  }

  @Test
  void aGenerationThatCannotStartInTimeEndsWithAClearBusyError() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    PackCache cache =
        new PackCache(
            dir, true, Duration.ofMinutes(5), 1 << 20, generators, Duration.ofMillis(200),
            System::nanoTime);
    try (PackCache.Reader blocker = cache.open("blocker", out -> await(release));
        PackCache.Reader queued = cache.open("queued", writes("late"))) {
      assertThatThrownBy(() -> read(queued))
          .isInstanceOfSatisfying(
              GobletException.class, e -> assertThat(e.status()).isEqualTo(Status.UNAVAILABLE))
          .hasMessageContaining("busy generating packs");
      release.countDown();
      assertThat(read(blocker)).isEmpty();
    }
  }

  private void awaitNoSpoolFiles() throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!spoolFiles().isEmpty() && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(spoolFiles()).isEmpty();
  }

  private static void await(CountDownLatch latch) throws IOException {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IOException("test latch not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
  }
}
