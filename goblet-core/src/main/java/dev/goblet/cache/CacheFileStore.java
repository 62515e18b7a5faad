package dev.goblet.cache;

import dev.goblet.cache.CacheFileCodec.StoredListing;
import dev.goblet.cache.LsRefsCache.Entry;
import dev.goblet.io.AtomicFiles;
import dev.goblet.io.FileTrees;
import java.io.IOException;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The cache directory: a directory per repository holding one {@code .json} file per listing (see
 * {@link CacheFileCodec}), each written atomically through a {@code .tmp} file beside it, so that a
 * changed listing rewrites only its own file.
 *
 * <p>A repository key maps to the directory name {@code <readable>-<sha256 of key>}, where the
 * readable part is the key with every character other than {@code [A-Za-z0-9._-]} replaced by
 * {@code _}, cut to {@value #READABLE_LENGTH} characters, and prefixed with {@code _} unless it
 * starts with a letter, digit or {@code _} (no hidden files, no names a shell takes for options).
 * A listing's file is named {@code <sha256 of its arguments>.json}. No name contains a separator,
 * so no key can escape the directory, and the hashes keep distinct keys and arguments apart.
 *
 * <p>A repository is deleted by renaming its directory to {@code <name>.deleted-<n>} (one atomic
 * step, so a crash cannot leave part of a deleted repository to be loaded) and then deleting that.
 * Files of the earlier format, one {@code <readable>-<sha256 of key>.json} file per repository,
 * are migrated by {@link #loadAll()}: their listings are written as listing files, then the old
 * file is deleted.
 *
 * <p>The store remembers what it last wrote or read per listing file, to write only what changed.
 * Methods are thread-safe for distinct repository keys; callers serialize operations on the same
 * key, and call {@link #loadAll()} before any other operation.
 */
final class CacheFileStore {

  static final String SUFFIX = ".json";
  static final String TEMP_SUFFIX = ".tmp";
  static final String CORRUPT_INFIX = ".corrupt-";
  static final String DELETED_INFIX = ".deleted-";
  private static final int READABLE_LENGTH = 64;
  private static final String REPOSITORY_NAME = "[A-Za-z0-9_][A-Za-z0-9._-]*-[0-9a-f]{64}";
  private static final Pattern REPOSITORY_DIRECTORY = Pattern.compile(REPOSITORY_NAME);
  private static final Pattern DELETED_DIRECTORY =
      Pattern.compile(REPOSITORY_NAME + Pattern.quote(DELETED_INFIX) + "[0-9]{1,19}");

  private static final Logger LOG = LoggerFactory.getLogger(CacheFileStore.class);

  private final Path directory;
  private final Clock clock;
  private final Map<String, Map<LsRefsArgs, Written>> onDisk = new ConcurrentHashMap<>();
  private final AtomicLong fileWrites = new AtomicLong();
  private final AtomicLong bytesWritten = new AtomicLong();
  private final AtomicLong unchangedSyncs = new AtomicLong();

  /**
   * What a listing file holds, as this store wrote or read it. The listing is weakly referenced:
   * it tells cheaply that memory still holds the listing written, without keeping it in memory.
   */
  private record Written(
      long sequence,
      URI upstream,
      Instant time,
      String sha256,
      WeakReference<RefListing> listing) {

    static Written of(long sequence, URI upstream, RefListing listing, String sha256) {
      return new Written(
          sequence, upstream, listing.time(), sha256, new WeakReference<>(listing));
    }

    /** @return whether the file holds {@code listing} of {@code upstream} under this sequence */
    boolean holds(String repoKey, URI newUpstream, RefListing newListing) {
      if (!upstream.equals(newUpstream)) {
        return false;
      }
      if (listing.get() == newListing) {
        return true;
      }
      return time.equals(newListing.time())
          && sha256.equals(
              CacheFileStore.sha256(
                  CacheFileCodec.encodeListing(repoKey, newUpstream, sequence, newListing)));
    }
  }

  CacheFileStore(Path directory, Clock clock) {
    this.directory = Objects.requireNonNull(directory, "directory");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  Path directory() {
    return directory;
  }

  /** @return the directory holding {@code repoKey}'s listings, always directly inside the root */
  Path directoryFor(String repoKey) {
    return directory.resolve(directoryName(repoKey));
  }

  static String directoryName(String repoKey) {
    String readable = repoKey.replaceAll("[^A-Za-z0-9._-]", "_");
    if (readable.length() > READABLE_LENGTH) {
      readable = readable.substring(0, READABLE_LENGTH);
    }
    if (!readable.matches("[A-Za-z0-9_].*")) {
      readable = "_" + readable;
    }
    return readable + "-" + sha256(repoKey.getBytes(StandardCharsets.UTF_8));
  }

  /** @return the name of the file the earlier format kept {@code repoKey}'s whole entry in */
  static String legacyFileName(String repoKey) {
    return directoryName(repoKey) + SUFFIX;
  }

  /** @return the name of the file of the listing answering {@code args}, in its repository's directory */
  static String listingFileName(LsRefsArgs args) {
    return sha256(CacheFileCodec.canonical(args)) + SUFFIX;
  }

  /** @return how many listing files this store has written */
  long fileWrites() {
    return fileWrites.get();
  }

  /** @return the bytes of the listing files this store has written */
  long bytesWritten() {
    return bytesWritten.get();
  }

  /** @return how many {@link #sync}s found every file of the repository current */
  long unchangedSyncs() {
    return unchangedSyncs.get();
  }

  /**
   * Makes the repository's files hold {@code entry}: writes the file of each listing that is not
   * on disk as it is in {@code entry} (every listing if {@code force}), oldest first, then deletes
   * the files of listings {@code entry} no longer has. Each file is replaced atomically; a failure
   * leaves every file whole, holding either its old or its new listing. With a null entry, deletes
   * the repository.
   *
   * @param repoKey the repository's key
   * @param entry what memory holds for it, or null if nothing
   * @param force whether to write listings that are already on disk
   * @throws IOException when a file cannot be written or deleted
   */
  void sync(String repoKey, Entry entry, boolean force) throws IOException {
    if (entry == null) {
      deleteRepository(repoKey);
      return;
    }
    Map<LsRefsArgs, Written> files = onDisk.computeIfAbsent(repoKey, key -> new HashMap<>());
    Path repository = directoryFor(repoKey);
    URI upstream = entry.upstream();
    long sequence = files.values().stream().mapToLong(Written::sequence).max().orElse(0);
    long newer = 0; // the sequence of the older neighbour: each listing's must be higher
    boolean changed = false;
    List<RefListing> listings = entry.listings();
    for (int i = listings.size() - 1; i >= 0; i--) {
      RefListing listing = listings.get(i);
      Written old = files.get(listing.args());
      if (!force && old != null && old.sequence() > newer && old.holds(repoKey, upstream, listing)) {
        if (old.listing().get() != listing) { // same content: compare by reference next time
          files.put(
              listing.args(), Written.of(old.sequence(), upstream, listing, old.sha256()));
        }
        newer = old.sequence();
        continue;
      }
      if (!changed && !Files.isDirectory(repository)) {
        Files.createDirectories(repository);
        AtomicFiles.forceDirectory(directory);
      }
      changed = true;
      sequence++;
      byte[] content = CacheFileCodec.encodeListing(repoKey, upstream, sequence, listing);
      Path target = repository.resolve(listingFileName(listing.args()));
      AtomicFiles.write(
          target, target.getFileName().toString(), TEMP_SUFFIX, out -> out.write(content));
      files.put(listing.args(), Written.of(sequence, upstream, listing, sha256(content)));
      fileWrites.incrementAndGet();
      bytesWritten.addAndGet(content.length);
      newer = sequence;
    }
    Set<LsRefsArgs> kept = listings.stream().map(RefListing::args).collect(Collectors.toSet());
    boolean deleted = false;
    for (Iterator<LsRefsArgs> args = files.keySet().iterator(); args.hasNext(); ) {
      LsRefsArgs dropped = args.next();
      if (!kept.contains(dropped)) {
        Files.deleteIfExists(repository.resolve(listingFileName(dropped)));
        args.remove();
        deleted = true;
      }
    }
    if (deleted) {
      AtomicFiles.forceDirectory(repository);
    } else if (!changed) {
      unchangedSyncs.incrementAndGet();
    }
  }

  /**
   * Deletes the repository's directory, in one atomic rename and then its removal, and a file of
   * the earlier format if one is left.
   */
  private void deleteRepository(String repoKey) throws IOException {
    onDisk.remove(repoKey);
    Path repository = directoryFor(repoKey);
    if (Files.isDirectory(repository, LinkOption.NOFOLLOW_LINKS)) {
      Path doomed =
          repository.resolveSibling(repository.getFileName() + DELETED_INFIX + (System.nanoTime() & Long.MAX_VALUE));
      Files.move(repository, doomed, StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.forceDirectory(directory);
      FileTrees.deleteTree(doomed);
    }
    if (Files.deleteIfExists(directory.resolve(legacyFileName(repoKey)))) {
      AtomicFiles.forceDirectory(directory);
    }
  }

  /**
   * Reads every repository, creating the directory if missing. Leftovers of interrupted writes
   * ({@code .tmp} files) and deletions ({@code .deleted-} directories) are deleted. A listing file
   * that cannot be decoded, or whose name does not match what it holds, is renamed aside to {@code
   * <name>.corrupt-<epoch millis>} with a warning; the repository's other listings still load. A
   * file that cannot be read is skipped with a warning. Listing files a repository's entry does not
   * keep (a crash between writing a listing and deleting the one it displaced) are deleted. Files
   * of the earlier format are migrated (see the class comment); where both formats hold a
   * repository, the one with the newer newest listing wins and the other is removed.
   *
   * @return the entries read, in no particular order
   * @throws IOException if the directory cannot be created or listed
   */
  List<Entry> loadAll() throws IOException {
    Files.createDirectories(directory);
    Map<String, Entry> loaded = new LinkedHashMap<>();
    List<Path> legacyFiles = new ArrayList<>();
    for (Path child : children(directory)) {
      String name = child.getFileName().toString();
      if (name.endsWith(TEMP_SUFFIX)) {
        deleteLeftover(child);
      } else if (DELETED_DIRECTORY.matcher(name).matches()) {
        deleteLeftover(child);
      } else if (Files.isDirectory(child, LinkOption.NOFOLLOW_LINKS)) {
        if (REPOSITORY_DIRECTORY.matcher(name).matches()) {
          try {
            Entry entry = loadRepository(child);
            if (entry != null) {
              loaded.put(entry.repoKey(), entry);
            }
          } catch (IOException e) {
            LOG.warn("Skipping unreadable ls-refs cache directory {}", child, e);
          }
        }
      } else if (name.endsWith(SUFFIX) && Files.isRegularFile(child, LinkOption.NOFOLLOW_LINKS)) {
        legacyFiles.add(child);
      }
    }
    for (Path file : legacyFiles) {
      migrate(file, loaded);
    }
    return new ArrayList<>(loaded.values());
  }

  /** A listing file read, and the SHA-256 of its content. */
  private record Found(StoredListing stored, String sha256) {}

  /** @return the repository's entry, or null if none of its listing files could be read */
  private Entry loadRepository(Path repository) throws IOException {
    List<Found> found = new ArrayList<>();
    for (Path file : children(repository)) {
      String name = file.getFileName().toString();
      if (name.endsWith(TEMP_SUFFIX)) {
        deleteLeftover(file);
      } else if (name.endsWith(SUFFIX)) {
        try {
          byte[] content = Files.readAllBytes(file);
          StoredListing stored = CacheFileCodec.decodeListing(content);
          Path expected =
              directory
                  .resolve(directoryName(stored.repoKey()))
                  .resolve(listingFileName(stored.listing().args()));
          if (!expected.equals(file)) {
            throw new CacheFileCodec.FormatException(
                "holds a listing of repository " + stored.repoKey() + ", whose file is " + expected,
                null);
          }
          found.add(new Found(stored, sha256(content)));
        } catch (CacheFileCodec.FormatException e) {
          setAside(file, e);
        } catch (IOException e) {
          LOG.warn("Skipping unreadable ls-refs cache file {}", file, e);
        }
      }
    }
    if (found.isEmpty()) {
      try {
        Files.deleteIfExists(repository);
      } catch (DirectoryNotEmptyException e) {
        // holds files set aside, for whoever investigates them
      } catch (IOException e) {
        LOG.warn("Could not delete the empty ls-refs cache directory {}", repository, e);
      }
      return null;
    }
    found.sort(Comparator.comparingLong((Found f) -> f.stored().sequence()).reversed());
    String repoKey = found.get(0).stored().repoKey();
    Entry entry =
        Entry.restore(
            repoKey,
            found.stream().map(f -> f.stored().upstream()).toList(),
            found.stream().map(f -> f.stored().listing()).toList());
    Map<LsRefsArgs, Written> files = new HashMap<>();
    for (Found f : found) {
      StoredListing stored = f.stored();
      RefListing listing = stored.listing();
      if (entry.listings().stream().anyMatch(kept -> kept == listing)) {
        files.put(
            listing.args(), Written.of(stored.sequence(), stored.upstream(), listing, f.sha256()));
      } else { // displaced by a newer listing before a crash could delete it
        deleteLeftover(repository.resolve(listingFileName(listing.args())));
      }
    }
    onDisk.put(repoKey, files);
    return entry;
  }

  /** Moves a repository's file of the earlier format into the current one, or drops it. */
  private void migrate(Path file, Map<String, Entry> loaded) {
    Entry legacy;
    try {
      legacy = CacheFileCodec.decode(Files.readAllBytes(file));
      if (!file.getFileName().toString().equals(legacyFileName(legacy.repoKey()))) {
        throw new CacheFileCodec.FormatException(
            "holds repository "
                + legacy.repoKey()
                + ", whose file is "
                + directory.resolve(legacyFileName(legacy.repoKey())),
            null);
      }
    } catch (CacheFileCodec.FormatException e) {
      setAside(file, e);
      return;
    } catch (IOException e) {
      LOG.warn("Skipping unreadable ls-refs cache file {}", file, e);
      return;
    }
    String repoKey = legacy.repoKey();
    Entry current = loaded.get(repoKey);
    try {
      if (current == null || !current.newestTime().isAfter(legacy.newestTime())) {
        loaded.put(repoKey, legacy); // kept in memory even if it cannot be written now
        sync(repoKey, legacy, true);
        LOG.info("Migrated the ls-refs cache file {} to {}", file, directoryFor(repoKey));
      }
      Files.delete(file);
      AtomicFiles.forceDirectory(directory);
    } catch (IOException e) {
      LOG.warn("Could not migrate the ls-refs cache file {}; it is kept", file, e);
    }
  }

  private static List<Path> children(Path dir) throws IOException {
    List<Path> children = new ArrayList<>();
    try (DirectoryStream<Path> stream = Files.newDirectoryStream(dir)) {
      stream.forEach(children::add);
    }
    return children;
  }

  private static void deleteLeftover(Path leftover) {
    try {
      FileTrees.deleteTree(leftover);
      LOG.info("Deleted {}, left over by an interrupted ls-refs cache write or deletion", leftover);
    } catch (IOException e) {
      LOG.warn("Could not delete leftover ls-refs cache file {}", leftover, e);
    }
  }

  private void setAside(Path file, Exception problem) {
    Path aside = file.resolveSibling(file.getFileName() + CORRUPT_INFIX + clock.millis());
    try {
      Files.move(file, aside, StandardCopyOption.REPLACE_EXISTING);
      LOG.warn(
          "Set aside corrupt ls-refs cache file {} as {}: {}", file, aside, problem.getMessage());
    } catch (IOException e) {
      LOG.warn(
          "Could not set aside corrupt ls-refs cache file {}: {}", file, problem.getMessage(), e);
    }
  }

  /** @return the SHA-256 of {@code content}, in lowercase hex */
  static String sha256(byte[] content) {
    try {
      MessageDigest digest = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(digest.digest(content));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }
}
