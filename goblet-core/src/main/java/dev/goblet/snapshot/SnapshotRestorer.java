package dev.goblet.snapshot;

import dev.goblet.SnapshotStore;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.snapshot.SnapshotManifest.FileEntry;
import dev.goblet.snapshot.SnapshotManifest.Names;
import java.io.IOException;
import java.io.InputStream;
import java.io.FileOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.StoredConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a mirror from its newest usable snapshot: each file is downloaded into a new repository
 * beside the mirror's place, its size and SHA-256 checked against the manifest, every ref checked
 * to resolve, and the repository moved into place atomically. No pack is re-indexed. A snapshot
 * with a missing or corrupt file is skipped for the next older one. Stateless and thread-safe; the
 * caller runs one restore per repository at a time.
 */
final class SnapshotRestorer {
  private static final Logger log = LoggerFactory.getLogger(SnapshotRestorer.class);

  /** A mirror restored from a snapshot. */
  record Restored(long generation, long mirrorUpdate, long bytes) {}

  private final SnapshotStore store;
  private final MirrorManager mirrors;
  private final SnapshotListener listener;

  SnapshotRestorer(SnapshotStore store, MirrorManager mirrors, SnapshotListener listener) {
    this.store = store;
    this.mirrors = mirrors;
    this.listener = listener;
  }

  /**
   * @param upstream the repository
   * @param key its cache key
   * @return the snapshot restored; empty when the store has no usable one, or a mirror appeared
   * @throws IOException when the store cannot be listed
   */
  Optional<Restored> restore(URI upstream, String key) throws IOException {
    List<String> manifests = SnapshotReader.manifestsNewestFirst(store, key);
    for (String name : manifests) {
      SnapshotManifest manifest;
      long[] bytes = {0};
      try {
        manifest = SnapshotReader.read(store, name, key);
        if (!mirrors.createPopulated(upstream, temp -> bytes[0] = populate(manifest, temp))) {
          return Optional.empty(); // a mirror exists: nothing to restore
        }
      } catch (IOException | RuntimeException e) {
        log.warn("skipping snapshot {} of {}: {}", name, key, e.toString());
        listener.restoreFailed(key);
        continue;
      }
      log.info("restored mirror {} from snapshot {} ({} bytes)", key, name, bytes[0]);
      return Optional.of(new Restored(manifest.generation(), manifest.mirrorUpdate(), bytes[0]));
    }
    return Optional.empty();
  }

  /** Downloads and checks the snapshot's files into a new repository; @return bytes downloaded */
  private long populate(SnapshotManifest manifest, Path repoDir) throws IOException {
    long bytes = 0;
    for (FileEntry file : manifest.files()) {
      Path target = repoDir.resolve(file.path()).normalize();
      if (!target.startsWith(repoDir)) {
        throw new IOException("a snapshot file leads outside the repository: " + file.path());
      }
      Files.createDirectories(target.getParent());
      bytes += download(Names.object(manifest.key(), file.sha256()), file, target);
    }
    Files.writeString(repoDir.resolve(Constants.HEAD), manifest.head() + "\n",
        StandardCharsets.UTF_8);
    try (FileRepository repo = new FileRepository(repoDir.toFile())) {
      StoredConfig config = repo.getConfig();
      Mirror.recordLastUpdate(config, Instant.ofEpochMilli(manifest.mirrorUpdate()));
      config.save();
      for (Ref ref : repo.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        if (ref.getObjectId() == null || !repo.getObjectDatabase().has(ref.getObjectId())) {
          throw new IOException("the snapshot lacks the object of " + ref.getName());
        }
      }
    }
    return bytes;
  }

  private long download(String name, FileEntry file, Path target) throws IOException {
    MessageDigest digest = SnapshotManifest.Sha256.digest();
    long size;
    try (InputStream in = new DigestInputStream(store.open(name), digest);
        FileOutputStream out = new FileOutputStream(target.toFile())) {
      size = in.transferTo(out);
      out.getFD().sync(); // the mirror is moved into place only with its files on disk
    }
    String sha256 = SnapshotManifest.Sha256.hex(digest);
    if (size != file.size() || !sha256.equals(file.sha256())) {
      throw new IOException("snapshot file " + file.path() + " (" + name + ") fails its checksum: "
          + size + " bytes, sha256 " + sha256 + "; the manifest says " + file.size() + " bytes");
    }
    return size;
  }
}
