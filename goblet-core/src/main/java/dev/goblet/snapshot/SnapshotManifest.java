package dev.goblet.snapshot;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Repository;

/**
 * One committed snapshot of a mirror, the JSON object {@code manifests/<generation>.json} of its
 * repository in the store:
 *
 * <pre>{@code
 * {"format":1,"key":"github.com/o/r","upstream":"https://github.com/o/r","generation":7,
 *  "mirrorUpdate":1767225600000,"published":1767225660000,"publisher":"3f2a...",
 *  "head":"ref: refs/heads/main",
 *  "files":[{"path":"packed-refs","sha256":"...","size":1234},
 *           {"path":"objects/pack/pack-<40 hex>.pack","sha256":"...","size":5678}, ...]}
 * }</pre>
 *
 * Each file is stored once under {@code objects/<sha256>} of its repository (content-addressed, so
 * unchanged packs are not uploaded again). A file's path is checked before use: only {@code
 * packed-refs} and pack files ({@code .pack .idx .bitmap .rev}) are accepted. Immutable.
 *
 * @param format the format version, {@value #FORMAT}
 * @param key the repository's cache key
 * @param upstream the upstream URL
 * @param generation the manifest's number; the highest committed one is the newest snapshot
 * @param mirrorUpdate the mirror's last upstream fetch (epoch milliseconds) that the snapshot holds
 * @param published when it was published (epoch milliseconds)
 * @param publisher a random id of the publishing replica's process
 * @param head the mirror's {@code HEAD}: {@code ref: <name>} or an object id
 * @param files the files of the mirror
 */
record SnapshotManifest(
    int format,
    String key,
    String upstream,
    long generation,
    long mirrorUpdate,
    long published,
    String publisher,
    String head,
    List<FileEntry> files) {

  static final int FORMAT = 1;

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern PATH =
      Pattern.compile("packed-refs|objects/pack/pack-[0-9a-f]{40,64}\\.(pack|idx|bitmap|rev)");
  private static final Pattern HEAD =
      Pattern.compile("ref: refs/[A-Za-z0-9._/+~-]{1,250}|[0-9a-f]{40}");
  private static final Gson GSON =
      new GsonBuilder().disableHtmlEscaping().setStrictness(Strictness.STRICT).create();

  /**
   * One file of the mirror.
   *
   * @param path its path inside the mirror directory
   * @param sha256 the SHA-256 of its content, lower-case hex
   * @param size its length in bytes
   */
  record FileEntry(String path, String sha256, long size) {}

  SnapshotManifest {
    files = List.copyOf(files);
  }

  byte[] toJson() {
    return GSON.toJson(this).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @param json a manifest's content
   * @param expectedKey the repository the manifest must belong to
   * @return the manifest, checked
   * @throws IOException when it is not a valid manifest of that repository
   */
  static SnapshotManifest fromJson(byte[] json, String expectedKey) throws IOException {
    SnapshotManifest manifest;
    try {
      manifest = GSON.fromJson(new String(json, StandardCharsets.UTF_8), SnapshotManifest.class);
    } catch (JsonParseException | IllegalStateException e) {
      throw new IOException("not a snapshot manifest: " + e.getMessage(), e);
    }
    if (manifest == null
        || manifest.format() != FORMAT
        || !expectedKey.equals(manifest.key())
        || manifest.upstream() == null
        || manifest.head() == null
        || !HEAD.matcher(manifest.head()).matches()
        || !Repository.isValidRefName(
            manifest.head().startsWith("ref: ") ? manifest.head().substring(5) : "refs/x")
        || manifest.files() == null) {
      throw new IOException("not a snapshot manifest of " + expectedKey);
    }
    for (FileEntry file : manifest.files()) {
      if (file == null
          || file.path() == null
          || !PATH.matcher(file.path()).matches()
          || file.sha256() == null
          || !SHA256.matcher(file.sha256()).matches()
          || file.size() < 0) {
        throw new IOException("a snapshot manifest of " + expectedKey + " lists an invalid file");
      }
    }
    return manifest;
  }

  /** Object names in the store, all below {@code snapshots/<key>/}. */
  static final class Names {
    static final String ROOT = "snapshots/";
    private static final Pattern MANIFEST = Pattern.compile("([0-9]{12})\\.json");
    private static final Pattern MANIFEST_NAME =
        Pattern.compile(Pattern.quote(ROOT) + "(.+)/manifests/[0-9]{12}\\.json");

    private Names() {}

    static String repository(String key) {
      return ROOT + key + "/";
    }

    static String manifests(String key) {
      return repository(key) + "manifests/";
    }

    static String manifest(String key, long generation) {
      return manifests(key) + String.format(Locale.ROOT, "%012d", generation) + ".json";
    }

    static String objects(String key) {
      return repository(key) + "objects/";
    }

    static String object(String key, String sha256) {
      return objects(key) + sha256;
    }

    static String lsRefs(String key) {
      return repository(key) + "ls-refs.json";
    }

    /**
     * @param name an object's full name
     * @return the repository key of a manifest's name; empty for another name
     */
    static Optional<String> keyOfManifest(String name) {
      var matcher = MANIFEST_NAME.matcher(name);
      return matcher.matches() ? Optional.of(matcher.group(1)) : Optional.empty();
    }

    /** @return the generation a manifest's name carries, or -1 for another name */
    static long generation(String name) {
      var matcher = MANIFEST.matcher(name.substring(name.lastIndexOf('/') + 1));
      return matcher.matches() ? Long.parseLong(matcher.group(1)) : -1;
    }
  }

  /** SHA-256 of files and streams. */
  static final class Sha256 {
    private Sha256() {}

    static MessageDigest digest() {
      try {
        return MessageDigest.getInstance("SHA-256");
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("every Java platform has SHA-256", e);
      }
    }

    static String of(Path file) throws IOException {
      MessageDigest digest = digest();
      try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
        in.transferTo(OutputStream.nullOutputStream());
      }
      return hex(digest);
    }

    static String hex(MessageDigest digest) {
      return HexFormat.of().formatHex(digest.digest());
    }
  }
}
