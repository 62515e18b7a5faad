package dev.goblet.cache;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * An upstream's answer to one {@code ls-refs} request, and what can be derived from it for other
 * requests it {@linkplain #covers covers}.
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class RefListing {

  private final Instant time;
  private final LsRefsArgs args;
  private final List<String> lines;
  private final List<RefLine> parsed;
  private final Map<String, RefLine> byName;
  private final int firstRef; // lines before it are HEAD's
  private final boolean sorted; // names from firstRef on strictly increasing, as git lists them
  private final long retainedBytes;

  /**
   * @param time when the upstream answered
   * @param args the arguments of the request it answered
   * @param lines the answer's pkt-line payloads, in order, each without its trailing LF
   * @throws IllegalArgumentException if a line is not an {@code ls-refs} answer line
   */
  public RefListing(Instant time, LsRefsArgs args, List<String> lines) {
    this.time = Objects.requireNonNull(time, "time");
    this.args = Objects.requireNonNull(args, "args");
    this.lines = List.copyOf(lines);
    this.parsed = this.lines.stream().map(RefLine::parse).toList();
    Map<String, RefLine> names = new LinkedHashMap<>();
    parsed.forEach(line -> names.putIfAbsent(line.name(), line));
    this.byName = Collections.unmodifiableMap(names);
    int head = 0;
    while (head < parsed.size() && parsed.get(head).name().equals("HEAD")) {
      head++;
    }
    this.firstRef = head;
    boolean increasing = true;
    for (int i = head + 1; i < parsed.size() && increasing; i++) {
      increasing = parsed.get(i - 1).name().compareTo(parsed.get(i).name()) < 0;
    }
    this.sorted = increasing;
    this.retainedBytes = ListingWeigher.retainedBytes(parsed);
  }

  /**
   * @return an estimate of the heap this listing holds (its lines, their parsed form and the index
   *     by name), as {@link ListingWeigher} computes it
   */
  long retainedBytes() {
    return retainedBytes;
  }

  /** @return when the upstream answered */
  public Instant time() {
    return time;
  }

  /** @return the arguments of the request this listing answered */
  public LsRefsArgs args() {
    return args;
  }

  /** @return the answer's pkt-line payloads, without trailing LFs */
  public List<String> lines() {
    return lines;
  }

  /**
   * Whether this listing determines the answer to {@code request}: its arguments {@linkplain
   * LsRefsArgs#covers cover} the request, or they cover it except for {@code unborn} and this
   * listing proves HEAD born (it lists HEAD with an object id), so that no unborn line is due.
   *
   * @param request the arguments of a later request
   * @return whether {@link #derive} can answer {@code request}
   */
  public boolean covers(LsRefsArgs request) {
    return args.covers(request) || (isHeadBorn() && args.covers(request.withUnborn(false)));
  }

  /**
   * The exact lines the upstream would have answered to {@code request} at {@link #time()}: the
   * lines of refs the request matches, in order, without {@code symref-target:} unless it asks for
   * {@code symrefs}, without {@code peeled:} unless it asks for {@code peel}, and with the {@code
   * unborn HEAD} line only if it asks for both {@code unborn} and {@code symrefs} (as git does).
   * Deriving with this listing's own arguments returns {@link #lines()} unchanged.
   *
   * @param request arguments this listing {@linkplain #covers covers}
   * @return the derived pkt-line payloads, without trailing LFs
   * @throws IllegalArgumentException if this listing does not cover {@code request}
   */
  public List<String> derive(LsRefsArgs request) {
    if (request.equals(args)) {
      return lines;
    }
    if (!covers(request)) {
      throw new IllegalArgumentException("a listing for " + args + " cannot answer " + request);
    }
    List<String> out = new ArrayList<>();
    for (RefLine line : candidates(request)) {
      if (request.matches(line.name()) && (!line.isUnborn() || request.listsUnbornHead())) {
        out.add(line.render(request.symrefs(), request.peel()));
      }
    }
    return out;
  }

  /**
   * The lines that may match {@code request}, in listing order: HEAD's, then for each requested
   * prefix the run of refs that start with it, found by binary search when the listing is sorted
   * (git lists refs sorted; tens of thousands of refs would otherwise be scanned per request).
   */
  private List<RefLine> candidates(LsRefsArgs request) {
    if (!sorted || request.prefixes().isEmpty()) {
      return parsed;
    }
    List<RefLine> out = new ArrayList<>(parsed.subList(0, firstRef));
    int covered = firstRef; // ranges come in prefix order, so in listing order; skip overlaps
    for (String prefix : request.prefixes()) {
      int from = Math.max(covered, lowerBound(prefix));
      int to = lowerBound(prefix + Character.MAX_VALUE);
      if (from < to) {
        out.addAll(parsed.subList(from, to));
        covered = to;
      }
    }
    return out;
  }

  /** @return the index of the first ref at or after {@code name} in sort order */
  private int lowerBound(String name) {
    int lo = firstRef;
    int hi = parsed.size();
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (parsed.get(mid).name().compareTo(name) < 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  /** @return the listed refs (ref name to object id), in listing order, without an unborn HEAD */
  public Map<String, String> refs() {
    Map<String, String> refs = new LinkedHashMap<>();
    byName.values().stream()
        .filter(line -> !line.isUnborn())
        .forEach(line -> refs.put(line.name(), line.oid()));
    return Collections.unmodifiableMap(refs);
  }

  /**
   * @param ref a full ref name
   * @return the ref's {@code symref-target:}, if it is listed with one
   */
  public Optional<String> symrefTarget(String ref) {
    return attribute(ref, RefLine.SYMREF_TARGET);
  }

  /**
   * @param ref a full ref name
   * @return the object id the ref peels to, if it is listed with {@code peeled:}
   */
  public Optional<String> peeled(String ref) {
    return attribute(ref, RefLine.PEELED);
  }

  private Optional<String> attribute(String ref, String key) {
    return Optional.ofNullable(byName.get(ref)).flatMap(line -> line.attribute(key));
  }

  private boolean isHeadBorn() {
    RefLine head = byName.get("HEAD");
    return head != null && !head.isUnborn();
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RefListing that
        && time.equals(that.time)
        && args.equals(that.args)
        && lines.equals(that.lines);
  }

  @Override
  public int hashCode() {
    return Objects.hash(time, args, lines);
  }

  @Override
  public String toString() {
    return "RefListing[time=" + time + ", args=" + args + ", " + lines.size() + " lines]";
  }
}
