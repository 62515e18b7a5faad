package dev.goblet.cache;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParseException;
import com.google.gson.Strictness;
import com.google.gson.TypeAdapter;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonWriter;
import dev.goblet.cache.LsRefsCache.Entry;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.time.DateTimeException;
import java.time.Instant;
import java.util.List;

/**
 * The JSON forms of the ls-refs cache.
 *
 * <p>A whole repository's entry, schema version {@value #VERSION}, as {@link Entry#toJson()} writes
 * it for copies such as snapshot stores, and as cache files held it before version 2 of the cache
 * directory (one file per repository):
 *
 * <pre>{@code
 * {"version":1,"repository":"github.com/o/r","upstream":"https://github.com/o/r",
 *  "listings":[{"time":"2026-01-02T03:04:05.678Z","prefixes":["refs/heads/"],
 *               "symrefs":true,"peel":true,"unborn":false,"lines":["<oid> refs/heads/main"]}]}
 * }</pre>
 *
 * Listings are newest first.
 *
 * <p>One listing, schema version {@value #LISTING_VERSION}, as the cache directory holds it (one
 * file per listing, see {@link CacheFileStore}); {@code sequence} orders a repository's listings,
 * the highest being the newest:
 *
 * <pre>{@code
 * {"version":2,"repository":"github.com/o/r","upstream":"https://github.com/o/r","sequence":7,
 *  "listing":{"time":"2026-01-02T03:04:05.678Z","prefixes":["refs/heads/"],
 *             "symrefs":true,"peel":true,"unborn":false,"lines":["<oid> refs/heads/main"]}}
 * }</pre>
 *
 * Times are ISO-8601 instants in UTC ({@link Instant#toString()}). Encoding is UTF-8. Stateless and
 * thread-safe.
 */
final class CacheFileCodec {

  /** The schema version of a whole entry, written and read. */
  static final int VERSION = 1;

  /** The schema version of one listing's file, written and read. */
  static final int LISTING_VERSION = 2;

  private static final Gson GSON =
      new GsonBuilder()
          .registerTypeAdapter(Instant.class, new InstantAdapter().nullSafe())
          .disableHtmlEscaping()
          .setStrictness(Strictness.STRICT)
          .create();

  private CacheFileCodec() {}

  /** A file's content is not a valid cache entry. */
  static final class FormatException extends Exception {
    FormatException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private record FileJson(
      int version, String repository, String upstream, List<ListingJson> listings) {}

  private record ListingJson(
      Instant time,
      List<String> prefixes,
      boolean symrefs,
      boolean peel,
      boolean unborn,
      List<String> lines) {}

  private record ListingFileJson(
      int version, String repository, String upstream, Long sequence, ListingJson listing) {}

  private record ArgsJson(List<String> prefixes, boolean symrefs, boolean peel, boolean unborn) {}

  /**
   * One listing as a listing file holds it.
   *
   * @param repoKey the repository's key
   * @param upstream the upstream that gave the listing
   * @param sequence orders the repository's listings, the highest being the newest
   * @param listing the listing
   */
  record StoredListing(String repoKey, URI upstream, long sequence, RefListing listing) {}

  static byte[] encodeListing(String repoKey, URI upstream, long sequence, RefListing listing) {
    ListingFileJson file =
        new ListingFileJson(
            LISTING_VERSION, repoKey, upstream.toString(), sequence, toJson(listing));
    return GSON.toJson(file).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @param bytes a listing file's content
   * @return the listing it holds
   * @throws FormatException if the content is not UTF-8, not JSON, of another schema version, or
   *     not a valid listing
   */
  static StoredListing decodeListing(byte[] bytes) throws FormatException {
    return decoding(
        () -> {
          ListingFileJson file =
              required(GSON.fromJson(utf8(bytes), ListingFileJson.class), "document");
          if (file.version() != LISTING_VERSION) {
            throw new IllegalArgumentException(
                "schema version " + file.version() + ", expected " + LISTING_VERSION);
          }
          return new StoredListing(
              required(file.repository(), "repository"),
              new URI(required(file.upstream(), "upstream")),
              required(file.sequence(), "sequence"),
              toListing(required(file.listing(), "listing")));
        });
  }

  /** @return the arguments in a canonical form: equal arguments, equal bytes */
  static byte[] canonical(LsRefsArgs args) {
    return GSON.toJson(new ArgsJson(args.prefixes(), args.symrefs(), args.peel(), args.unborn()))
        .getBytes(StandardCharsets.UTF_8);
  }

  private static String utf8(byte[] bytes) throws CharacterCodingException {
    return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
  }

  static byte[] encode(Entry entry) {
    List<ListingJson> listings = entry.listings().stream().map(CacheFileCodec::toJson).toList();
    FileJson file = new FileJson(VERSION, entry.repoKey(), entry.upstream().toString(), listings);
    return GSON.toJson(file).getBytes(StandardCharsets.UTF_8);
  }

  /**
   * @param bytes a file's content
   * @return the entry it holds, with its listings' order preserved
   * @throws FormatException if the content is not UTF-8, not JSON, of another schema version, or
   *     breaks the entry's invariants
   */
  static Entry decode(byte[] bytes) throws FormatException {
    return decoding(
        () -> {
          FileJson file = required(GSON.fromJson(utf8(bytes), FileJson.class), "document");
          if (file.version() != VERSION) {
            throw new IllegalArgumentException(
                "schema version " + file.version() + ", expected " + VERSION);
          }
          List<RefListing> listings =
              required(file.listings(), "listings").stream()
                  .map(CacheFileCodec::toListing)
                  .toList();
          return Entry.restore(
              required(file.repository(), "repository"),
              new URI(required(file.upstream(), "upstream")),
              listings);
        });
  }

  /** Decodes; may throw what reading a document can. */
  @FunctionalInterface
  private interface Decoding<T> {
    T run() throws CharacterCodingException, URISyntaxException;
  }

  private static <T> T decoding(Decoding<T> decoding) throws FormatException {
    try {
      return decoding.run();
    } catch (CharacterCodingException
        | URISyntaxException
        | JsonParseException
        | DateTimeException
        | IllegalArgumentException
        | NullPointerException e) {
      // NullPointerException: the value types reject null list elements, which JSON allows.
      throw new FormatException(e.toString(), e);
    }
  }

  private static ListingJson toJson(RefListing listing) {
    LsRefsArgs args = listing.args();
    return new ListingJson(
        listing.time(),
        args.prefixes(),
        args.symrefs(),
        args.peel(),
        args.unborn(),
        listing.lines());
  }

  private static RefListing toListing(ListingJson listing) {
    LsRefsArgs args =
        LsRefsArgs.of(
            required(listing.prefixes(), "prefixes"),
            listing.symrefs(),
            listing.peel(),
            listing.unborn());
    return new RefListing(
        required(listing.time(), "time"), args, required(listing.lines(), "lines"));
  }

  private static <T> T required(T value, String name) {
    if (value == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return value;
  }

  /** Writes instants as ISO-8601 strings. */
  private static final class InstantAdapter extends TypeAdapter<Instant> {
    @Override
    public void write(JsonWriter out, Instant value) throws IOException {
      out.value(value.toString());
    }

    @Override
    public Instant read(JsonReader in) throws IOException {
      return Instant.parse(in.nextString());
    }
  }
}
