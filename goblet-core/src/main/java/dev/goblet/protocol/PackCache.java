package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload-pack answers spooled to files under the cache root, in the spirit of Gitaly's
 * pack-objects cache. An answer is generated on the pack-generation executor (whose size is the
 * proxy's CPU ration for packs) into a spool file; every reader streams that file while it grows,
 * on its own request thread, so a client that stops reading holds an open file, never a generation
 * slot.
 *
 * <p>With a key (a hash of everything that determines the answer's bytes, see {@link PackKey}),
 * concurrent and later identical requests share one generation and read the same file, until the
 * entry is older than the maximum age or pushed out by the byte budget. Without a key, or with the
 * cache switched off, each request spools its own answer, deleted when it is read. A file is
 * deleted only once no reader holds it and its generation has ended; the budget counts files that
 * are evicted but still read, so held files are not forgotten. The directory is emptied when the
 * cache starts: entries do not outlive the process.
 *
 * <p>Thread-safe.
 */
final class PackCache implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PackCache.class);
  private static final String SUFFIX = ".spool";
  private static final int CHUNK = 64 * 1024;

  /** Writes one upload-pack answer; runs on the pack-generation executor. */
  interface Generator {
    /**
     * @param out the spool; closed by the cache
     * @throws GobletException when the answer fails; bytes written before stay readable
     * @throws IOException when writing fails
     */
    void writeTo(OutputStream out) throws GobletException, IOException;
  }

  /** Told, on the request thread, each time a reader has waited an interval without new bytes. */
  interface Waiting {
    /** Does nothing. */
    Waiting NONE = waited -> {};

    /**
     * @param waited how long the reader has waited since it was opened
     * @throws IOException when the client cannot be written to
     */
    void idle(Duration waited) throws IOException;
  }

  private final Path dir;
  private final boolean enabled;
  private final long maxAgeNanos;
  private final long maxBytes;
  private final Executor generators;
  private final Duration startLimit;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<String, Entry> entries = new ConcurrentHashMap<>();
  private final AtomicLong diskBytes = new AtomicLong();
  private final AtomicLong hits = new AtomicLong();
  private final AtomicLong misses = new AtomicLong();
  private final AtomicLong generations = new AtomicLong();
  private final AtomicLong fileNames = new AtomicLong();
  private volatile boolean closed;
  private final AtomicLong unspooled = new AtomicLong();

  /**
   * @param dir the spool directory; created, and emptied of old spool files (when it cannot be,
   *     packs are answered without the spool)
   * @param enabled whether identical requests share entries
   * @param maxAge how long an entry is served after it was started
   * @param maxBytes the byte budget of the spool files
   * @param generators runs generations; its thread count bounds how many run at once
   * @param startLimit how long a reader waits for its generation to start before it gives up
   * @param nanoTime a monotonic clock in nanoseconds
   */
  PackCache(
      Path dir,
      boolean enabled,
      Duration maxAge,
      long maxBytes,
      Executor generators,
      Duration startLimit,
      LongSupplier nanoTime) {
    this.dir = dir;
    this.enabled = enabled;
    this.maxAgeNanos = maxAge.toNanos();
    this.maxBytes = maxBytes;
    this.generators = generators;
    this.startLimit = startLimit;
    this.nanoTime = nanoTime;
    try {
      Files.createDirectories(dir);
      try (DirectoryStream<Path> old = Files.newDirectoryStream(dir, "*" + SUFFIX)) {
        for (Path file : old) {
          Files.deleteIfExists(file);
        }
      }
    } catch (IOException | UnsupportedOperationException e) {
      // A read-only cache root: packs are answered without the spool (see open).
      log.warn("cannot prepare the pack spool directory {}: {}", dir, e.toString());
    }
  }

  /**
   * Opens the answer for a request: an entry with the same key when one is cached, else a new
   * generation.
   *
   * @param key the answer's cache key, or {@code null} when it must not be shared
   * @param generator writes the answer when a new generation is needed
   * @return a reader; close it when done
   * @throws IOException when the spool file cannot be made
   */
  Reader open(String key, Generator generator) throws IOException {
    sweep();
    try {
      return openSpooled(key, generator);
    } catch (IOException | UnsupportedOperationException e) {
      // No spool file (a read-only or full cache root): still answer, as before the spool.
      if (unspooled.getAndIncrement() % 100 == 0) {
        log.warn("cannot spool a pack under {}: {}; answering without the spool", dir, e.toString());
      }
      return new DirectReader(generator);
    }
  }

  private Reader openSpooled(String key, Generator generator) throws IOException {
    if (!enabled || key == null) {
      Entry entry = newEntry(null);
      entry.markRemoved(); // never shared: deleted once read
      return start(entry, generator);
    }
    while (true) {
      Entry cached = entries.get(key);
      if (cached != null && cached.acquire()) {
        hits.incrementAndGet();
        return new SpoolReader(cached, true);
      }
      Entry entry = newEntry(key);
      if (entries.putIfAbsent(key, entry) == null) {
        misses.incrementAndGet();
        return start(entry, generator);
      }
      entry.markRemoved(); // lost the race to another request; read that one's
      entry.finish(null);
      deleteIfUnused(entry);
    }
  }

  private Entry newEntry(String key) throws IOException {
    Path file = dir.resolve("pack-" + fileNames.incrementAndGet() + "-" + System.nanoTime() + SUFFIX);
    Files.createFile(file);
    return new Entry(key, file, nanoTime.getAsLong());
  }

  private Reader start(Entry entry, Generator generator) throws IOException {
    entry.readers = 1;
    Reader reader = new SpoolReader(entry, false);
    try {
      generators.execute(() -> generate(entry, generator));
    } catch (RejectedExecutionException e) {
      finish(entry, busy(e));
    }
    return reader;
  }

  private void generate(Entry entry, Generator generator) {
    if (!entry.tryStart()) {
      return; // its readers gave up waiting for it
    }
    generations.incrementAndGet();
    Throwable failure = null;
    try (FileChannel channel = FileChannel.open(entry.file, StandardOpenOption.WRITE);
        OutputStream out = new BufferedOutputStream(new SpoolStream(entry, channel), CHUNK)) {
      generator.writeTo(out);
    } catch (Throwable t) {
      failure = t;
    }
    finish(entry, failure);
    sweep();
  }

  private void finish(Entry entry, Throwable failure) {
    if (failure != null) {
      remove(entry); // first: a failed answer is never served to a later request
    }
    entry.finish(failure);
    deleteIfUnused(entry);
  }

  /** Evicts entries past their age, then the oldest finished ones while over the byte budget. */
  private synchronized void sweep() {
    long now = nanoTime.getAsLong();
    List<Entry> finished = new ArrayList<>();
    for (Entry entry : entries.values()) {
      if (!entry.isDone()) {
        continue;
      }
      if (now - entry.created >= maxAgeNanos) {
        remove(entry);
      } else {
        finished.add(entry);
      }
    }
    if (diskBytes.get() <= maxBytes) {
      return;
    }
    finished.sort(Comparator.comparingLong(e -> e.created));
    long projected = diskBytes.get();
    for (Entry entry : finished) {
      if (projected <= maxBytes) {
        break;
      }
      projected -= entry.length();
      remove(entry);
    }
  }

  private void remove(Entry entry) {
    if (entry.key != null) {
      entries.remove(entry.key, entry);
    }
    entry.markRemoved();
    deleteIfUnused(entry);
  }

  private void deleteIfUnused(Entry entry) {
    if (!entry.claimDeletion()) {
      return;
    }
    try {
      Files.deleteIfExists(entry.file);
    } catch (IOException e) {
      log.warn("could not delete pack spool file {}", entry.file, e);
    }
    diskBytes.addAndGet(-entry.length());
  }

  private static GobletException busy(Throwable cause) {
    return new GobletException(
        Status.UNAVAILABLE, "the proxy is busy generating packs; try again shortly", cause);
  }

  /** Throws the generation's failure anew, so that each reader's trace is its own. */
  private static void rethrow(Throwable failure) throws GobletException, IOException {
    if (failure instanceof AnsweredException a) {
      throw new AnsweredException(a.status(), a.getMessage(), a);
    }
    if (failure instanceof GobletException g) {
      throw new GobletException(g.status(), g.getMessage(), g);
    }
    if (failure instanceof IOException io) {
      throw new IOException("generating the pack failed: " + io.getMessage(), io);
    }
    throw new GobletException(Status.INTERNAL, "generating the pack failed", failure);
  }

  /** @return how many requests read an entry another request generated */
  long hits() {
    return hits.get();
  }

  /** @return how many shareable requests started a generation */
  long misses() {
    return misses.get();
  }

  /** @return how many generations ran (shared or not) */
  long generations() {
    return generations.get();
  }

  /** @return the bytes of spool files on disk, including evicted files still being read */
  long diskBytes() {
    return diskBytes.get();
  }

  /**
   * Evicts every entry; files still being read are deleted when their readers close. Readers of
   * generations that have not started give up (busy) instead of waiting for them.
   */
  @Override
  public void close() {
    closed = true;
    for (Entry entry : entries.values()) {
      remove(entry);
    }
  }

  /** One answer's spool file and how far it has been written. */
  private static final class Entry {
    final String key;
    final Path file;
    final long created;
    private long length;
    private boolean started;
    private boolean done;
    private Throwable failure;
    private int readers;
    private boolean removed;
    private boolean deleted;

    Entry(String key, Path file, long created) {
      this.key = key;
      this.file = file;
      this.created = created;
    }

    synchronized boolean acquire() {
      if (removed) {
        return false;
      }
      readers++;
      return true;
    }

    synchronized void release() {
      readers--;
    }

    synchronized boolean tryStart() {
      if (done) {
        return false;
      }
      started = true;
      return true;
    }

    /** @return whether the entry failed with {@code failure} because it had not started */
    synchronized boolean failIfNotStarted(Throwable failure) {
      if (started || done) {
        return false;
      }
      done = true;
      this.failure = failure;
      notifyAll();
      return true;
    }

    synchronized void published(int bytes) {
      length += bytes;
      notifyAll();
    }

    synchronized void finish(Throwable failure) {
      if (!done) {
        done = true;
        this.failure = failure;
      }
      notifyAll();
    }

    synchronized boolean isDone() {
      return done;
    }

    synchronized long length() {
      return length;
    }

    synchronized void markRemoved() {
      removed = true;
    }

    /** @return whether nobody reads the entry and nobody ever will: its generation may stop */
    synchronized boolean abandoned() {
      return removed && readers == 0;
    }

    /** @return whether the caller must delete the file now (once only) */
    synchronized boolean claimDeletion() {
      if (deleted || !removed || readers > 0 || !done) {
        return false;
      }
      deleted = true;
      return true;
    }

    /** Waits until the entry is longer than {@code position} or done, at most {@code nanos}. */
    synchronized State await(long position, long nanos) throws InterruptedException {
      long deadline = System.nanoTime() + nanos;
      while (length <= position && !done) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        wait(Math.max(1, left / 1_000_000));
      }
      return new State(length, started, done, failure);
    }
  }

  private record State(long length, boolean started, boolean done, Throwable failure) {}

  /** Appends to an entry's file and tells its readers; stops a generation nobody will read. */
  private final class SpoolStream extends OutputStream {
    private final Entry entry;
    private final FileChannel channel;

    SpoolStream(Entry entry, FileChannel channel) {
      this.entry = entry;
      this.channel = channel;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (entry.abandoned()) {
        throw new IOException("every reader of this pack has gone");
      }
      ByteBuffer buffer = ByteBuffer.wrap(b, off, len);
      while (buffer.hasRemaining()) {
        channel.write(buffer);
      }
      diskBytes.addAndGet(len);
      entry.published(len);
    }
  }

  /** One request's answer. Not thread-safe. */
  interface Reader extends AutoCloseable {
    /** @return whether this reader reads an answer another request started */
    boolean shared();

    /**
     * Copies the whole answer to {@code out} as it is written, flushing whenever it has caught up
     * with the generation.
     *
     * @param out the client
     * @param waiting told every {@code interval} without new bytes
     * @param interval how long to wait for bytes before telling {@code waiting}
     * @throws GobletException when the generation failed (its bytes, such as an {@code ERR}
     *     packet, were copied first) or could not start in time
     * @throws IOException when the client cannot be written to, or the spool cannot be read
     */
    void transferTo(OutputStream out, Waiting waiting, Duration interval)
        throws GobletException, IOException;

    @Override
    void close() throws IOException;
  }

  /** One request's view of an entry: streams it as it grows. Not thread-safe. */
  final class SpoolReader implements Reader {
    private final Entry entry;
    private final boolean shared;
    private final FileChannel channel;
    private final long opened = nanoTime.getAsLong();
    private long position;
    private boolean closed;

    private SpoolReader(Entry entry, boolean shared) throws IOException {
      this.entry = entry;
      this.shared = shared;
      FileChannel opening;
      try {
        opening = FileChannel.open(entry.file, StandardOpenOption.READ);
      } catch (IOException e) {
        entry.release();
        deleteIfUnused(entry);
        throw e;
      }
      this.channel = opening;
    }

    @Override
    public boolean shared() {
      return shared;
    }

    @Override
    public void transferTo(OutputStream out, Waiting waiting, Duration interval)
        throws GobletException, IOException {
      ByteBuffer buffer = ByteBuffer.allocate(CHUNK);
      long slice = interval.toNanos();
      while (true) {
        State state;
        try {
          state = entry.await(position, slice);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new GobletException(Status.UNAVAILABLE, "interrupted waiting for a pack", e);
        }
        if (state.length() > position) {
          copy(buffer, state.length(), out);
          out.flush();
          continue;
        }
        if (state.done()) {
          out.flush();
          if (state.failure() != null) {
            rethrow(state.failure());
          }
          return;
        }
        long waited = nanoTime.getAsLong() - opened;
        if (!state.started() && (closed || waited >= startLimit.toNanos())) {
          GobletException busy = busy(null);
          if (entry.failIfNotStarted(busy)) {
            finish(entry, busy);
          }
          continue;
        }
        waiting.idle(Duration.ofNanos(waited));
      }
    }

    private void copy(ByteBuffer buffer, long end, OutputStream out) throws IOException {
      while (position < end) {
        buffer.clear();
        buffer.limit((int) Math.min(buffer.capacity(), end - position));
        int n = channel.read(buffer, position);
        if (n < 0) {
          throw new IOException("pack spool file " + entry.file + " ended early");
        }
        out.write(buffer.array(), 0, n);
        position += n;
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        channel.close();
      } finally {
        entry.release();
        deleteIfUnused(entry);
      }
    }
  }

  /**
   * An answer generated on the pack-generation executor straight to the client, for when no spool
   * file can be made: the generation holds its thread for the whole transfer (the behaviour before
   * the spool), and the client gets no keepalives while it waits.
   */
  private final class DirectReader implements Reader {
    private final Generator generator;

    DirectReader(Generator generator) {
      this.generator = generator;
    }

    @Override
    public boolean shared() {
      return false;
    }

    @Override
    public void transferTo(OutputStream out, Waiting waiting, Duration interval)
        throws GobletException, IOException {
      AtomicBoolean claimed = new AtomicBoolean();
      CompletableFuture<Void> done = new CompletableFuture<>();
      try {
        generators.execute(
            () -> {
              if (!claimed.compareAndSet(false, true)) {
                return; // the reader gave up waiting
              }
              generations.incrementAndGet();
              try {
                generator.writeTo(out);
                out.flush();
                done.complete(null);
              } catch (Throwable t) {
                done.completeExceptionally(t);
              }
            });
      } catch (RejectedExecutionException e) {
        throw busy(e);
      }
      long opened = nanoTime.getAsLong();
      while (true) {
        try {
          done.get(interval.toNanos(), TimeUnit.NANOSECONDS);
          return;
        } catch (TimeoutException e) {
          boolean late = closed || nanoTime.getAsLong() - opened >= startLimit.toNanos();
          if (late && claimed.compareAndSet(false, true)) {
            throw busy(null);
          }
        } catch (ExecutionException e) {
          rethrow(e.getCause());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new GobletException(Status.UNAVAILABLE, "interrupted waiting for a pack", e);
        }
      }
    }

    @Override
    public void close() {}
  }
}
