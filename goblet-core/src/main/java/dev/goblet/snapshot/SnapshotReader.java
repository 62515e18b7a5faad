package dev.goblet.snapshot;

import dev.goblet.SnapshotStore;
import dev.goblet.snapshot.SnapshotManifest.Names;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Reads a repository's manifests from the store. Stateless and thread-safe. */
final class SnapshotReader {
  private static final Logger log = LoggerFactory.getLogger(SnapshotReader.class);
  private static final int MAX_MANIFEST_BYTES = 16 << 20;

  private SnapshotReader() {}

  /** @return the names of a repository's manifests, highest generation first */
  static List<String> manifestsNewestFirst(SnapshotStore store, String key) throws IOException {
    List<String> names = new ArrayList<>();
    for (String name : store.list(Names.manifests(key))) {
      if (Names.generation(name) >= 0) {
        names.add(name);
      }
    }
    names.sort(Comparator.comparingLong(Names::generation).reversed());
    return names;
  }

  /** @return the manifest, checked to belong to {@code key} and to carry its name's generation */
  static SnapshotManifest read(SnapshotStore store, String name, String key) throws IOException {
    byte[] json;
    try (InputStream in = store.open(name)) {
      json = in.readNBytes(MAX_MANIFEST_BYTES + 1);
    }
    if (json.length > MAX_MANIFEST_BYTES) {
      throw new IOException("snapshot manifest " + name + " is too large");
    }
    SnapshotManifest manifest = SnapshotManifest.fromJson(json, key);
    if (manifest.generation() != Names.generation(name)) {
      throw new IOException("snapshot manifest " + name + " carries another generation");
    }
    return manifest;
  }

  /** @return the highest-generation manifest that can be read; unreadable ones are logged */
  static Optional<SnapshotManifest> newestReadable(SnapshotStore store, String key)
      throws IOException {
    for (String name : manifestsNewestFirst(store, key)) {
      try {
        return Optional.of(read(store, name, key));
      } catch (IOException e) {
        log.warn("skipping unreadable snapshot manifest {}: {}", name, e.toString());
      }
    }
    return Optional.empty();
  }
}
