package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.repository.Mirror;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.MirrorSeeder;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.upstream.UpstreamGate;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.errors.PackProtocolException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.transport.UploadPackInternalServerErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves fetches (a protocol v2 {@code fetch} command, or a stateless v0/v1 upload-pack request)
 * from the mirror with JGit's {@link UploadPack} (which handles haves, shallow, filters and
 * everything else), after making sure the mirror has every want: a mirror the replica lacks is
 * first seeded (restored from a snapshot store), and when the mirror lacks a want, the request
 * shares the mirror's upstream fetch; it waits for either to end — no polling — keeping its client
 * alive meanwhile. {@code deepen-relative},
 * which UploadPack lacks, is translated first (see {@link DeepenRelative}). Thread-safe.
 */
public final class FetchHandler implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(FetchHandler.class);

  /** Told how a fetch was served; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /**
     * @param servedLocally whether the mirror had every want without asking the upstream
     * @param waited how long the request waited for upstream fetches
     */
    default void served(boolean servedLocally, Duration waited) {}

    /**
     * @param shared whether the answer came from the pack cache (another request generated it)
     */
    default void packAnswered(boolean shared) {}
  }

  /**
   * Where and how upload-pack answers are spooled (see the pack cache in the README).
   *
   * @param spoolDir the directory of the spool files, under the cache root
   * @param cacheEnabled whether identical requests share one generation and its file
   * @param maxAge how long a cached answer is served after its generation started
   * @param maxBytes the byte budget of the spool files
   * @param generators runs the generations; its thread count is the CPU ration for packs
   */
  public record Packs(
      Path spoolDir, boolean cacheEnabled, Duration maxAge, long maxBytes, Executor generators) {}

  /**
   * How a waiting fetch keeps its client's connection alive (see {@link Keepalive}).
   *
   * @param enabled whether to open answers early (a v2 {@code packfile} section, a v0/v1 final
   *     {@code NAK}) and send keepalives
   * @param interval the longest silence a waiting client sees
   * @param cachedRefsAge the age of a mirror's cached ls-refs answer, by mirror key, if any: said
   *     to the user when the upstream is unavailable
   */
  public record Keepalives(
      boolean enabled, Duration interval, Function<String, Optional<Duration>> cachedRefsAge) {}

  /** How often a reader waiting for pack bytes wakes up to check on the generation. */
  private static final Duration WAIT_SLICE = Duration.ofSeconds(1);

  /** The pkt-line UploadPack ends a negotiation round without common commits with. */
  private static final byte[] NAK = Keepalive.Opening.NAK.packet();

  private final UpstreamGate gate;
  private final MirrorManager mirrors;
  private final MirrorSeeder seeder;
  private final Duration waitLimit;
  private final PackCache packs;
  private final Keepalives keepalives;
  private final Listener listener;

  /**
   * @param gate the upstream switch and breakers
   * @param mirrors the mirrors, leased for each request
   * @param seeder gives a mirror the replica lacks its first content before a fetch uses it
   * @param waitLimit the longest a request waits for its mirror's seeding, for one upstream fetch,
   *     and for its pack generation to start
   * @param packs where answers are spooled and generated
   * @param keepalives how waiting clients are kept alive and informed
   * @param listener told how each fetch was served
   */
  public FetchHandler(
      UpstreamGate gate,
      MirrorManager mirrors,
      MirrorSeeder seeder,
      Duration waitLimit,
      Packs packs,
      Keepalives keepalives,
      Listener listener) {
    this.keepalives = keepalives;
    this.gate = gate;
    this.mirrors = mirrors;
    this.seeder = seeder;
    this.waitLimit = waitLimit;
    this.packs =
        new PackCache(
            packs.spoolDir(),
            packs.cacheEnabled(),
            packs.maxAge(),
            packs.maxBytes(),
            packs.generators(),
            waitLimit,
            System::nanoTime);
    this.listener = listener;
  }

  /**
   * Serves a protocol v2 {@code fetch}.
   *
   * @param upstream the canonical upstream repository, whose mirror serves the fetch
   * @param command the client's fetch command
   * @param protocolParameters the client's {@code Git-Protocol} header values, such as {@code
   *     version=2}
   * @param out the response body
   * @return whether the mirror had every want without waiting for the upstream
   * @throws GobletException when the wants cannot be had; nothing was written then
   * @throws IOException when writing the pack fails
   */
  public boolean fetch(
      URI upstream, Command command, List<String> protocolParameters, OutputStream out)
      throws GobletException, IOException {
    List<ObjectId> wants = wants(command);
    boolean relative = command.arguments().contains(DeepenRelative.KEYWORD);
    List<ObjectId> shallows =
        relative
            ? WireValues.objectIds(command.argumentValues("shallow "), "shallow")
            : List.of();
    List<String> depths = command.argumentValues("deepen ");
    int depth =
        relative && !depths.isEmpty()
            ? WireValues.positive(depths.get(depths.size() - 1), "deepen")
            : 0;
    Keepalive keepalive =
        new Keepalive(
            out, Keepalive.Opening.PACKFILE, !command.arguments().contains("no-progress"),
            keepalives.interval(), System::nanoTime);
    return keptAlive(
        upstream,
        keepalive,
        answersWithPackfileOnly(command),
        mirror ->
            fetch(mirror, command, protocolParameters, keepalive, wants, relative, shallows, depth));
  }

  /** A fetch's work on its leased mirror, once its answer may have been opened. */
  private interface Work {
    boolean run(Mirror mirror) throws GobletException, IOException;
  }

  /**
   * Runs a fetch's work on its leased mirror, first opening its answer when keepalives are on and
   * the answer's start is known already ({@code opensEarly}), and saying the outage then. A mirror
   * being seeded (restored from a snapshot store) is waited for after the opening, and leased then;
   * any other is leased before it, so that a mirror that cannot be opened gets a plain ERR. A
   * failure after the opening goes to the client as a side-band-3 error and is rethrown as an
   * {@link AnsweredException}.
   */
  private boolean keptAlive(URI upstream, Keepalive keepalive, boolean opensEarly, Work work)
      throws GobletException, IOException {
    // A refused repository gets a plain ERR, before the answer opens.
    gate.requireNotRefused(upstream);
    CompletableFuture<Void> seeding = seeder.seed(upstream);
    MirrorManager.Lease lease = seeding.isDone() ? mirrors.leaseForRequest(upstream) : null;
    try {
      if (keepalives.enabled() && opensEarly) {
        keepalive.start();
        sayOutage(upstream, keepalive);
      }
      if (lease == null) {
        awaitSeeding(upstream, seeding, keepalive);
        lease = mirrors.leaseForRequest(upstream);
      }
      return work.run(lease.mirror());
    } catch (GobletException e) {
      if (!keepalive.started() || e instanceof AnsweredException) {
        throw e;
      }
      keepalive.fail(e.getMessage());
      throw new AnsweredException(e.status(), e.getMessage(), e);
    } finally {
      if (lease != null) {
        lease.close();
      }
    }
  }

  private boolean fetch(
      Mirror mirror,
      Command command,
      List<String> protocolParameters,
      Keepalive keepalive,
      List<ObjectId> wants,
      boolean relative,
      List<ObjectId> shallows,
      int depth)
      throws GobletException, IOException {
    boolean local = ensureObjects(mirror, wants, keepalive);
    if (!command.argumentValues("deepen-not ").isEmpty()) {
      refreshRefs(mirror, keepalive);
    }
    byte[] request = command.encode();
    PackRequest translated =
        !relative
            ? () -> request
            : () ->
                withAbsoluteDepth(
                        command,
                        DeepenRelative.absoluteDepth(mirror.repository(), wants, shallows, depth))
                    .encode();
    uploadPack(mirror, request, translated, protocolParameters, keepalive, false);
    return local;
  }

  /**
   * @return whether the answer is the {@code packfile} section alone, so that it can be opened at
   *     once: the negotiation is done and nothing asks for the sections before it ({@code
   *     shallow-info} for shallow and deepen requests, {@code wanted-refs} for want-ref) or
   *     multiplexes them ({@code sideband-all})
   */
  private static boolean answersWithPackfileOnly(Command command) {
    boolean done = false;
    for (String argument : command.arguments()) {
      if (argument.equals("done")) {
        done = true;
      } else if (argument.startsWith("deepen")
          || argument.startsWith("shallow ")
          || argument.startsWith("want-ref ")
          || argument.equals("sideband-all")
          || argument.startsWith("packfile-uris")) {
        return false;
      }
    }
    return done;
  }

  /** Tells the user that refs came from the cache while the upstream is unavailable. */
  private void sayOutage(URI upstream, Keepalive keepalive) throws IOException {
    if (!gate.isUnavailable(upstream)) {
      return;
    }
    Optional<Duration> age = keepalives.cachedRefsAge().apply(RepositoryPaths.key(upstream));
    if (age.isPresent()) {
      long minutes = age.get().toMinutes();
      keepalive.say(
          upstream.getRawAuthority() + " is unavailable; refs served from cache, "
              + (minutes > 0 ? minutes + " min" : age.get().toSeconds() + " s") + " old");
    }
  }

  /**
   * Serves one stateless protocol v0/v1 upload-pack request (one negotiation round, or the last
   * one and the pack). A last round without haves, shallow or deepen lines, with side-band, is
   * answered {@code NAK} whatever the mirror holds: with keepalives on, that {@code NAK} is written
   * at once and keepalives follow it while the proxy waits (see {@link Keepalive}).
   *
   * @param upstream the canonical upstream repository, whose mirror serves the request
   * @param request the client's request
   * @param protocolParameters the client's {@code Git-Protocol} header values, possibly none
   * @param out the response body
   * @return whether the mirror had every want without waiting for the upstream
   * @throws GobletException when the wants cannot be had; nothing was written then
   * @throws IOException when writing the answer fails
   */
  boolean fetchV0(
      URI upstream, V0Request request, List<String> protocolParameters, OutputStream out)
      throws GobletException, IOException {
    Keepalive keepalive =
        new Keepalive(
            out, Keepalive.Opening.NAK, request.wantsProgress(), keepalives.interval(),
            System::nanoTime);
    return keptAlive(
        upstream,
        keepalive,
        request.answersNakThenSideBandPack(),
        mirror -> fetchV0(mirror, request, protocolParameters, keepalive));
  }

  private boolean fetchV0(
      Mirror mirror, V0Request request, List<String> protocolParameters, Keepalive keepalive)
      throws GobletException, IOException {
    boolean local = ensureObjects(mirror, request.wants(), keepalive);
    if (request.namesRefs()) {
      refreshRefs(mirror, keepalive);
    }
    PackRequest translated =
        !request.isDeepenRelative()
            ? request::body
            : () ->
                request.withAbsoluteDepth(
                    DeepenRelative.absoluteDepth(
                        mirror.repository(), request.wants(), request.shallows(), request.depth()));
    if (request.isShallowListRound()) {
      shallowListRound(mirror, request, protocolParameters, keepalive.packOut());
    } else {
      uploadPack(mirror, request.body(), translated, protocolParameters, keepalive, true);
    }
    return local;
  }

  /**
   * Answers the round in which a stateless v0 client with {@code deepen-since} or {@code
   * deepen-not} asks only for its new shallow list. UploadPack accepts such a request for {@code
   * deepen <n>} alone; for the others it fails reading the haves. Given an empty have section it
   * answers the shallow list followed by a {@code NAK}, which this round must not carry: the NAK
   * is dropped.
   */
  private void shallowListRound(
      Mirror mirror, V0Request request, List<String> protocolParameters, OutputStream out)
      throws GobletException, IOException {
    ByteArrayOutputStream answer = new ByteArrayOutputStream();
    try {
      byte[] body = request.withEmptyHaves();
      uploadPack(
          mirror,
          body,
          () -> body,
          protocolParameters,
          Keepalive.off(answer),
          true);
    } finally {
      byte[] bytes = answer.toByteArray();
      int length = bytes.length;
      if (length >= NAK.length
          && Arrays.equals(bytes, length - NAK.length, length, NAK, 0, NAK.length)) {
        length -= NAK.length;
      }
      out.write(bytes, 0, length);
      out.flush();
    }
  }

  /**
   * Makes sure the mirror has every wanted object, waiting for an upstream fetch when it does
   * not; refuses a repository the upstream refused (401, 403, 404) and has not served since.
   * While the upstream is switched off or failing, only a fetch already running or queued is
   * waited for; otherwise the request fails at once, naming the outage.
   *
   * @param mirror the repository's mirror
   * @param wants the objects a client wants
   * @return whether the mirror had them all without waiting
   * @throws GobletException when they cannot be had
   */
  public boolean ensureObjects(Mirror mirror, Collection<ObjectId> wants) throws GobletException {
    try {
      return ensureObjects(mirror, wants, Keepalive.off(OutputStream.nullOutputStream()));
    } catch (IOException e) {
      throw new IllegalStateException("a keepalive that never started wrote", e);
    }
  }

  private boolean ensureObjects(Mirror mirror, Collection<ObjectId> wants, Keepalive keepalive)
      throws GobletException, IOException {
    gate.requireNotRefused(mirror.upstreamUrl()); // revoked upstream access ends serving
    Set<ObjectId> missing = missing(mirror, wants);
    if (missing.isEmpty()) {
      listener.served(true, Duration.ZERO);
      return true;
    }
    long start = System.nanoTime();
    if (gate.isUnavailable(mirror.upstreamUrl())) {
      Optional<CompletableFuture<Void>> pending = mirror.pendingFetch();
      if (pending.isPresent()) {
        await(pending.get(), mirror, keepalive); // asked for while the upstream was there
      }
      missing = missing(mirror, wants); // again: a fetch may have ended since the first look
      if (!missing.isEmpty()) {
        throw new GobletException(
            Status.UNAVAILABLE,
            "the proxy's mirror does not have object " + missing.iterator().next().name()
                + " and " + gate.unavailableReason(mirror.upstreamUrl())
                + "; try again when the upstream is back");
      }
    } else {
      await(mirror.fetchFor(missing), mirror, keepalive);
      missing = missing(mirror, wants);
      if (!missing.isEmpty()) {
        throw new GobletException(
            Status.NOT_FOUND,
            "the upstream does not have object " + missing.iterator().next().name());
      }
    }
    listener.served(false, Duration.ofNanos(System.nanoTime() - start));
    return false;
  }

  /**
   * Brings the mirror's refs up to date before a request that names refs for the server to resolve
   * ({@code deepen-not}, as {@code git clone --shallow-exclude} sends): the client named them from
   * an ls-refs answer that may be newer than the mirror (a tag created upstream a moment ago). While
   * the upstream is unavailable, or when the fetch fails, the mirror's refs are used as they are.
   */
  private void refreshRefs(Mirror mirror, Keepalive keepalive) throws IOException {
    if (gate.isUnavailable(mirror.upstreamUrl())) {
      return;
    }
    try {
      await(mirror.fetchFor(Set.of()), mirror, keepalive);
    } catch (GobletException e) {
      log.info("refreshing the refs of {} for a deepen-not fetch failed: {}", mirror.key(),
          e.getMessage());
    }
  }

  private static Set<ObjectId> missing(Mirror mirror, Collection<ObjectId> wants) {
    Set<ObjectId> missing = new LinkedHashSet<>();
    for (ObjectId want : wants) {
      if (!mirror.hasObject(want)) {
        missing.add(want);
      }
    }
    return missing;
  }

  /** Makes the request UploadPack reads; runs inside the pack generation. */
  private interface PackRequest {
    byte[] get() throws IOException, GobletException;
  }

  /**
   * Answers one stateless request with UploadPack's bytes from the pack cache: generated on the
   * pack-generation executor (the CPU ration), streamed to the client on this thread, outside it.
   *
   * @param request the client's request, which keys the cache
   * @param translated the request UploadPack reads (with deepen-relative translated, a bounded
   *     walk that so runs under the ration too)
   */
  private void uploadPack(
      Mirror mirror,
      byte[] request,
      PackRequest translated,
      List<String> protocolParameters,
      Keepalive keepalive,
      boolean v0)
      throws GobletException, IOException {
    keepalive.activity("preparing the pack");
    String key = PackKey.of(mirror.key(), mirror.refsVersion(), v0, protocolParameters, request);
    try (PackCache.Reader reader =
        packs.open(
            key,
            spool ->
                runUploadPack(mirror, translated.get(), protocolParameters, spool, v0))) {
      listener.packAnswered(reader.shared());
      reader.transferTo(keepalive.packOut(), waited -> keepalive.idle(), WAIT_SLICE);
    }
  }

  /**
   * Runs JGit's UploadPack on the mirror for one stateless request. Any want is accepted (the
   * upstream advertised it, or the client named an object the mirror has); for v0 the mirror's refs
   * stand in for the advertisement the client saw, so that {@code include-tag} finds the tags.
   */
  private static void runUploadPack(
      Mirror mirror, byte[] request, List<String> protocolParameters, OutputStream out, boolean v0)
      throws GobletException, IOException {
    try {
      UploadPack uploadPack = new UploadPack(mirror.repository());
      uploadPack.setBiDirectionalPipe(false);
      uploadPack.setExtraParameters(protocolParameters);
      uploadPack.setRequestPolicy(UploadPack.RequestPolicy.ANY);
      if (v0) {
        uploadPack.setAdvertisedRefs(null);
      }
      uploadPack.upload(new ByteArrayInputStream(request), out, null);
    } catch (UploadPackInternalServerErrorException e) {
      // UploadPack has written an ERR packet: its message for a protocol error (a bad request),
      // "internal server error" otherwise. Send it rather than letting the container answer 500.
      out.flush();
      Throwable cause = e.getCause();
      if (cause instanceof PackProtocolException) {
        throw new AnsweredException(Status.BAD_REQUEST, cause.getMessage(), e);
      }
      throw new AnsweredException(Status.INTERNAL, "upload-pack failed on the mirror", e);
    }
  }

  /**
   * @return the command with {@code deepen <absolute>} and without {@code deepen-relative}
   */
  private static Command withAbsoluteDepth(Command command, int absolute) {
    List<String> arguments = new ArrayList<>(command.arguments().size());
    for (String argument : command.arguments()) {
      if (argument.startsWith("deepen ")) {
        arguments.add("deepen " + absolute);
      } else if (!argument.equals(DeepenRelative.KEYWORD)) {
        arguments.add(argument);
      }
    }
    return new Command(command.name(), command.capabilities(), arguments);
  }

  /**
   * Waits for the seeding of a mirror the replica lacks (a restore from the snapshot store), up to
   * the wait limit, keeping the client alive meanwhile; past the limit the request goes on as for
   * a new mirror.
   */
  private void awaitSeeding(URI upstream, CompletableFuture<Void> seeding, Keepalive keepalive)
      throws GobletException, IOException {
    keepalive.activity("restoring " + repositoryPath(upstream) + " from the snapshot store");
    try {
      if (!waitFor(seeding, keepalive)) {
        log.warn("not waiting longer for the restore of {}", upstream);
      }
    } catch (ExecutionException e) {
      log.warn("the restore of {} failed", upstream, e.getCause()); // a seeder never fails so
    }
  }

  /** Waits for an upstream fetch, keeping the client alive meanwhile. */
  private void await(CompletableFuture<Void> fetch, Mirror mirror, Keepalive keepalive)
      throws GobletException, IOException {
    URI upstream = mirror.upstreamUrl();
    keepalive.activity(
        "fetching " + repositoryPath(upstream) + " from " + upstream.getRawAuthority());
    try {
      if (!waitFor(fetch, keepalive)) {
        throw new GobletException(
            Status.GATEWAY_TIMEOUT, "timed out waiting for the upstream fetch");
      }
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof GobletException g) {
        throw new GobletException(g.status(), g.getMessage(), cause);
      }
      throw new GobletException(Status.INTERNAL, "fetching from the upstream failed", cause);
    }
  }

  /**
   * Waits for {@code work} up to the wait limit, writing keepalives or progress to the client.
   *
   * @return whether the work ended within the limit
   * @throws ExecutionException when the work failed
   */
  private boolean waitFor(CompletableFuture<?> work, Keepalive keepalive)
      throws GobletException, IOException, ExecutionException {
    long deadline = System.nanoTime() + waitLimit.toNanos();
    try {
      while (true) {
        long left = deadline - System.nanoTime();
        try {
          work.get(Math.max(1, Math.min(left, WAIT_SLICE.toNanos())), TimeUnit.NANOSECONDS);
          return true;
        } catch (TimeoutException e) {
          if (System.nanoTime() - deadline >= 0) {
            return false;
          }
          keepalive.idle();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GobletException(Status.UNAVAILABLE, "interrupted while waiting", e);
    }
  }

  private static String repositoryPath(URI upstream) {
    return upstream.getRawPath().replaceFirst("^/", "");
  }

  /**
   * @param command a fetch command
   * @return its wanted object ids
   * @throws GobletException ({@link Status#BAD_REQUEST}) for a malformed argument, before anything
   *     is looked up
   */
  public static List<ObjectId> wants(Command command) throws GobletException {
    FetchArguments.check(command);
    return WireValues.objectIds(command.argumentValues("want "), "want");
  }

  /** Stops sharing cached answers; spool files still being read go when their readers close. */
  @Override
  public void close() {
    packs.close();
  }
}
