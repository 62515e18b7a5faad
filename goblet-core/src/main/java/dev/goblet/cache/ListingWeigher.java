package dev.goblet.cache;

import java.util.List;

/**
 * Estimates the heap a {@link RefListing} holds, for the ls-refs cache's byte budget. The estimate
 * counts, per line, what a 64-bit HotSpot JVM with compressed references (heaps below 32 GiB)
 * retains: the line's {@code String} and the {@code String}s of its object id, name and
 * attributes (Latin-1 compact strings: a 24-byte object plus a 16-byte array header plus the
 * characters, each rounded up to 8 bytes), the parsed {@link RefLine} and its attribute list, the
 * references to it in the listing's lists, and its entry in the listing's index by name. The
 * benchmark {@code LsRefsHotPathBench} checks it against the heap measured after a GC. Stateless.
 */
final class ListingWeigher {

  /** The fixed cost of a listing: the object, its lists and map, the arguments. */
  static final long LISTING_OVERHEAD = 512;

  private static final int STRING_OBJECT = 24;
  private static final int ARRAY_HEADER = 16;
  private static final int REF_LINE = 32; // header + 4 references
  private static final int ATTRIBUTE_LIST = 24 + 24; // List.of(tokens) copy + subList view
  private static final int REFERENCE = 4;
  private static final int MAP_ENTRY = 40; // LinkedHashMap.Entry
  private static final int MAP_SLOT = 8; // table slot, load factor 0.75, rounded up

  private ListingWeigher() {}

  /** @return the estimated bytes retained by a listing of these parsed lines */
  static long retainedBytes(List<RefLine> lines) {
    long bytes = LISTING_OVERHEAD;
    for (RefLine line : lines) {
      bytes += string(line.text().length()) + string(line.oid().length());
      bytes += string(line.name().length()) + REF_LINE + MAP_ENTRY + MAP_SLOT;
      int tokens = 2 + line.attributes().size();
      bytes += ATTRIBUTE_LIST + align(ARRAY_HEADER + (long) REFERENCE * tokens);
      for (String attribute : line.attributes()) {
        bytes += string(attribute.length());
      }
      bytes += 2 * REFERENCE; // in the listing's list of lines and of parsed lines
    }
    return bytes;
  }

  private static long string(int latin1Chars) {
    return STRING_OBJECT + align(ARRAY_HEADER + (long) latin1Chars);
  }

  private static long align(long bytes) {
    return (bytes + 7) & ~7L;
  }
}
