package dev.goblet.cache;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A persisted cache of upstream {@code ls-refs} answers, so that the proxy can answer {@code
 * ls-refs} exactly as the upstream did while the upstream is down.
 *
 * <p>Per repository it keeps the newest {@value #MAX_LISTINGS_PER_REPOSITORY} listings with
 * distinct arguments, and answers a request from the newest listing that {@linkplain
 * RefListing#covers covers} it. At most {@code maxRepositories} repositories, holding together at
 * most {@code maxBytes} of heap (as {@link ListingWeigher} estimates it), are kept; the least
 * recently used one (by {@link #put} or {@link #answer}) is evicted. A repository whose entry alone
 * exceeds {@code maxBytes} keeps only its newest listing; if even that exceeds it, the listing is
 * not cached (the repository's other listings stay) and {@link #oversizedListings()} counts it.
 *
 * <p>Each repository is persisted in its own directory in the cache directory, one file per
 * listing, each replaced atomically (temporary file, fsync, rename), so that a kill leaves the old
 * content or the new one, and a changed listing rewrites only its own file: a one-ref {@code git
 * fetch origin main} answer writes its few lines, not the full listing beside it. Writes are
 * <em>write-behind</em>: a change marks the repository dirty and hands one write task to the
 * writer executor; further changes while the task waits add nothing, and the task writes whatever
 * memory holds when it runs, so a burst of changes to one repository costs one or two writes and
 * the last change wins. A listing that is on disk as memory holds it (the same listing, or a
 * byte-identical one) is not written again. When the writer refuses the task (its queue is full,
 * or it is shutting down), the write happens on the calling thread instead, so nothing is lost;
 * {@link #flush()} writes whatever is still dirty. Persistence failures are logged and counted,
 * never thrown, since the in-memory cache stays correct. A repository's directory is named {@code
 * <key, sanitized>-<SHA-256 of key>} and a listing's file {@code <SHA-256 of its arguments>.json},
 * so no key can place a file outside the directory; a file holds JSON of schema version 2 with
 * ISO-8601 UTC times (see {@code CacheFileCodec}). {@link #load()} migrates files of the earlier
 * format (one {@code <key, sanitized>-<SHA-256 of key>.json} per repository, schema version 1).
 *
 * <p>All methods are thread-safe. Call {@link #load()} once, before the cache is used.
 */
public final class LsRefsCache {

  /** The number of listings kept per repository. */
  public static final int MAX_LISTINGS_PER_REPOSITORY = 8;

  private static final Logger LOG = LoggerFactory.getLogger(LsRefsCache.class);
  private static final int FILE_LOCK_STRIPES = 32;

  private final Clock clock;
  private final int maxRepositories;
  private final long maxBytes;
  private final CacheFileStore store;
  private final Executor writer;
  private final AtomicLong persistFailures = new AtomicLong();
  private final AtomicLong oversizedListings = new AtomicLong();
  private final Set<String> dirty = ConcurrentHashMap.newKeySet();

  /*
   * Locking. `memoryLock` guards `lru`, an insertion-ordered map used as an LRU list (least
   * recently used first; a use moves the key to the end). Every operation mutates that order, even
   * answer(), so a read-write lock would buy nothing; the critical sections are a few map
   * operations on immutable values, while deriving answers and all I/O happen outside the lock.
   *
   * Files are kept in step by sync(key), which under the key's file lock (a lock stripe) writes
   * what changed of whatever memory holds for the key at that moment, or deletes the key's files if
   * memory holds nothing.
   * Every memory change is followed by a sync of the keys it changed, and syncs of one key are
   * serialized, so the last sync of a key always sees memory after the last change: a file can
   * never be left older than memory, nor resurrected after an invalidation or eviction. Lock order:
   * file lock, then memory lock. Syncs run on the writer (see schedule): a key is in `dirty` from
   * the change until a sync task takes it out, just before it reads memory, so a change made while
   * a sync runs schedules another one. `bytes` is the sum of the weights of the entries in `lru`.
   */
  private final ReentrantLock memoryLock = new ReentrantLock();
  private final LinkedHashMap<String, Entry> lru = new LinkedHashMap<>();
  private long bytes;
  private final ReentrantLock[] fileLocks = new ReentrantLock[FILE_LOCK_STRIPES];

  /**
   * A snapshot of one repository's cache entry. Immutable.
   *
   * @param repoKey the caller's key of the repository, such as {@code github.com/owner/repo}
   * @param upstream the upstream the listings came from
   * @param listings the listings, newest first, with distinct arguments, at least one and at most
   *     {@value LsRefsCache#MAX_LISTINGS_PER_REPOSITORY}
   */
  public record Entry(String repoKey, URI upstream, List<RefListing> listings) {

    /**
     * Validates and copies.
     *
     * @param repoKey the repository's key
     * @param upstream the upstream the listings came from
     * @param listings 1 to {@value LsRefsCache#MAX_LISTINGS_PER_REPOSITORY} listings, newest first,
     *     with distinct arguments
     */
    public Entry {
      Objects.requireNonNull(repoKey, "repoKey");
      Objects.requireNonNull(upstream, "upstream");
      listings = List.copyOf(listings);
      if (listings.isEmpty() || listings.size() > MAX_LISTINGS_PER_REPOSITORY) {
        throw new IllegalArgumentException(
            "an entry has 1 to " + MAX_LISTINGS_PER_REPOSITORY + " listings: " + listings.size());
      }
      if (listings.stream().map(RefListing::args).distinct().count() != listings.size()) {
        throw new IllegalArgumentException("listings with the same arguments in " + repoKey);
      }
    }

    /** @return when the newest listing was answered by the upstream */
    public Instant newestTime() {
      return listings.get(0).time();
    }

    /**
     * @return this entry in the cache file format (JSON, schema version 1, UTF-8), for copies such
     *     as snapshots; {@link #fromJson} reads it back
     */
    public byte[] toJson() {
      return CacheFileCodec.encode(this);
    }

    /**
     * @param json an entry written by {@link #toJson()} (or a cache file)
     * @return the entry, normalized as {@link LsRefsCache#load()} would
     * @throws IllegalArgumentException when the content is not a valid entry
     */
    public static Entry fromJson(byte[] json) {
      try {
        return CacheFileCodec.decode(json);
      } catch (CacheFileCodec.FormatException e) {
        throw new IllegalArgumentException("not an ls-refs cache entry: " + e.getMessage(), e);
      }
    }

    /**
     * Rebuilds an entry from stored listings (newest first) the way {@link #put} would have built
     * it, so that duplicates and excess listings are dropped rather than rejected.
     */
    static Entry restore(String repoKey, URI upstream, List<RefListing> listings) {
      return restore(repoKey, Collections.nCopies(listings.size(), upstream), listings);
    }

    /**
     * Rebuilds an entry from stored listings (newest first), each from its upstream, the way
     * {@link #put} would have built it: listings older than a newer one from another upstream are
     * dropped too.
     */
    static Entry restore(String repoKey, List<URI> upstreams, List<RefListing> listings) {
      if (listings.isEmpty() || upstreams.size() != listings.size()) {
        throw new IllegalArgumentException("no listings, or not one upstream each, for " + repoKey);
      }
      int oldest = listings.size() - 1;
      Entry entry = new Entry(repoKey, upstreams.get(oldest), List.of(listings.get(oldest)));
      for (int i = oldest - 1; i >= 0; i--) {
        entry = entry.plus(upstreams.get(i), listings.get(i));
      }
      return entry;
    }

    /**
     * @return this entry with {@code listing} added as the newest, replacing a listing with the
     *     same arguments and dropping the oldest beyond the cap; if {@code newUpstream} differs,
     *     the listings of the old upstream, another server, are discarded
     */
    private Entry plus(URI newUpstream, RefListing listing) {
      List<RefListing> kept = new ArrayList<>();
      kept.add(listing);
      if (upstream.equals(newUpstream)) {
        listings.stream()
            .filter(old -> !old.args().equals(listing.args()))
            .limit(MAX_LISTINGS_PER_REPOSITORY - 1)
            .forEach(kept::add);
      }
      return new Entry(repoKey, newUpstream, kept);
    }

    private Optional<Answer> answer(LsRefsArgs request) {
      return listings.stream()
          .filter(listing -> listing.covers(request))
          .findFirst()
          .map(listing -> new Answer(listing.time(), upstream, listing.derive(request)));
    }
  }

  /**
   * A cached answer to an {@code ls-refs} request. Immutable.
   *
   * @param time when the upstream gave the listing this answer is derived from
   * @param upstream the upstream that gave it
   * @param lines the pkt-line payloads, without trailing LFs, exactly as the upstream would have
   *     answered the request at {@code time}
   */
  public record Answer(Instant time, URI upstream, List<String> lines) {

    /**
     * Validates and copies.
     *
     * @param time when the upstream gave the listing the answer is derived from
     * @param upstream the upstream that gave it
     * @param lines the answer's pkt-line payloads, without trailing LFs
     */
    public Answer {
      Objects.requireNonNull(time, "time");
      Objects.requireNonNull(upstream, "upstream");
      lines = List.copyOf(lines);
    }
  }

  /**
   * Creates an empty cache without a byte budget that writes its files on the calling thread;
   * {@link #load()} reads what a previous instance persisted.
   *
   * @param directory the directory of the cache files, created when first needed; it should hold
   *     nothing else and belong to this instance alone
   * @param clock the source of listing times and ages
   * @param maxRepositories how many repositories to keep, at least 1
   */
  public LsRefsCache(Path directory, Clock clock, int maxRepositories) {
    this(directory, clock, maxRepositories, Long.MAX_VALUE, Runnable::run);
  }

  /**
   * Creates an empty cache; {@link #load()} reads what a previous instance persisted.
   *
   * @param directory the directory of the cache files, created when first needed; it should hold
   *     nothing else and belong to this instance alone
   * @param clock the source of listing times and ages
   * @param maxRepositories how many repositories to keep, at least 1
   * @param maxBytes the heap the listings may hold together, at least 1
   * @param writer runs the file writes; should have a bounded queue (a refused write runs on the
   *     caller's thread); whoever owns it must call {@link #flush()} after it stopped
   */
  public LsRefsCache(
      Path directory, Clock clock, int maxRepositories, long maxBytes, Executor writer) {
    if (maxRepositories < 1) {
      throw new IllegalArgumentException("maxRepositories must be positive: " + maxRepositories);
    }
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive: " + maxBytes);
    }
    this.clock = Objects.requireNonNull(clock, "clock");
    this.maxRepositories = maxRepositories;
    this.maxBytes = maxBytes;
    this.writer = Objects.requireNonNull(writer, "writer");
    this.store = new CacheFileStore(directory, clock);
    for (int i = 0; i < fileLocks.length; i++) {
      fileLocks[i] = new ReentrantLock();
    }
  }

  /**
   * Reads the entries persisted in the directory, creating it if missing, and adds them to this
   * cache (replacing in-memory entries of the same repositories), ordered for LRU by their newest
   * listing's time. A file that cannot be decoded (garbage, truncated, another schema version) is
   * renamed aside to {@code <name>.corrupt-<epoch millis>} with a warning, and leftover {@code
   * .tmp} files of interrupted writes are deleted; neither stops the other files, nor the other
   * listings of the same repository, from loading. Files of the earlier one-file-per-repository
   * format are migrated: their listings are written in the current format, then they are deleted.
   * If more than {@code maxRepositories} repositories result, the least recent are evicted.
   *
   * @return how many entries were read
   * @throws UncheckedIOException if the directory cannot be created or listed
   */
  public int load() {
    List<Entry> loaded;
    try {
      loaded = store.loadAll();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the ls-refs cache in " + store.directory(), e);
    }
    loaded.sort(Comparator.comparing(Entry::newestTime));
    List<String> evicted;
    memoryLock.lock();
    try {
      loaded.forEach(entry -> use(entry.repoKey(), entry));
      evicted = evictOverflow();
    } finally {
      memoryLock.unlock();
    }
    evicted.forEach(this::sync);
    return loaded.size();
  }

  /**
   * Records the upstream's answer to a request, made now by the clock, as the newest listing of
   * the repository (replacing a listing with the same arguments, dropping the oldest beyond
   * {@value #MAX_LISTINGS_PER_REPOSITORY}, discarding all listings if the upstream changed), marks
   * the repository used, evicts beyond {@code maxRepositories} and {@code maxBytes}, and schedules
   * the repository's file to be written. A persistence failure is logged and counted in {@link
   * #persistFailures()}.
   *
   * @param repoKey the repository's key
   * @param upstream the upstream that answered
   * @param args the request's arguments
   * @param lines the answer's pkt-line payloads, without trailing LFs
   * @return whether the listing was cached: false when it alone exceeds {@code maxBytes}
   * @throws IllegalArgumentException if a line is not an {@code ls-refs} answer line
   */
  public boolean put(String repoKey, URI upstream, LsRefsArgs args, List<String> lines) {
    Objects.requireNonNull(repoKey, "repoKey");
    Objects.requireNonNull(upstream, "upstream");
    RefListing listing = new RefListing(clock.instant(), args, lines);
    Entry alone = new Entry(repoKey, upstream, List.of(listing));
    if (weigh(alone) > maxBytes) {
      oversizedListings.incrementAndGet();
      LOG.warn(
          "Not caching an ls-refs listing of {} ({} refs, about {} bytes): above the budget of {}"
              + " bytes (lsRefsCacheMaxBytes)",
          repoKey,
          lines.size(),
          weigh(alone),
          maxBytes);
      return false;
    }
    List<String> evicted;
    memoryLock.lock();
    try {
      Entry previous = lru.get(repoKey);
      Entry next = previous == null ? alone : previous.plus(upstream, listing);
      use(repoKey, weigh(next) > maxBytes ? alone : next);
      evicted = evictOverflow();
    } finally {
      memoryLock.unlock();
    }
    schedule(repoKey);
    evicted.forEach(this::schedule);
    return true;
  }

  /**
   * Adds an entry from elsewhere (such as a snapshot store) as the repository's most recently used entry,
   * unless the cache already holds an entry for the repository whose newest listing is as new or
   * newer, and if it fits in {@code maxBytes}; evicts beyond the limits and persists like {@link
   * #put}.
   *
   * @param entry the entry, for example from {@link Entry#fromJson}
   * @return whether the entry was added
   */
  public boolean restore(Entry entry) {
    Objects.requireNonNull(entry, "entry");
    if (weigh(entry) > maxBytes) {
      oversizedListings.incrementAndGet();
      return false;
    }
    List<String> evicted;
    memoryLock.lock();
    try {
      Entry existing = lru.get(entry.repoKey());
      if (existing != null && !existing.newestTime().isBefore(entry.newestTime())) {
        return false;
      }
      use(entry.repoKey(), entry);
      evicted = evictOverflow();
    } finally {
      memoryLock.unlock();
    }
    schedule(entry.repoKey());
    evicted.forEach(this::schedule);
    return true;
  }

  /**
   * Answers a request from the newest listing of the repository that covers it, and marks the
   * repository used.
   *
   * @param repoKey the repository's key
   * @param request the request's arguments
   * @return the answer, or empty if no listing covers the request
   */
  public Optional<Answer> answer(String repoKey, LsRefsArgs request) {
    Objects.requireNonNull(request, "request");
    Entry entry;
    memoryLock.lock();
    try {
      entry = lru.get(repoKey);
      if (entry != null) {
        use(repoKey, entry);
      }
    } finally {
      memoryLock.unlock();
    }
    return entry == null ? Optional.empty() : entry.answer(request);
  }

  /**
   * @param repoKey the repository's key
   * @return a snapshot of the repository's entry; does not mark it used
   */
  public Optional<Entry> get(String repoKey) {
    memoryLock.lock();
    try {
      return Optional.ofNullable(lru.get(repoKey));
    } finally {
      memoryLock.unlock();
    }
  }

  /** @return a snapshot of all entries, least recently used first */
  public Collection<Entry> entries() {
    memoryLock.lock();
    try {
      return List.copyOf(lru.values());
    } finally {
      memoryLock.unlock();
    }
  }

  /** @return the number of repositories cached */
  public int size() {
    memoryLock.lock();
    try {
      return lru.size();
    } finally {
      memoryLock.unlock();
    }
  }

  /**
   * @param time a listing's time
   * @return how long ago {@code time} was by the clock; zero if it lies in the future
   */
  public Duration age(Instant time) {
    Duration age = Duration.between(time, clock.instant());
    return age.isNegative() ? Duration.ZERO : age;
  }

  /**
   * @param time a listing's time
   * @param ttl how long a listing stays fresh
   * @return whether {@code time} is more than {@code ttl} ago
   */
  public boolean isStale(Instant time, Duration ttl) {
    return age(time).compareTo(ttl) > 0;
  }

  /**
   * Whether the repository has a listing younger than {@code ttl} that covers every possible
   * request (all refs, with {@code symrefs}, {@code peel} and {@code unborn} or a born HEAD), so
   * that refreshing it is not yet due.
   *
   * @param repoKey the repository's key
   * @param ttl how long a listing stays fresh
   * @return whether such a listing exists; does not mark the repository used
   */
  public boolean hasFreshFullListing(String repoKey, Duration ttl) {
    LsRefsArgs everything = LsRefsArgs.of(List.of(), true, true, true);
    return get(repoKey).stream()
        .flatMap(entry -> entry.listings().stream())
        .anyMatch(listing -> listing.covers(everything) && !isStale(listing.time(), ttl));
  }

  /**
   * Forgets the repository and deletes its files, on the calling thread.
   *
   * @param repoKey the repository's key
   */
  public void invalidate(String repoKey) {
    memoryLock.lock();
    try {
      remove(repoKey);
    } finally {
      memoryLock.unlock();
    }
    sync(repoKey); // at once: a revoked or evicted repository's refs must not outlive a crash
  }

  /**
   * Forgets every repository and deletes their files. Files this instance never loaded are left
   * alone.
   */
  public void invalidateAll() {
    List<String> removed;
    memoryLock.lock();
    try {
      removed = List.copyOf(lru.keySet());
      lru.clear();
      bytes = 0;
    } finally {
      memoryLock.unlock();
    }
    removed.forEach(this::sync);
  }

  /**
   * Persists every entry again on the calling thread, each file atomically, and finishes pending
   * writes and deletions; failures are logged and counted.
   */
  public void save() {
    List<String> keys;
    memoryLock.lock();
    try {
      keys = List.copyOf(lru.keySet());
    } finally {
      memoryLock.unlock();
    }
    keys.forEach(key -> sync(key, true));
    flush();
  }

  /**
   * Writes, on the calling thread, every repository whose write is still pending, such as writes
   * the writer executor dropped when it was shut down. Call it once the writer has stopped (the
   * proxy does when it closes), or whenever the files must be current now.
   */
  public void flush() {
    for (String key : List.copyOf(dirty)) {
      if (dirty.remove(key)) {
        sync(key, false);
      }
    }
  }

  /** @return how many file writes or deletions have failed since this cache was created */
  public long persistFailures() {
    return persistFailures.get();
  }

  /**
   * @return how many listing files this instance has written (each an atomic replacement); a burst
   *     of changes to one repository is coalesced into one or two writes of each listing changed
   */
  public long fileWrites() {
    return store.fileWrites();
  }

  /** @return the bytes of the listing files this instance has written */
  public long bytesWritten() {
    return store.bytesWritten();
  }

  /**
   * @return how many scheduled writes of a repository found its files already holding what memory
   *     holds, and wrote nothing
   */
  public long unchangedWrites() {
    return store.unchangedSyncs();
  }

  /** @return how many listings (or restored entries) were not cached for exceeding {@code maxBytes} */
  public long oversizedListings() {
    return oversizedListings.get();
  }

  /** @return the estimated heap held by the cached listings, at most {@code maxBytes} */
  public long retainedBytes() {
    memoryLock.lock();
    try {
      return bytes;
    } finally {
      memoryLock.unlock();
    }
  }

  /** @return the estimated heap {@code entry}'s listings hold */
  static long weigh(Entry entry) {
    long total = 0;
    for (RefListing listing : entry.listings()) {
      total += listing.retainedBytes();
    }
    return total;
  }

  /** Stores the entry as the most recently used. Call with the memory lock held. */
  private void use(String repoKey, Entry entry) {
    remove(repoKey);
    lru.put(repoKey, entry);
    bytes += weigh(entry);
  }

  /** Forgets the key in memory. Call with the memory lock held. */
  private void remove(String repoKey) {
    Entry old = lru.remove(repoKey);
    if (old != null) {
      bytes -= weigh(old);
    }
  }

  /** Evicts least recently used entries beyond the limits. Call with the memory lock held. */
  private List<String> evictOverflow() {
    List<String> evicted = new ArrayList<>();
    Iterator<Map.Entry<String, Entry>> eldestFirst = lru.entrySet().iterator();
    while (lru.size() > maxRepositories || bytes > maxBytes) {
      Map.Entry<String, Entry> eldest = eldestFirst.next();
      evicted.add(eldest.getKey());
      bytes -= weigh(eldest.getValue());
      eldestFirst.remove();
    }
    return evicted;
  }

  /**
   * Marks the key's file for a write and hands the writer a task for it, unless one is pending;
   * a refused task is run here. See the locking comment.
   */
  private void schedule(String repoKey) {
    if (!dirty.add(repoKey)) {
      return;
    }
    Runnable task =
        () -> {
          if (dirty.remove(repoKey)) {
            sync(repoKey, false);
          }
        };
    try {
      writer.execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  /** Makes the key's file reflect memory; see the locking comment. */
  private void sync(String repoKey) {
    sync(repoKey, false);
  }

  /**
   * Makes the key's files reflect memory; see the locking comment. Unless {@code force}, listings
   * already on disk are not written again.
   */
  private void sync(String repoKey, boolean force) {
    ReentrantLock fileLock = fileLocks[Math.floorMod(repoKey.hashCode(), fileLocks.length)];
    fileLock.lock();
    try {
      store.sync(repoKey, get(repoKey).orElse(null), force);
    } catch (IOException e) {
      persistFailures.incrementAndGet();
      LOG.warn("Could not persist the ls-refs cache of {} in {}", repoKey, store.directory(), e);
    } finally {
      fileLock.unlock();
    }
  }
}
