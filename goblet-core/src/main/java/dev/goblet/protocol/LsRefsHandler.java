package dev.goblet.protocol;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.cache.LsRefsArgs;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.cache.RefLine;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.MirrorSeeder;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.upstream.UpstreamClient;
import dev.goblet.upstream.UpstreamException;
import dev.goblet.upstream.UpstreamGate;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers {@code ls-refs}: relayed to the upstream and remembered; when the upstream is down (an
 * outage: unreachable, timed out, 5xx, a broken answer) or switched off, answered from the {@link
 * LsRefsCache} for this request's own arguments, advertising only refs whose objects the mirror
 * has. An upstream that answers "no" (401, 403, 404, a redirect, an {@code ERR}) is not an outage:
 * its answer goes to the client, and a refused repository is not served from the cache until the
 * upstream serves it again. Thread-safe.
 */
public final class LsRefsHandler {
  private static final long RECHECK_NANOS = Duration.ofMinutes(5).toNanos();
  private static final int MAX_VERIFIED = 10_000;
  private static final long LOG_INTERVAL_NANOS = Duration.ofMinutes(1).toNanos();

  private static final Logger log = LoggerFactory.getLogger(LsRefsHandler.class);

  /** Where an answer came from. */
  public enum Source {
    /** The upstream answered. */
    UPSTREAM,
    /** The cache answered with refs younger than the TTL. */
    CACHE,
    /** The cache answered with refs older than the TTL. */
    STALE_CACHE
  }

  /**
   * An ls-refs answer.
   *
   * @param lines pkt-line payloads, each ending in a newline, without the closing flush
   * @param source where it came from
   * @param age how old the refs are (zero when the upstream answered)
   * @param withheld cached refs left out or replaced because the mirror lacks their objects
   */
  public record Answer(List<String> lines, Source source, Duration age, int withheld) {}

  /** Settings of the offline fallback. */
  public record OfflinePolicy(boolean enabled, Duration ttl, Optional<Duration> maxStaleness) {}

  /** Told of cache use; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /** @param answer an answer from the cache */
    default void cacheHit(Answer answer) {}

    /** The cache could not answer. */
    default void cacheMiss() {}

    /** @param ok whether an upstream ls-refs succeeded; with its latency */
    default void upstreamCall(boolean ok, Duration latency) {}
  }

  /**
   * The listing of every ref, with symrefs and peeled tags: what a protocol v0 ref advertisement
   * shows, and what lets the cache answer any later ls-refs.
   */
  private static final Command ALL_REFS =
      new Command(
          Command.LS_REFS, List.of("agent=" + Capabilities.AGENT), List.of("symrefs", "peel"));

  private final UpstreamClient client;
  private final UpstreamGate gate;
  private final LsRefsCache cache;
  private final MirrorManager mirrors;
  private final MirrorSeeder seeder;
  private final Duration seedWait;
  private final Executor executor;
  private final OfflinePolicy policy;
  private final Listener listener;
  private final Set<String> fullListingRefreshes = ConcurrentHashMap.newKeySet();
  /** Repositories whose full listing the cache refused as too large, not asked again for a TTL. */
  private final Cache<String, Boolean> fullListingTooLarge;
  private final Map<Question, Verified> verified = new ConcurrentHashMap<>();
  private final Map<String, Long> lastLogged = new ConcurrentHashMap<>();

  /**
   * @param client asks the upstream
   * @param gate the upstream switch and breakers
   * @param cache remembers answers
   * @param mirrors the mirrors (a behind mirror gets a background fetch)
   * @param seeder gives a mirror the replica lacks its first content (and the cache its entry)
   *     before an answer from the cache is checked against the mirror
   * @param seedWait the longest such an answer waits for the seeding
   * @param executor runs background refreshes
   * @param policy offline settings
   * @param listener told of cache use
   */
  public LsRefsHandler(
      UpstreamClient client,
      UpstreamGate gate,
      LsRefsCache cache,
      MirrorManager mirrors,
      MirrorSeeder seeder,
      Duration seedWait,
      Executor executor,
      OfflinePolicy policy,
      Listener listener) {
    this.client = client;
    this.gate = gate;
    this.cache = cache;
    this.mirrors = mirrors;
    this.seeder = seeder;
    this.seedWait = seedWait;
    this.executor = executor;
    this.policy = policy;
    this.listener = listener;
    this.fullListingTooLarge =
        Caffeine.newBuilder().expireAfterWrite(policy.ttl()).maximumSize(MAX_VERIFIED).build();
  }

  /**
   * @param upstream the canonical upstream repository
   * @param command the client's ls-refs command
   * @return the answer
   * @throws GobletException when neither the upstream nor the cache can answer
   * @throws IOException when the mirror cannot be opened
   */
  public Answer lsRefs(URI upstream, Command command) throws GobletException, IOException {
    LsRefsArgs args;
    try {
      args = LsRefsArgs.parse(command.arguments());
    } catch (IllegalArgumentException e) {
      throw new GobletException(Status.BAD_REQUEST, e.getMessage(), e);
    }
    String key = RepositoryPaths.key(upstream);
    UpstreamException failure = null;
    if (gate.mayCall(upstream)) {
      long start = System.nanoTime();
      try {
        List<String> lines = client.lsRefs(upstream, command);
        gate.recordSuccess(upstream);
        listener.upstreamCall(true, Duration.ofNanos(System.nanoTime() - start));
        remember(upstream, key, args, lines);
        fetchIfBehind(upstream, lines);
        return new Answer(lines, Source.UPSTREAM, Duration.ZERO, 0);
      } catch (UpstreamException e) {
        listener.upstreamCall(false, Duration.ofNanos(System.nanoTime() - start));
        gate.recordFailure(upstream, e);
        log.warn("ls-refs upstream failed for {}: {}", key, e.getMessage());
        if (!e.isOutage()) {
          throw e; // a refusal or a redirect is the upstream's answer, not an outage
        }
        failure = e;
      }
    }
    gate.requireNotRefused(upstream); // refused, and not asked again now: nothing from the cache
    if (!policy.enabled()) {
      if (failure != null) {
        throw failure;
      }
      throw new GobletException(Status.UNAVAILABLE, unavailableReason(upstream, null));
    }
    return fromCache(upstream, key, args, failure);
  }

  /**
   * Lists every ref (with symrefs and peeled tags), under the same rules as a client's ls-refs:
   * from the upstream, or from the cache when it fails. Protocol v0/v1 ref advertisements are built
   * from it.
   *
   * @param upstream the canonical upstream repository
   * @return the answer
   * @throws GobletException when neither the upstream nor the cache can answer
   * @throws IOException when the mirror cannot be opened
   */
  public Answer allRefs(URI upstream) throws GobletException, IOException {
    return lsRefs(upstream, ALL_REFS);
  }

  private Answer fromCache(URI upstream, String key, LsRefsArgs args, UpstreamException failure)
      throws GobletException, IOException {
    awaitSeeding(upstream, key);
    Optional<LsRefsCache.Answer> cached = cache.answer(key, args);
    Optional<Mirror> mirror = mirrors.find(upstream);
    if (cached.isEmpty() || mirror.isEmpty()) {
      listener.cacheMiss();
      throw new GobletException(
          Status.UNAVAILABLE, "no cached ls-refs available: " + unavailableReason(upstream, failure));
    }
    Duration age = cache.age(cached.get().time());
    if (policy.maxStaleness().isPresent() && age.compareTo(policy.maxStaleness().get()) > 0) {
      listener.cacheMiss();
      throw new GobletException(
          Status.UNAVAILABLE,
          "no cached ls-refs available: the cached refs are " + age.toSeconds()
              + "s old, past this proxy's limit; " + unavailableReason(upstream, failure));
    }
    Servable servable = servableChecked(key, args, mirror.get(), cached.get());
    if (servable.lines.isEmpty() && !cached.get().lines().isEmpty()) {
      listener.cacheMiss();
      throw new GobletException(
          Status.UNAVAILABLE,
          "no cached ls-refs available: the proxy's mirror has none of the cached refs' objects; "
              + unavailableReason(upstream, failure));
    }
    boolean stale = cache.isStale(cached.get().time(), policy.ttl());
    Answer answer =
        new Answer(servable.lines, stale ? Source.STALE_CACHE : Source.CACHE, age, servable.withheld);
    listener.cacheHit(answer);
    logServe(key, stale, age, servable.withheld, unavailableReason(upstream, failure));
    return answer;
  }

  /**
   * Waits, up to the seed wait, for the seeding of a mirror the replica lacks (a restore from the
   * snapshot store, which brings the ls-refs entry too). An ls-refs answer cannot carry keepalives,
   * so the client hears nothing meanwhile.
   */
  private void awaitSeeding(URI upstream, String key) throws GobletException {
    try {
      seeder.seed(upstream).get(seedWait.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GobletException(Status.UNAVAILABLE, "interrupted while waiting", e);
    } catch (TimeoutException e) {
      log.warn("not waiting longer for the restore of {}", key);
    } catch (ExecutionException e) {
      log.warn("the restore of {} failed", key, e.getCause()); // a seeder never fails so
    }
  }

  private String unavailableReason(URI upstream, UpstreamException failure) {
    if (failure != null) {
      return "the upstream failed (" + failure.getMessage() + ")";
    }
    return gate.unavailableReason(upstream);
  }

  private record Servable(List<String> lines, int withheld) {}

  /** An answer the mirror was found to serve whole: which listing's lines, and when. */
  private record Verified(Instant listingTime, int linesHash, long checkedNanos) {}

  /** What a verified answer was for. */
  private record Question(String key, LsRefsArgs args) {}

  /**
   * Like {@link #servable}, but an answer already found servable whole (same listing, same lines,
   * checked within five minutes) is not checked object by object again: a mirror only gains
   * objects between repacks, and tens of thousands of refs cost milliseconds to check.
   */
  private Servable servableChecked(
      String key, LsRefsArgs args, Mirror mirror, LsRefsCache.Answer cached) {
    long now = System.nanoTime();
    int linesHash = cached.lines().hashCode();
    Question question = new Question(key, args);
    Verified known = verified.get(question);
    if (known != null
        && known.listingTime().equals(cached.time())
        && known.linesHash() == linesHash
        && now - known.checkedNanos() < RECHECK_NANOS) {
      return new Servable(withNewlines(cached.lines()), 0);
    }
    Servable servable = servable(mirror, cached.lines());
    if (servable.withheld() == 0) {
      if (verified.size() >= MAX_VERIFIED) {
        verified.clear(); // many distinct questions: start over rather than grow without bound
      }
      verified.put(question, new Verified(cached.time(), linesHash, now));
    }
    return servable;
  }

  private static List<String> withNewlines(List<String> lines) {
    List<String> out = new ArrayList<>(lines.size());
    for (String line : lines) {
      out.add(line + "\n");
    }
    return out;
  }

  /**
   * Logs a cache serve: a stale one at WARN, a fresh one at INFO, each at most once a minute per
   * repository (an outage can mean thousands of serves a minute).
   */
  private void logServe(String key, boolean stale, Duration age, int withheld, String reason) {
    long now = System.nanoTime();
    Long last = lastLogged.get(key);
    if (last != null && now - last < LOG_INTERVAL_NANOS) {
      return;
    }
    lastLogged.put(key, now);
    String message = "serving {} ls-refs for {} from cache, {}s old ({} refs withheld): {}";
    Object[] logArgs = {stale ? "STALE" : "fresh", key, age.toSeconds(), withheld, reason};
    if (stale) {
      log.warn(message, logArgs);
    } else {
      log.info(message, logArgs);
    }
  }

  /**
   * Keeps cached lines whose objects the mirror has; a ref whose cached object is missing is
   * replaced by the mirror's own value of it when the mirror has one, and left out otherwise.
   */
  private static Servable servable(Mirror mirror, List<String> cachedLines) {
    List<String> out = new ArrayList<>(cachedLines.size());
    int withheld = 0;
    for (String text : cachedLines) {
      RefLine line = RefLine.parse(text);
      if (line.isUnborn()
          || (ObjectId.isId(line.oid()) && mirror.hasObject(ObjectId.fromString(line.oid())))) {
        out.add(text + "\n");
        continue;
      }
      withheld++;
      mirrorValue(mirror, line).ifPresent(out::add);
    }
    return new Servable(out, withheld);
  }

  /** @return the line with the mirror's own value of the ref, if the mirror has the ref */
  private static Optional<String> mirrorValue(Mirror mirror, RefLine cached) {
    try {
      Optional<Ref> ref = mirror.ref(cached.name());
      if (ref.isEmpty()) {
        return Optional.empty();
      }
      StringBuilder line = new StringBuilder(ref.get().getObjectId().name());
      line.append(' ').append(cached.name());
      for (String attribute : cached.attributes()) {
        if (attribute.startsWith(RefLine.SYMREF_TARGET)) {
          line.append(' ').append(attribute);
        } else if (attribute.startsWith(RefLine.PEELED) && ref.get().getPeeledObjectId() != null) {
          line.append(' ').append(RefLine.PEELED).append(ref.get().getPeeledObjectId().name());
        }
      }
      return Optional.of(line.append('\n').toString());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private void remember(URI upstream, String key, LsRefsArgs args, List<String> lines) {
    if (!policy.enabled()) {
      return;
    }
    cache.put(key, upstream, args, stripNewlines(lines));
    if (!args.isFull() && !cache.hasFreshFullListing(key, policy.ttl())) {
      refreshFullListing(upstream, key);
    }
  }

  /**
   * A client's listing covers only its own prefixes; a full listing (all refs, symrefs, peeled)
   * lets the cache answer any later request. Fetched in the background, one at a time per
   * repository, at most once per TTL; a repository whose full listing exceeds the cache's byte
   * budget is not asked again for a TTL.
   */
  private void refreshFullListing(URI upstream, String key) {
    if (fullListingTooLarge.getIfPresent(key) != null || !fullListingRefreshes.add(key)) {
      return;
    }
    try {
      executor.execute(
          () -> {
            try {
              if (!gate.mayCall(upstream)) {
                return;
              }
              List<String> lines = client.lsRefs(upstream, ALL_REFS);
              gate.recordSuccess(upstream);
              if (!cache.put(
                  key, upstream, LsRefsArgs.parse(ALL_REFS.arguments()), stripNewlines(lines))) {
                fullListingTooLarge.put(key, true); // above lsRefsCacheMaxBytes: not every request
              }
            } catch (UpstreamException e) {
              gate.recordFailure(upstream, e);
              log.info("full ls-refs refresh failed for {}: {}", key, e.getMessage());
            } finally {
              fullListingRefreshes.remove(key);
            }
          });
    } catch (RuntimeException rejected) {
      fullListingRefreshes.remove(key);
    }
  }

  /**
   * Starts a background fetch when the repository has a mirror and it lacks or differs on an
   * advertised ref: a fetch for the objects it lacks (skipped if a running fetch brings them), or a
   * fresh one when only refs moved. A repository without a mirror gets none here: a bare {@code git
   * ls-remote} costs no clone; the first fetch makes the mirror. The comparison itself runs on the
   * executor, so the relayed answer does not wait for it.
   */
  private void fetchIfBehind(URI upstream, List<String> lines) {
    Mirror mirror;
    try {
      Optional<Mirror> existing = mirrors.find(upstream);
      if (existing.isEmpty()) {
        return;
      }
      mirror = existing.get();
    } catch (IOException e) {
      log.warn("cannot open the mirror of {} to compare it with the upstream", upstream, e);
      return;
    }
    CompletableFuture<Void> comparison = new CompletableFuture<>();
    mirror.comparing(comparison); // the client's fetch, next, waits for it if it must
    try {
      executor.execute(
          () -> {
            try {
              compareAndFetch(mirror, lines);
            } finally {
              comparison.complete(null);
            }
          });
    } catch (RuntimeException rejected) {
      comparison.complete(null);
      log.warn("cannot compare the mirror of {} with the upstream: {}", upstream, rejected);
    }
  }

  private void compareAndFetch(Mirror mirror, List<String> lines) {
    Set<ObjectId> missing = new HashSet<>();
    boolean moved = false;
    try {
      for (String text : lines) {
        RefLine line = RefLine.parse(text.stripTrailing());
        if (!ObjectId.isId(line.oid())) {
          continue;
        }
        ObjectId advertised = ObjectId.fromString(line.oid());
        if (!mirror.hasObject(advertised)) {
          missing.add(advertised);
        } else if (!moved) {
          Optional<Ref> ref = mirror.ref(line.name());
          moved = ref.isEmpty() || !ref.get().getObjectId().equals(advertised);
        }
      }
    } catch (IOException e) {
      log.warn("cannot compare mirror {} with the upstream; fetching", mirror.key(), e);
      moved = true;
    }
    if (!missing.isEmpty()) {
      mirror.fetchFor(missing);
    } else if (moved) {
      mirror.fetchFor(Set.of());
    }
  }

  private static List<String> stripNewlines(List<String> lines) {
    return lines.stream().map(l -> l.endsWith("\n") ? l.substring(0, l.length() - 1) : l).toList();
  }
}
