package dev.goblet.snapshot;

import dev.goblet.SnapshotStore;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.io.FileTrees;
import dev.goblet.repository.Mirror;
import dev.goblet.snapshot.SnapshotManifest.FileEntry;
import dev.goblet.snapshot.SnapshotManifest.Names;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.GC;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefDatabase;
import org.eclipse.jgit.lib.Repository;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes mirror snapshots and ls-refs cache entries to the store (layout: {@link
 * SnapshotManifest}). A snapshot is committed by creating the next manifest generation with a
 * conditional create; files are uploaded before it, content-addressed. Thread-safe: publishes of
 * one repository are serialized by the caller ({@link SnapshotService}).
 */
final class SnapshotPublisher {
  private static final Logger log = LoggerFactory.getLogger(SnapshotPublisher.class);

  /** Manifests kept per repository; older ones and the files only they list are deleted. */
  static final int KEPT_GENERATIONS = 3;

  private static final int COMMIT_ATTEMPTS = 5;
  private static final int MAX_LS_REFS_BYTES = 64 << 20;

  /** What a publish did. */
  enum Outcome {
    /** This replica committed a new generation. */
    COMMITTED,
    /** The store already held a snapshot as new as the mirror (another replica published it). */
    ALREADY_STORED,
    /** The mirror has nothing to publish (no refs, never fetched). */
    NOTHING
  }

  record Result(Outcome outcome, long generation, long bytesUploaded) {}

  private final SnapshotStore store;
  private final Path stagingRoot;
  private final Clock clock;
  private final String publisherId;

  /**
   * @param store the store
   * @param stagingRoot a directory on the cache root's file system for hard links of the packs
   * @param clock times manifests
   * @param publisherId a random id of this process, written into manifests
   */
  SnapshotPublisher(SnapshotStore store, Path stagingRoot, Clock clock, String publisherId) {
    this.store = store;
    this.stagingRoot = stagingRoot;
    this.clock = clock;
    this.publisherId = publisherId;
  }

  /**
   * Publishes the mirror's current content unless the store holds a snapshot as new.
   *
   * @param mirror the mirror
   * @return what was done
   * @throws IOException when the mirror or the store fails (nothing committed then)
   */
  Result publish(Mirror mirror) throws IOException {
    Optional<Instant> lastUpdate = mirror.lastUpdate();
    if (lastUpdate.isEmpty() || mirror.refCount() == 0) {
      return new Result(Outcome.NOTHING, 0, 0);
    }
    long update = lastUpdate.get().toEpochMilli();
    String key = mirror.key();
    Optional<SnapshotManifest> newest = SnapshotReader.newestReadable(store, key);
    if (newest.isPresent() && newest.get().mirrorUpdate() >= update) {
      return new Result(Outcome.ALREADY_STORED, newest.get().generation(), 0);
    }
    packLooseObjects(mirror);
    Files.createDirectories(stagingRoot);
    Path staging = Files.createTempDirectory(stagingRoot, ".tmp-snapshot-");
    try {
      String head = head(mirror.repository());
      Path packedRefs = staging.resolve("packed-refs");
      Files.writeString(packedRefs, packedRefs(mirror.repository()), StandardCharsets.UTF_8);
      List<FileEntry> files = new ArrayList<>();
      files.add(new FileEntry("packed-refs", SnapshotManifest.Sha256.of(packedRefs),
          Files.size(packedRefs)));
      List<Path> staged = new ArrayList<>(List.of(packedRefs));
      for (Path pack : linkPacks(mirror.localPath(), staging)) {
        files.add(new FileEntry("objects/pack/" + pack.getFileName(),
            SnapshotManifest.Sha256.of(pack), Files.size(pack)));
        staged.add(pack);
      }
      long bytes = upload(key, files, staged);
      for (int attempt = 0; attempt < COMMIT_ATTEMPTS; attempt++) {
        List<String> names = SnapshotReader.manifestsNewestFirst(store, key);
        long generation = names.isEmpty() ? 1 : Names.generation(names.get(0)) + 1;
        SnapshotManifest manifest =
            new SnapshotManifest(SnapshotManifest.FORMAT, key, mirror.upstreamUrl().toString(),
                generation, update, clock.millis(), publisherId, head, files);
        byte[] json = manifest.toJson();
        if (store.createIfAbsent(Names.manifest(key, generation), out -> out.write(json))) {
          bytes += upload(key, files, staged); // a concurrent collection may have deleted some
          collectGarbage(key);
          log.info("published snapshot {} of {} ({} bytes uploaded)", generation, key, bytes);
          return new Result(Outcome.COMMITTED, generation, bytes);
        }
        newest = SnapshotReader.newestReadable(store, key); // another replica took the generation
        if (newest.isPresent() && newest.get().mirrorUpdate() >= update) {
          return new Result(Outcome.ALREADY_STORED, newest.get().generation(), bytes);
        }
      }
      throw new IOException("could not commit a snapshot of " + key + ": " + COMMIT_ATTEMPTS
          + " generations were taken by other replicas meanwhile");
    } finally {
      FileTrees.deleteTree(staging);
    }
  }

  /** Packs loose objects, so that the packs hold every object (snapshots carry packs only). */
  private static void packLooseObjects(Mirror mirror) throws IOException {
    GC gc = new GC((FileRepository) mirror.repository());
    if (gc.getStatistics().numberOfLooseObjects == 0) {
      return;
    }
    try {
      gc.gc().get();
    } catch (Exception e) {
      throw new IOException("cannot pack the loose objects of " + mirror.key(), e);
    }
  }

  /** @return HEAD as the manifest stores it */
  private static String head(Repository repo) throws IOException {
    Ref head = repo.exactRef(Constants.HEAD);
    if (head == null) {
      return "ref: refs/heads/master";
    }
    if (head.isSymbolic()) {
      return "ref: " + head.getTarget().getName();
    }
    return head.getObjectId().name();
  }

  /** @return every ref under refs/ in the packed-refs format, with peeled tags */
  private static String packedRefs(Repository repo) throws IOException {
    RefDatabase refs = repo.getRefDatabase();
    StringBuilder out = new StringBuilder("# pack-refs with: peeled fully-peeled sorted \n");
    List<Ref> all = new ArrayList<>(refs.getRefsByPrefix(Constants.R_REFS));
    all.sort(Comparator.comparing(Ref::getName));
    for (Ref ref : all) {
      if (ref.isSymbolic() || ref.getObjectId() == null) {
        continue;
      }
      Ref peeled = refs.peel(ref);
      out.append(ref.getObjectId().name()).append(' ').append(ref.getName()).append('\n');
      ObjectId tagged = peeled.getPeeledObjectId();
      if (tagged != null) {
        out.append('^').append(tagged.name()).append('\n');
      }
    }
    return out.toString();
  }

  /**
   * Hard-links every complete pack (a {@code .pack} with its {@code .idx}) and its bitmap and
   * reverse index into the staging directory: a fixed set of files, whatever a repack does next.
   */
  private static List<Path> linkPacks(Path mirrorDir, Path staging) throws IOException {
    Path packDir = mirrorDir.resolve("objects").resolve("pack");
    List<Path> linked = new ArrayList<>();
    if (!Files.isDirectory(packDir)) {
      return linked;
    }
    List<String> packs = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(packDir, "pack-*.pack")) {
      for (Path pack : entries) {
        packs.add(pack.getFileName().toString());
      }
    }
    packs.sort(null);
    for (String pack : packs) {
      String base = pack.substring(0, pack.length() - ".pack".length());
      if (!Files.isRegularFile(packDir.resolve(base + ".idx"))) {
        continue; // still being written
      }
      for (String ext : List.of(".pack", ".idx", ".bitmap", ".rev")) {
        Path source = packDir.resolve(base + ext);
        Path target = staging.resolve(base + ext);
        try {
          Files.createLink(target, source);
          linked.add(target);
        } catch (NoSuchFileException e) {
          if (ext.equals(".pack") || ext.equals(".idx")) {
            throw new IOException("a pack of " + mirrorDir + " went away while publishing", e);
          }
        }
      }
    }
    return linked;
  }

  /** Uploads the files the store lacks; @return the bytes uploaded */
  private long upload(String key, List<FileEntry> files, List<Path> staged) throws IOException {
    Set<String> present = new HashSet<>(store.list(Names.objects(key)));
    long bytes = 0;
    for (int i = 0; i < files.size(); i++) {
      String name = Names.object(key, files.get(i).sha256());
      if (present.add(name)) {
        bytes += store.writeFile(name, staged.get(i));
      }
    }
    return bytes;
  }

  /** Deletes manifests past the kept generations and the files no kept manifest lists. */
  private void collectGarbage(String key) {
    try {
      List<String> manifests = SnapshotReader.manifestsNewestFirst(store, key);
      Set<String> referenced = new HashSet<>();
      for (int i = 0; i < manifests.size(); i++) {
        if (i >= KEPT_GENERATIONS) {
          store.delete(manifests.get(i));
          continue;
        }
        try {
          for (FileEntry file : SnapshotReader.read(store, manifests.get(i), key).files()) {
            referenced.add(Names.object(key, file.sha256()));
          }
        } catch (IOException e) {
          log.warn("not collecting snapshot files of {}: manifest {} is unreadable: {}",
              key, manifests.get(i), e.toString());
          return;
        }
      }
      for (String object : store.list(Names.objects(key))) {
        if (!referenced.contains(object)) {
          store.delete(object);
        }
      }
    } catch (IOException | RuntimeException e) {
      log.warn("collecting old snapshot files of {} failed: {}", key, e.toString());
    }
  }

  /**
   * Writes a repository's ls-refs cache entry unless the store holds one as new.
   *
   * @param entry the entry
   * @return whether it was written
   * @throws IOException when the store fails
   */
  boolean writeLsRefs(LsRefsCache.Entry entry) throws IOException {
    String name = Names.lsRefs(entry.repoKey());
    Optional<LsRefsCache.Entry> stored = readLsRefs(store, name, entry.repoKey());
    if (stored.isPresent() && !stored.get().newestTime().isBefore(entry.newestTime())) {
      return false;
    }
    byte[] json = entry.toJson();
    store.write(name, out -> out.write(json));
    return true;
  }

  /**
   * @return the stored entry; empty when there is none or it is unusable (logged)
   * @throws IOException when the store fails
   */
  static Optional<LsRefsCache.Entry> readLsRefs(SnapshotStore store, String name, String key)
      throws IOException {
    byte[] json;
    try (InputStream in = store.open(name)) {
      json = in.readNBytes(MAX_LS_REFS_BYTES + 1);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      if (json.length > MAX_LS_REFS_BYTES) {
        throw new IllegalArgumentException("larger than " + MAX_LS_REFS_BYTES + " bytes");
      }
      LsRefsCache.Entry entry = LsRefsCache.Entry.fromJson(json);
      if (!entry.repoKey().equals(key)) {
        throw new IllegalArgumentException("holds the entry of another repository");
      }
      return Optional.of(entry);
    } catch (IllegalArgumentException e) {
      log.warn("ignoring the stored ls-refs entry {}: {}", name, e.getMessage());
      return Optional.empty();
    }
  }
}
