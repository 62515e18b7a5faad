package dev.goblet.protocol;

import dev.goblet.GobletException;
import dev.goblet.Status;
import dev.goblet.repository.Mirror;
import dev.goblet.upstream.UpstreamGate;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.transport.UploadPack;
import org.eclipse.jgit.transport.UploadPackInternalServerErrorException;

/**
 * Serves a protocol v2 {@code fetch} from the mirror with JGit's {@link UploadPack} (which handles
 * haves, shallow, filters and everything else), after making sure the mirror has every want: when
 * it does not, the request shares the mirror's upstream fetch and waits for it to end — no polling.
 * Thread-safe.
 */
public final class FetchHandler {
  /** Told how a fetch was served; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = new Listener() {};

    /**
     * @param servedLocally whether the mirror had every want without asking the upstream
     * @param waited how long the request waited for upstream fetches
     */
    default void served(boolean servedLocally, Duration waited) {}
  }

  private final UpstreamGate gate;
  private final Duration waitLimit;
  private final Semaphore packSlots;
  private final Listener listener;

  /**
   * @param gate the upstream switch and breakers
   * @param waitLimit the longest a request waits for one upstream fetch
   * @param maxConcurrentPacks how many packs may be generated at once
   * @param listener told how each fetch was served
   */
  public FetchHandler(
      UpstreamGate gate, Duration waitLimit, int maxConcurrentPacks, Listener listener) {
    this.gate = gate;
    this.waitLimit = waitLimit;
    this.packSlots = new Semaphore(maxConcurrentPacks, true);
    this.listener = listener;
  }

  /**
   * @param mirror the repository's mirror
   * @param command the client's fetch command
   * @param protocolParameters the client's {@code Git-Protocol} header values, such as {@code
   *     version=2}
   * @param out the response body
   * @return whether the mirror had every want without waiting for the upstream
   * @throws GobletException when the wants cannot be had; nothing was written then
   * @throws IOException when writing the pack fails
   */
  public boolean fetch(
      Mirror mirror, Command command, List<String> protocolParameters, OutputStream out)
      throws GobletException, IOException {
    boolean local = ensureObjects(mirror, wants(command));
    acquirePackSlot();
    try {
      UploadPack uploadPack = new UploadPack(mirror.repository());
      uploadPack.setBiDirectionalPipe(false);
      uploadPack.setExtraParameters(protocolParameters);
      uploadPack.setRequestPolicy(UploadPack.RequestPolicy.ANY);
      uploadPack.upload(new ByteArrayInputStream(command.encode()), out, null);
    } catch (UploadPackInternalServerErrorException e) {
      // JGit has already answered "ERR internal server error"; record the failure.
      throw new GobletException(Status.INTERNAL, "the mirror could not serve the fetch", e);
    } finally {
      packSlots.release();
    }
    return local;
  }

  /**
   * Makes sure the mirror has every wanted object, waiting for an upstream fetch when it does
   * not. While the upstream is switched off or failing, only a fetch already running or queued is
   * waited for; otherwise the request fails at once, naming the outage.
   *
   * @param mirror the repository's mirror
   * @param wants the objects a client wants
   * @return whether the mirror had them all without waiting
   * @throws GobletException when they cannot be had
   */
  public boolean ensureObjects(Mirror mirror, Collection<ObjectId> wants) throws GobletException {
    Set<ObjectId> missing = missing(mirror, wants);
    if (missing.isEmpty()) {
      listener.served(true, Duration.ZERO);
      return true;
    }
    long start = System.nanoTime();
    if (gate.isUnavailable(mirror.upstreamUrl())) {
      Optional<CompletableFuture<Void>> pending = mirror.pendingFetch();
      if (pending.isPresent()) {
        await(pending.get()); // asked for while the upstream was there; it may bring them
        missing = missing(mirror, wants);
      }
      if (!missing.isEmpty()) {
        throw new GobletException(
            Status.UNAVAILABLE,
            "the proxy's mirror does not have object " + missing.iterator().next().name()
                + " and " + gate.unavailableReason(mirror.upstreamUrl())
                + "; try again when the upstream is back");
      }
    } else {
      await(mirror.fetchFor(missing));
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

  private static Set<ObjectId> missing(Mirror mirror, Collection<ObjectId> wants) {
    Set<ObjectId> missing = new LinkedHashSet<>();
    for (ObjectId want : wants) {
      if (!mirror.hasObject(want)) {
        missing.add(want);
      }
    }
    return missing;
  }

  private void await(CompletableFuture<Void> fetch) throws GobletException {
    try {
      fetch.get(waitLimit.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new GobletException(
          Status.GATEWAY_TIMEOUT, "timed out waiting for the upstream fetch", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GobletException(Status.UNAVAILABLE, "interrupted waiting for the upstream", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof GobletException g) {
        throw new GobletException(g.status(), g.getMessage(), cause);
      }
      throw new GobletException(Status.INTERNAL, "fetching from the upstream failed", cause);
    }
  }

  private void acquirePackSlot() throws GobletException {
    try {
      if (!packSlots.tryAcquire(waitLimit.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new GobletException(
            Status.UNAVAILABLE, "the proxy is busy generating packs; try again shortly");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new GobletException(Status.UNAVAILABLE, "interrupted waiting for a pack slot", e);
    }
  }

  /**
   * @param command a fetch command
   * @return its wanted object ids
   * @throws GobletException ({@link Status#BAD_REQUEST}) for a malformed argument
   */
  public static List<ObjectId> wants(Command command) throws GobletException {
    FetchArguments.check(command);
    List<ObjectId> wants = new ArrayList<>();
    for (String value : command.argumentValues("want ")) {
      wants.add(ObjectId.fromString(value));
    }
    return wants;
  }
}
