package dev.goblet.protocol;

import dev.goblet.ErrorReporter;
import dev.goblet.GitRequest;
import dev.goblet.GitResponse;
import dev.goblet.GobletException;
import dev.goblet.RequestAuthorizer;
import dev.goblet.Status;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.repository.MirrorManager;
import dev.goblet.repository.RepositoryPaths;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * Git smart HTTP, protocol v2, without servlet types: authorizes, canonicalizes, answers {@code GET
 * info/refs} with the capability advertisement and runs the commands of {@code POST
 * git-upload-pack}. Thread-safe.
 *
 * <p>Errors before the protocol exchange are thrown as {@link GobletException} (the caller answers
 * them with an HTTP status); errors inside it are written as {@code ERR} packets, which {@code git}
 * prints.
 */
public final class ProtocolV2Handler {
  /** The header telling where an ls-refs answer came from and how old it is. */
  public static final String LS_REFS_SOURCE_HEADER = "X-Goblet-Ls-Refs";

  private static final String REQUEST_TYPE = "application/x-git-upload-pack-request";
  private static final String RESULT_TYPE = "application/x-git-upload-pack-result";
  private static final String ADVERTISEMENT_TYPE = "application/x-git-upload-pack-advertisement";

  /** Told of every command's outcome; must be fast and not throw. */
  public interface Listener {
    /** Records nothing. */
    Listener NONE = (command, cacheState, status, latency) -> {};

    /**
     * @param command {@code ls-refs}, {@code fetch}, or {@code not-a-command} for info/refs and
     *     requests refused before any command ran
     * @param cacheState where the answer came from (see {@code GobletMetrics})
     * @param status the outcome
     * @param latency how long it took
     */
    void commandDone(String command, String cacheState, Status status, Duration latency);
  }

  /** The command name of requests that carry none. */
  public static final String NOT_A_COMMAND = "not-a-command";

  private final RequestAuthorizer authorizer;
  private final UrlCanonicalizer canonicalizer;
  private final MirrorManager mirrors;
  private final LsRefsHandler lsRefs;
  private final FetchHandler fetch;
  private final ErrorReporter errors;
  private final long maxBodyBytes;
  private final Listener listener;

  /**
   * @param authorizer runs first on every request
   * @param canonicalizer maps paths to upstreams
   * @param mirrors the mirrors
   * @param lsRefs answers ls-refs
   * @param fetch answers fetch
   * @param errors receives server-side errors written as ERR packets (guarded)
   * @param maxBodyBytes the largest decoded request body accepted
   * @param listener told of every command's outcome
   */
  public ProtocolV2Handler(
      RequestAuthorizer authorizer,
      UrlCanonicalizer canonicalizer,
      MirrorManager mirrors,
      LsRefsHandler lsRefs,
      FetchHandler fetch,
      ErrorReporter errors,
      long maxBodyBytes,
      Listener listener) {
    this.authorizer = authorizer;
    this.canonicalizer = canonicalizer;
    this.mirrors = mirrors;
    this.lsRefs = lsRefs;
    this.fetch = fetch;
    this.errors = errors;
    this.maxBodyBytes = maxBodyBytes;
    this.listener = listener;
  }

  /**
   * @param request the request
   * @param response the response
   * @throws GobletException for a refusal before the protocol exchange began
   * @throws IOException when the client connection fails
   */
  public void handle(GitRequest request, GitResponse response)
      throws GobletException, IOException {
    long start = System.nanoTime();
    try {
      if (route(request, response)) {
        listener.commandDone(NOT_A_COMMAND, "none", Status.OK, since(start));
      }
    } catch (GobletException e) {
      listener.commandDone(NOT_A_COMMAND, "none", e.status(), since(start));
      throw e;
    }
  }

  /** @return whether the request was answered without running a command */
  private boolean route(GitRequest request, GitResponse response)
      throws GobletException, IOException {
    authorizer.authorize(request);
    Endpoint.Route route = Endpoint.route(request.path());
    URI upstream = canonicalizer.canonicalize(route.repositoryPath());
    try {
      RepositoryPaths.key(upstream);
    } catch (IllegalArgumentException e) {
      throw new GobletException(
          Status.BAD_REQUEST, "the repository path does not name a repository the proxy can keep");
    }
    switch (route.endpoint()) {
      case RECEIVE_PACK ->
          throw new GobletException(
              Status.NOT_IMPLEMENTED,
              "push is not supported by this caching proxy; push to " + upstream + " directly");
      case INFO_REFS -> infoRefs(request, response, upstream);
      case UPLOAD_PACK -> {
        return uploadPack(request, response, upstream);
      }
    }
    return true;
  }

  private void infoRefs(GitRequest request, GitResponse response, URI upstream)
      throws GobletException, IOException {
    requireMethod(request, "GET");
    String service = queryParameter(request.query(), "service");
    if ("git-receive-pack".equals(service)) {
      throw new GobletException(
          Status.NOT_IMPLEMENTED,
          "push is not supported by this caching proxy; push to " + upstream + " directly");
    }
    if (!"git-upload-pack".equals(service)) {
      throw new GobletException(
          Status.BAD_REQUEST,
          "only the smart HTTP service git-upload-pack is served (dumb HTTP is not supported)");
    }
    requireV2(request);
    response.setStatus(200);
    response.setHeader("Content-Type", ADVERTISEMENT_TYPE);
    response.setHeader("Cache-Control", "no-cache");
    Capabilities.writeV2(response.body());
  }

  /** @return whether no command ran (the request was refused as a whole) */
  private boolean uploadPack(GitRequest request, GitResponse response, URI upstream)
      throws GobletException, IOException {
    requireMethod(request, "POST");
    requireV2(request);
    String contentType = request.header("Content-Type");
    if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith(REQUEST_TYPE)) {
      throw new GobletException(
          Status.UNSUPPORTED_MEDIA_TYPE, "the request body must be " + REQUEST_TYPE);
    }
    byte[] body = null;
    GobletException unreadable = null;
    try {
      body = readBody(request);
    } catch (GobletException e) {
      if (e.status() != Status.BAD_REQUEST) {
        throw e; // 413, 415: answered with the HTTP status
      }
      unreadable = e; // broken gzip: said as ERR, which git prints
    }
    response.setStatus(200);
    response.setHeader("Content-Type", RESULT_TYPE);
    response.setHeader("Cache-Control", "no-cache");
    List<Command> commands;
    try {
      if (unreadable != null) {
        throw unreadable;
      }
      commands = CommandReader.read(body);
      for (Command command : commands) {
        if (command.name().equals(Command.FETCH)) {
          FetchHandler.wants(command); // a bad want is refused before any mirror is made
        } else if (!command.name().equals(Command.LS_REFS)) {
          throw new GobletException(
              Status.BAD_REQUEST,
              "unsupported command '" + printable(command.name()) + "': the proxy serves ls-refs"
                  + " and fetch");
        }
      }
    } catch (GobletException e) {
      writeError(response, e.getMessage());
      listener.commandDone(NOT_A_COMMAND, "none", e.status(), Duration.ZERO);
      return false;
    }
    List<String> protocol = protocolParameters(request);
    for (Command command : commands) {
      long start = System.nanoTime();
      String cacheState = "none";
      try {
        if (command.name().equals(Command.LS_REFS)) {
          LsRefsHandler.Answer answer = lsRefs.lsRefs(upstream, command);
          cacheState = cacheState(answer.source());
          writeLsRefs(response, answer);
        } else {
          boolean local = fetch.fetch(mirrors.openForRequest(upstream), command, protocol, response.body());
          cacheState = local ? "served-locally" : "queried-upstream";
        }
        listener.commandDone(command.name(), cacheState, Status.OK, since(start));
      } catch (GobletException e) {
        listener.commandDone(command.name(), cacheState, e.status(), since(start));
        if (e.status().isServerError()) {
          errors.report(request, e);
        }
        writeError(response, e.getMessage());
        return false;
      }
    }
    return false;
  }

  private static String cacheState(LsRefsHandler.Source source) {
    return switch (source) {
      case UPSTREAM -> "queried-upstream";
      case CACHE -> "served-from-cache";
      case STALE_CACHE -> "served-stale";
    };
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  private static void writeLsRefs(GitResponse response, LsRefsHandler.Answer answer)
      throws IOException {
    if (answer.source() != LsRefsHandler.Source.UPSTREAM && !response.isCommitted()) {
      response.setHeader(
          LS_REFS_SOURCE_HEADER,
          (answer.source() == LsRefsHandler.Source.STALE_CACHE ? "stale-cache" : "cache")
              + "; age=" + answer.age().toSeconds()
              + "; withheld=" + answer.withheld());
    }
    PacketLineOut out = new PacketLineOut(response.body());
    for (String line : answer.lines()) {
      out.writeString(line);
    }
    out.end();
  }

  private static void writeError(GitResponse response, String message) throws IOException {
    PacketLineOut out = new PacketLineOut(response.body());
    out.writeString("ERR " + message + "\n");
    out.flush();
  }

  private byte[] readBody(GitRequest request) throws GobletException, IOException {
    String encoding = request.header("Content-Encoding");
    InputStream in = request.body();
    if (encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity")) {
      if (!encoding.equalsIgnoreCase("gzip") && !encoding.equalsIgnoreCase("x-gzip")) {
        throw new GobletException(
            Status.UNSUPPORTED_MEDIA_TYPE, "unsupported Content-Encoding; use gzip or none");
      }
      try {
        in = new GZIPInputStream(in);
      } catch (ZipException | java.io.EOFException e) {
        throw new GobletException(Status.BAD_REQUEST, "the request body is not valid gzip", e);
      }
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      for (int n; (n = in.read(buffer)) != -1; ) {
        if (body.size() + (long) n > maxBodyBytes) {
          throw new GobletException(
              Status.PAYLOAD_TOO_LARGE,
              "the request body is larger than this proxy accepts (" + maxBodyBytes + " bytes)");
        }
        body.write(buffer, 0, n);
      }
    } catch (ZipException | java.io.EOFException e) {
      throw new GobletException(Status.BAD_REQUEST, "the request body is not valid gzip", e);
    }
    return body.toByteArray();
  }

  private static void requireMethod(GitRequest request, String method) throws GobletException {
    if (!method.equals(request.method())) {
      throw new GobletException(
          Status.METHOD_NOT_ALLOWED, "this endpoint takes " + method + " requests only");
    }
  }

  private static void requireV2(GitRequest request) throws GobletException {
    if (!protocolParameters(request).contains("version=2")) {
      throw new GobletException(
          Status.BAD_REQUEST,
          "accepts only Git protocol v2; run git with -c protocol.version=2 (git 2.26 and newer"
              + " use it by default)");
    }
  }

  private static List<String> protocolParameters(GitRequest request) {
    List<String> parameters = new ArrayList<>();
    for (String header : request.headers("Git-Protocol")) {
      for (String part : header.split(":")) {
        if (!part.isBlank()) {
          parameters.add(part.trim());
        }
      }
    }
    return parameters;
  }

  private static String queryParameter(String query, String name) {
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  private static String printable(String value) {
    String shown = value.length() > 40 ? value.substring(0, 40) + "..." : value;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }
}
