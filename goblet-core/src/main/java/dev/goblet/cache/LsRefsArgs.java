package dev.goblet.cache;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * The arguments of a Git protocol v2 {@code ls-refs} command, normalized so that trivially
 * equivalent requests compare equal.
 *
 * <p>Normalization follows upload-pack ({@code ls-refs.c}): prefixes are sorted and de-duplicated;
 * an empty prefix matches every ref, so it makes the request a full one; and 65536 or more {@code
 * ref-prefix} arguments (counted before de-duplication, as git counts them) make git ignore the
 * prefixes altogether, so they also normalize to a full request.
 *
 * <p>Instances are immutable and thread-safe.
 *
 * @param prefixes the requested ref prefixes, sorted and distinct; empty means all refs
 * @param symrefs whether {@code symref-target:} attributes were requested
 * @param peel whether {@code peeled:} attributes were requested
 * @param unborn whether an unborn {@code HEAD} should be listed
 */
public record LsRefsArgs(List<String> prefixes, boolean symrefs, boolean peel, boolean unborn) {

  /** The number of {@code ref-prefix} arguments from which git ignores prefixes entirely. */
  public static final int TOO_MANY_PREFIXES = 65536;

  private static final String HEAD = "HEAD";
  private static final String REFS = "refs/";
  private static final String PREFIX_ARGUMENT = "ref-prefix ";

  /**
   * Normalizes the prefixes as described above.
   *
   * @param prefixes the {@code ref-prefix} values in any order, duplicates allowed
   * @param symrefs whether {@code symrefs} is requested
   * @param peel whether {@code peel} is requested
   * @param unborn whether {@code unborn} is requested
   */
  public LsRefsArgs {
    Objects.requireNonNull(prefixes, "prefixes");
    prefixes.forEach(prefix -> Objects.requireNonNull(prefix, "prefix"));
    if (prefixes.size() >= TOO_MANY_PREFIXES || prefixes.contains("")) {
      prefixes = List.of();
    } else {
      prefixes = prefixes.stream().sorted().distinct().toList();
    }
  }

  /**
   * Creates normalized arguments from any collection of prefixes.
   *
   * @param prefixes the {@code ref-prefix} values in any order, duplicates allowed
   * @param symrefs whether {@code symrefs} is requested
   * @param peel whether {@code peel} is requested
   * @param unborn whether {@code unborn} is requested
   * @return the normalized arguments
   */
  public static LsRefsArgs of(
      Collection<String> prefixes, boolean symrefs, boolean peel, boolean unborn) {
    return new LsRefsArgs(List.copyOf(prefixes), symrefs, peel, unborn);
  }

  /**
   * Parses the argument lines of an {@code ls-refs} command (the pkt-line payloads after the
   * delimiter). A single trailing LF on a line is ignored, as git's packet reader chomps it.
   *
   * @param argumentLines lines such as {@code "peel"}, {@code "symrefs"}, {@code "unborn"} or
   *     {@code "ref-prefix refs/heads/"}
   * @return the normalized arguments
   * @throws IllegalArgumentException if a line is not an argument git's {@code ls-refs} accepts
   */
  public static LsRefsArgs parse(List<String> argumentLines) {
    List<String> prefixes = new ArrayList<>();
    boolean symrefs = false;
    boolean peel = false;
    boolean unborn = false;
    for (String rawLine : argumentLines) {
      String line = rawLine.endsWith("\n") ? rawLine.substring(0, rawLine.length() - 1) : rawLine;
      if (line.equals("symrefs")) {
        symrefs = true;
      } else if (line.equals("peel")) {
        peel = true;
      } else if (line.equals("unborn")) {
        unborn = true;
      } else if (line.startsWith(PREFIX_ARGUMENT)) {
        prefixes.add(line.substring(PREFIX_ARGUMENT.length()));
      } else {
        throw new IllegalArgumentException("unexpected ls-refs argument: '" + line + "'");
      }
    }
    return new LsRefsArgs(prefixes, symrefs, peel, unborn);
  }

  /** @return whether every ref is requested (no prefix restricts the listing) */
  public boolean isFull() {
    return prefixes.isEmpty();
  }

  /**
   * Git's rule for listing a ref: there are no prefixes, or the name starts with one of them.
   *
   * @param refName a full ref name such as {@code HEAD} or {@code refs/heads/main}
   * @return whether the ref is listed for these arguments
   */
  public boolean matches(String refName) {
    return isFull() || prefixes.stream().anyMatch(refName::startsWith);
  }

  /**
   * Whether a listing made with these arguments holds everything needed to answer {@code request}
   * exactly. Only HEAD and refs under {@code refs/} can ever be listed, so:
   *
   * <ul>
   *   <li>attributes: the listing has {@code symrefs} if the request does, and {@code peel} if the
   *       request does;
   *   <li>unborn HEAD: if the request would list an unborn HEAD (git only does so when both {@code
   *       unborn} and {@code symrefs} are requested and HEAD matches), the listing requested
   *       {@code unborn} too ({@link RefListing#covers} also accepts a listing proving HEAD born);
   *   <li>prefixes: a full request needs a full listing; otherwise each requested prefix {@code p}
   *       must be decided by the listing: if {@code p} can match HEAD (that is, {@code
   *       "HEAD".startsWith(p)}) the listing must match HEAD; if {@code p} can match refs under
   *       {@code refs/}, the listing must be full or have a prefix whose refs scope contains {@code
   *       p}'s refs scope. A prefix matching neither (for example {@code main}) is always covered:
   *       it matches nothing.
   * </ul>
   *
   * <p>The refs scope of a prefix is the part of {@code refs/} it matches, written as a prefix
   * starting with {@code refs/}: {@code refs/heads/} for itself, and {@code refs/} for {@code r},
   * {@code re}, {@code ref} and {@code refs}, which match every ref under {@code refs/}.
   *
   * @param request the arguments of a later request
   * @return whether this listing's answer determines the answer to {@code request}
   */
  public boolean covers(LsRefsArgs request) {
    if ((request.symrefs && !symrefs) || (request.peel && !peel)) {
      return false;
    }
    if (request.listsUnbornHead() && !unborn) {
      return false;
    }
    if (request.isFull()) {
      return isFull();
    }
    return request.prefixes.stream().allMatch(this::coversPrefix);
  }

  /** @return these arguments with {@code unborn} set as given */
  LsRefsArgs withUnborn(boolean newUnborn) {
    return new LsRefsArgs(prefixes, symrefs, peel, newUnborn);
  }

  /** @return whether, were HEAD unborn, git would answer these arguments with an unborn line */
  boolean listsUnbornHead() {
    return unborn && symrefs && matches(HEAD);
  }

  private boolean coversPrefix(String requested) {
    boolean headDecided = !HEAD.startsWith(requested) || matches(HEAD);
    String scope = refsScope(requested);
    boolean refsDecided =
        scope == null
            || isFull()
            || prefixes.stream()
                .map(LsRefsArgs::refsScope)
                .anyMatch(own -> own != null && scope.startsWith(own));
    return headDecided && refsDecided;
  }

  /**
   * @return the refs under {@code refs/} that {@code prefix} matches, as a prefix starting with
   *     {@code refs/}, or null if it matches none of them
   */
  private static String refsScope(String prefix) {
    if (prefix.startsWith(REFS)) {
      return prefix;
    }
    return REFS.startsWith(prefix) ? REFS : null;
  }
}
