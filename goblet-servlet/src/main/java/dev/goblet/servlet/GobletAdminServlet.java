package dev.goblet.servlet;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import dev.goblet.GitRequest;
import dev.goblet.GobletException;
import dev.goblet.GobletProxy;
import dev.goblet.ManagedRepository;
import dev.goblet.PublishReport;
import dev.goblet.RepositoryStatus;
import dev.goblet.Status;
import dev.goblet.cache.LsRefsCache;
import dev.goblet.cache.RefListing;
import dev.goblet.repository.RepositoryPaths;
import dev.goblet.snapshot.SnapshotService;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API of a {@link GobletProxy}, as JSON. Off unless the host mounts it (for example at
 * {@code /admin/*}); every request first passes the config's {@link dev.goblet.AdminAuthorizer},
 * which is not the Git requests' authorizer and by default ({@link
 * dev.goblet.AdminAuthorizer#DENY_ALL}) refuses everything with 403. Routes, below the mount
 * point, where {@code
 * <key>} is a repository's cache key such as {@code github.com/owner/repo} (slashes included):
 *
 * <ul>
 *   <li>{@code GET /repositories}: every managed repository
 *   <li>{@code GET /repositories/<key>}: one repository
 *   <li>{@code GET /repositories/<key>/-/ls-refs}: its cached ls-refs entry
 *   <li>{@code POST /repositories/<key>/-/refresh}: starts an upstream fetch of its mirror (202);
 *       with {@code ?wait=true}, waits for it and answers 200, or the fetch's error with its
 *       status
 *   <li>{@code DELETE /ls-refs-cache/<key>}: forgets its cached ls-refs entry
 *   <li>{@code DELETE /ls-refs-cache}: forgets every cached ls-refs entry
 *   <li>{@code GET /upstream}: whether the upstream is switched on and available
 *   <li>{@code PUT /upstream} with {@code {"enabled": true|false}}: switches it on or off
 *   <li>{@code GET /snapshots}: the snapshot state of each repository this replica published or
 *       restored (generation, mirror update, last published time), with a snapshot store
 *   <li>{@code POST /snapshots}: publishes the snapshots of mirrors changed since their last one
 *       now ({@link GobletProxy#publishSnapshotsNow()}) and answers what it did and the state
 *   <li>{@code POST /backup}: the same as {@code POST /snapshots} (the route of the former bundle
 *       backups, kept for hosts that call it)
 * </ul>
 *
 * <p>{@code /-/} separates a key from an action; no key contains it, since no key segment starts
 * with {@code -}. Errors are {@code {"error": "..."}} with 400 (malformed key or body), 401/403
 * (refused by the admin authorizer), 404 (unknown repository, entry or route), 405 (wrong method, with
 * {@code Allow}), 409 (the action cannot run in the proxy's state), 413 (body too large) or 500.
 *
 * <p>It never closes the proxy. Thread-safe.
 */
public class GobletAdminServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger log = LoggerFactory.getLogger(GobletAdminServlet.class);
  private static final String REPOSITORIES = "/repositories";
  private static final String LS_REFS_CACHE = "/ls-refs-cache";
  private static final String ACTION = "/-/";
  private static final int MAX_BODY_BYTES = 4096;

  private final transient GobletProxy proxy;

  /** @param proxy the proxy to administer; never closed here */
  public GobletAdminServlet(GobletProxy proxy) {
    this.proxy = Objects.requireNonNull(proxy, "proxy");
  }

  /** A refusal: the status and a message safe to show. */
  private static final class Refusal extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;

    Refusal(int status, String message) {
      super(message, null, false, false);
      this.status = status;
    }
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    GitRequest gitRequest = new ServletGitRequest(request);
    try {
      proxy.config().adminAuthorizer().authorize(gitRequest);
    } catch (GobletException e) {
      if (e.status() == Status.UNAUTHORIZED) {
        response.setHeader("WWW-Authenticate", "Bearer");
        response.addHeader("WWW-Authenticate", "Basic realm=\"goblet\"");
      }
      JsonResponses.error(response, e.status().httpCode(), e.getMessage());
      return;
    }
    try {
      route(request, response, gitRequest.path());
    } catch (Refusal e) {
      JsonResponses.error(response, e.status, e.getMessage());
    } catch (IOException | RuntimeException e) {
      log.error("admin {} {} failed", request.getMethod(), gitRequest.path(), e);
      try {
        proxy.config().errorReporter().report(gitRequest, e);
      } catch (RuntimeException reporterFailure) {
        log.warn("the error reporter failed", reporterFailure);
      }
      if (!response.isCommitted()) {
        JsonResponses.error(response, 500, "internal error in the proxy");
      }
    }
  }

  private void route(HttpServletRequest request, HttpServletResponse response, String path)
      throws IOException, Refusal {
    String method = request.getMethod();
    if (path.equals(REPOSITORIES)) {
      requireMethod(response, method, "GET");
      listRepositories(response);
    } else if (path.startsWith(REPOSITORIES + "/")) {
      String rest = path.substring(REPOSITORIES.length() + 1);
      int action = rest.indexOf(ACTION);
      String key = action < 0 ? rest : rest.substring(0, action);
      String verb = action < 0 ? "" : rest.substring(action + ACTION.length());
      switch (verb) {
        case "" -> {
          requireMethod(response, method, "GET");
          showRepository(response, key);
        }
        case "ls-refs" -> {
          requireMethod(response, method, "GET");
          showLsRefs(response, key);
        }
        case "refresh" -> {
          requireMethod(response, method, "POST");
          refresh(response, key, "wait=true".equals(request.getQueryString()));
        }
        default -> throw new Refusal(404, "no such repository action; see the admin API routes");
      }
    } else if (path.equals(LS_REFS_CACHE)) {
      requireMethod(response, method, "DELETE");
      invalidateAll(response);
    } else if (path.startsWith(LS_REFS_CACHE + "/")) {
      requireMethod(response, method, "DELETE");
      invalidate(response, path.substring(LS_REFS_CACHE.length() + 1));
    } else if (path.equals("/upstream")) {
      if (method.equals("PUT")) {
        switchUpstream(request, response);
      } else {
        requireMethod(response, method, "GET", "PUT");
        sendUpstream(response);
      }
    } else if (path.equals("/backup")) {
      requireMethod(response, method, "POST");
      snapshots(response, true);
    } else if (path.equals("/snapshots")) {
      requireMethod(response, method, "GET", "POST");
      snapshots(response, method.equals("POST"));
    } else {
      throw new Refusal(404, "no such admin resource; see the admin API routes");
    }
  }

  /** Answers 405 and stops routing unless the method is one of {@code allowed}. */
  private static void requireMethod(HttpServletResponse response, String method, String... allowed)
      throws Refusal {
    if (!List.of(allowed).contains(method)) {
      response.setHeader("Allow", String.join(", ", allowed));
      throw new Refusal(405, "this resource takes " + String.join(", ", allowed));
    }
  }

  private void listRepositories(HttpServletResponse response) throws IOException {
    JsonArray repositories = new JsonArray();
    for (RepositoryStatus status : proxy.repositoryStatuses()) {
      repositories.add(toJson(status));
    }
    JsonObject body = new JsonObject();
    body.add("repositories", repositories);
    JsonResponses.send(response, 200, body);
  }

  private void showRepository(HttpServletResponse response, String key)
      throws IOException, Refusal {
    Optional<RepositoryStatus> status = proxy.repositoryStatus(validKey(key));
    JsonResponses.send(response, 200, toJson(status.orElseThrow(() -> unknown(key))));
  }

  private void showLsRefs(HttpServletResponse response, String key) throws IOException, Refusal {
    knownRepository(key);
    LsRefsCache.Entry entry =
        proxy.lsRefsCache().get(key).orElseThrow(() -> noEntry(key));
    JsonResponses.send(response, 200, toJson(entry));
  }

  private void refresh(HttpServletResponse response, String key, boolean wait)
      throws IOException, Refusal {
    ManagedRepository repository = knownRepository(key);
    if (!proxy.isUpstreamEnabled()) {
      throw new Refusal(409, "the upstream is switched off on this proxy; switch it on first");
    }
    // The outcome also goes to the operation logger and the metrics.
    CompletableFuture<Void> fetch = repository.fetchUpstream();
    log.info("admin: refresh of {} started", key);
    if (wait) {
      awaitFetch(fetch);
    }
    JsonObject body = new JsonObject();
    body.addProperty("key", key);
    body.addProperty("upstream", repository.upstreamUrl().toString());
    body.addProperty("refresh", wait ? "done" : "started");
    JsonResponses.send(response, wait ? 200 : 202, body);
  }

  /** Waits for a refresh; its failure is the answer, with the failure's status and message. */
  private void awaitFetch(CompletableFuture<Void> fetch) throws Refusal {
    try {
      fetch.get(proxy.config().upstreamFetchTimeout().toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new Refusal(504, "the upstream fetch is still running; it goes on in the background");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Refusal(503, "interrupted while waiting for the upstream fetch");
    } catch (ExecutionException e) {
      if (e.getCause() instanceof GobletException failure) {
        throw new Refusal(failure.status().httpCode(), failure.getMessage());
      }
      throw new Refusal(502, "fetching from the upstream failed");
    }
  }

  private void invalidate(HttpServletResponse response, String key) throws IOException, Refusal {
    validKey(key);
    if (proxy.lsRefsCache().get(key).isEmpty()) {
      throw noEntry(key);
    }
    proxy.lsRefsCache().invalidate(key);
    log.info("admin: ls-refs cache entry of {} invalidated", key);
    sendInvalidated(response, 1);
  }

  private void invalidateAll(HttpServletResponse response) throws IOException {
    int entries = proxy.lsRefsCache().size();
    proxy.lsRefsCache().invalidateAll();
    log.info("admin: every ls-refs cache entry invalidated ({})", entries);
    sendInvalidated(response, entries);
  }

  private static void sendInvalidated(HttpServletResponse response, int entries)
      throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("invalidated", entries);
    JsonResponses.send(response, 200, body);
  }

  private void sendUpstream(HttpServletResponse response) throws IOException {
    JsonObject body = new JsonObject();
    body.addProperty("enabled", proxy.isUpstreamEnabled());
    body.addProperty("available", proxy.isUpstreamAvailable());
    body.addProperty("upstream_status", JsonResponses.lower(proxy.health().upstreamStatus()));
    JsonResponses.send(response, 200, body);
  }

  private void switchUpstream(HttpServletRequest request, HttpServletResponse response)
      throws IOException, Refusal {
    byte[] bytes = request.getInputStream().readNBytes(MAX_BODY_BYTES + 1);
    if (bytes.length > MAX_BODY_BYTES) {
      throw new Refusal(413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
    }
    JsonElement enabled;
    try {
      JsonElement body = JsonParser.parseString(new String(bytes, StandardCharsets.UTF_8));
      enabled = body.isJsonObject() ? body.getAsJsonObject().get("enabled") : null;
    } catch (JsonParseException e) {
      enabled = null;
    }
    if (enabled == null
        || !enabled.isJsonPrimitive()
        || !enabled.getAsJsonPrimitive().isBoolean()) {
      throw new Refusal(400, "the body must be {\"enabled\": true} or {\"enabled\": false}");
    }
    proxy.setUpstreamEnabled(enabled.getAsBoolean());
    log.info("admin: upstream switched {}", enabled.getAsBoolean() ? "on" : "off");
    sendUpstream(response);
  }

  private void snapshots(HttpServletResponse response, boolean publish)
      throws IOException, Refusal {
    if (proxy.config().snapshotStore().isEmpty()) {
      throw new Refusal(409, "no snapshot store is configured on this proxy");
    }
    JsonObject body = new JsonObject();
    if (publish) {
      log.info("admin: snapshot publishing requested");
      PublishReport report = proxy.publishSnapshotsNow();
      body.add("published", strings(report.published()));
      body.add("up_to_date", strings(report.upToDate()));
      body.add("failed", strings(report.failed()));
      body.addProperty("ls_refs_entries", report.lsRefsEntries());
    }
    JsonArray repositories = new JsonArray();
    for (SnapshotService.Status status : proxy.snapshotStatuses().values()) {
      JsonObject json = new JsonObject();
      json.addProperty("key", status.key());
      json.addProperty("generation", status.generation());
      json.addProperty("mirror_update", status.mirrorUpdate().toString());
      status.lastPublished().ifPresent(t -> json.addProperty("last_published", t.toString()));
      repositories.add(json);
    }
    body.add("repositories", repositories);
    JsonResponses.send(response, 200, body);
  }

  private ManagedRepository knownRepository(String key) throws IOException, Refusal {
    return proxy.repository(validKey(key)).orElseThrow(() -> unknown(key));
  }

  private static String validKey(String key) throws Refusal {
    if (!RepositoryPaths.isValidKey(key)) {
      throw new Refusal(
          400, "not a repository key; a key looks like github.com/owner/repo (host[_port]/path)");
    }
    return key;
  }

  private static Refusal unknown(String key) {
    return new Refusal(404, "no repository " + key + " on this proxy");
  }

  private static Refusal noEntry(String key) {
    return new Refusal(404, "no cached ls-refs for " + key);
  }

  private static JsonObject toJson(RepositoryStatus status) {
    JsonObject json = new JsonObject();
    json.addProperty("key", status.key());
    json.addProperty("upstream", status.upstreamUrl().toString());
    json.addProperty("path", status.localPath().toString());
    json.add("last_update", JsonResponses.time(status.lastUpdate()));
    json.add("ls_refs_cached_at", JsonResponses.time(status.lsRefsCachedAt()));
    json.add(
        "ls_refs_age_seconds",
        status.lsRefsAge().<JsonElement>map(age -> new JsonPrimitive(age.toSeconds()))
            .orElse(JsonNull.INSTANCE));
    json.addProperty("ref_count", status.refCount());
    json.addProperty("size_bytes", status.sizeBytes());
    json.addProperty("last_served", status.lastServed().toString());
    return json;
  }

  private JsonObject toJson(LsRefsCache.Entry entry) {
    Duration ttl = proxy.config().lsRefsCacheTtl();
    JsonObject json = new JsonObject();
    json.addProperty("key", entry.repoKey());
    json.addProperty("upstream", entry.upstream().toString());
    json.addProperty("cached_at", entry.newestTime().toString());
    json.addProperty("age_seconds", proxy.lsRefsCache().age(entry.newestTime()).toSeconds());
    json.addProperty("stale", proxy.lsRefsCache().isStale(entry.newestTime(), ttl));
    JsonArray listings = new JsonArray();
    for (RefListing listing : entry.listings()) {
      JsonObject item = new JsonObject();
      item.addProperty("time", listing.time().toString());
      item.addProperty("age_seconds", proxy.lsRefsCache().age(listing.time()).toSeconds());
      item.add("prefixes", strings(listing.args().prefixes()));
      item.addProperty("symrefs", listing.args().symrefs());
      item.addProperty("peel", listing.args().peel());
      item.addProperty("unborn", listing.args().unborn());
      item.add("lines", strings(listing.lines()));
      listings.add(item);
    }
    json.add("listings", listings);
    return json;
  }

  private static JsonArray strings(Collection<String> values) {
    JsonArray array = new JsonArray();
    values.forEach(array::add);
    return array;
  }
}
