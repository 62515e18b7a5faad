package dev.goblet.protocol;

import dev.goblet.ErrorReporter;
import dev.goblet.GitRequest;
import dev.goblet.GitResponse;
import dev.goblet.GobletException;
import dev.goblet.RequestAuthorizer;
import dev.goblet.Status;
import dev.goblet.UrlCanonicalizer;
import dev.goblet.repository.RepositoryPaths;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import org.eclipse.jgit.transport.PacketLineOut;

/**
 * Git smart HTTP without servlet types, for every protocol version: authorizes, canonicalizes, and
 * answers {@code GET info/refs} and {@code POST git-upload-pack}.
 *
 * <ul>
 *   <li>Protocol v2 ({@code Git-Protocol: version=2}): the capability advertisement, answered
 *       locally; then the {@code ls-refs} and {@code fetch} commands of each POST.
 *   <li>Protocol v0/v1 (no such header, or {@code version=1}; libgit2, JGit's v0 mode, older git):
 *       the ref advertisement, built from an ls-refs of every ref ({@link LsRefsHandler#allRefs},
 *       so the upstream call, the offline cache and its rules are those of v2, recorded as {@code
 *       ls-refs}); then each stateless POST is a fetch from the mirror ({@link FetchHandler},
 *       recorded as {@code fetch}).
 * </ul>
 *
 * Thread-safe.
 *
 * <p>Errors before the protocol exchange are thrown as {@link GobletException} (the caller answers
 * them with an HTTP status); errors inside it are written as {@code ERR} packets, which {@code git}
 * prints.
 */
public final class SmartHttpHandler {
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
     * @param command {@code ls-refs} (also a v0/v1 ref advertisement), {@code fetch} (also a v0/v1
     *     upload-pack request), or {@code not-a-command} for a v2 info/refs and requests refused
     *     before any command ran
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
  private final LsRefsHandler lsRefs;
  private final FetchHandler fetch;
  private final ErrorReporter errors;
  private final long maxBodyBytes;
  private final Listener listener;

  /**
   * @param authorizer runs first on every request
   * @param canonicalizer maps paths to upstreams
   * @param lsRefs answers ls-refs
   * @param fetch answers fetch
   * @param errors receives server-side errors written as ERR packets (guarded)
   * @param maxBodyBytes the largest decoded request body accepted
   * @param listener told of every command's outcome
   */
  public SmartHttpHandler(
      RequestAuthorizer authorizer,
      UrlCanonicalizer canonicalizer,
      LsRefsHandler lsRefs,
      FetchHandler fetch,
      ErrorReporter errors,
      long maxBodyBytes,
      Listener listener) {
    this.authorizer = authorizer;
    this.canonicalizer = canonicalizer;
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
    return switch (route.endpoint()) {
      case RECEIVE_PACK -> throw pushRefused(upstream);
      case INFO_REFS -> infoRefs(request, response, upstream);
      case UPLOAD_PACK -> uploadPack(request, response, upstream);
    };
  }

  /** @return whether no command ran (v2 answers locally; v0/v1 lists the refs) */
  private boolean infoRefs(GitRequest request, GitResponse response, URI upstream)
      throws GobletException, IOException {
    requireMethod(request, "GET");
    String service = queryParameter(request.query(), "service");
    if ("git-receive-pack".equals(service)) {
      throw pushRefused(upstream);
    }
    if (!"git-upload-pack".equals(service)) {
      throw new GobletException(
          Status.BAD_REQUEST,
          "only the smart HTTP service git-upload-pack is served (dumb HTTP is not supported)");
    }
    ProtocolVersion version = ProtocolVersion.of(protocolParameters(request));
    response.setStatus(200);
    response.setHeader("Content-Type", ADVERTISEMENT_TYPE);
    response.setHeader("Cache-Control", "no-cache");
    if (version == ProtocolVersion.V2) {
      Capabilities.writeV2(response.body());
      return true;
    }
    run(
        request,
        Command.LS_REFS,
        () -> {
          LsRefsHandler.Answer answer = lsRefs.allRefs(upstream);
          setSourceHeader(response, answer);
          V0Advertisement.write(response.body(), answer.lines(), version == ProtocolVersion.V1);
          return cacheState(answer.source());
        },
        message -> V0Advertisement.writeError(response.body(), message));
    return false;
  }

  /** @return whether no command ran (the request was refused as a whole) */
  private boolean uploadPack(GitRequest request, GitResponse response, URI upstream)
      throws GobletException, IOException {
    requireMethod(request, "POST");
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
    if (unreadable != null) {
      refuse(response, unreadable);
      return false;
    }
    List<String> protocol = protocolParameters(request);
    if (ProtocolVersion.of(protocol) == ProtocolVersion.V2) {
      commandsV2(request, response, upstream, protocol, body);
    } else {
      fetchV0(request, response, upstream, protocol, body);
    }
    return false;
  }

  /** Runs the one command of a v2 request (see {@link CommandReader#readOne}). */
  private void commandsV2(
      GitRequest request, GitResponse response, URI upstream, List<String> protocol, byte[] body)
      throws IOException {
    Command command;
    try {
      command = CommandReader.readOne(body);
      if (command.name().equals(Command.FETCH)) {
        FetchHandler.wants(command); // a bad want is refused before any mirror is made
      } else if (!command.name().equals(Command.LS_REFS)) {
        throw new GobletException(
            Status.BAD_REQUEST,
            "unsupported command '" + WireValues.printable(command.name(), 40)
                + "': the proxy serves ls-refs and fetch");
      }
    } catch (GobletException e) {
      refuse(response, e);
      return;
    }
    Step step =
        command.name().equals(Command.LS_REFS)
            ? () -> {
              LsRefsHandler.Answer answer = lsRefs.lsRefs(upstream, command);
              writeLsRefs(response, answer);
              return cacheState(answer.source());
            }
            : () -> servedFrom(fetch.fetch(upstream, command, protocol, response.body()));
    run(request, command.name(), step, message -> writeError(response, message));
  }

  /** Answers one stateless v0/v1 upload-pack request (a negotiation round, or the pack). */
  private void fetchV0(
      GitRequest request, GitResponse response, URI upstream, List<String> protocol, byte[] body)
      throws IOException {
    V0Request fetchRequest;
    try {
      fetchRequest = V0Request.parse(body);
    } catch (GobletException e) {
      refuse(response, e);
      return;
    }
    run(
        request,
        Command.FETCH,
        () -> servedFrom(fetch.fetchV0(upstream, fetchRequest, protocol, response.body())),
        message -> writeError(response, message));
  }

  /** One command's work; returns its cache state (see {@code GobletMetrics}). */
  @FunctionalInterface
  private interface Step {
    String run() throws GobletException, IOException;
  }

  /** Writes a failed command's message to the client in the protocol's own way. */
  @FunctionalInterface
  private interface ErrorWriter {
    void write(String message) throws IOException;
  }

  /**
   * Runs one command, recording its outcome; a failure is reported (when it is the server's) and
   * written to the client.
   *
   * @return whether the command succeeded
   */
  private boolean run(GitRequest request, String command, Step step, ErrorWriter onError)
      throws IOException {
    long start = System.nanoTime();
    try {
      String cacheState = step.run();
      listener.commandDone(command, cacheState, Status.OK, since(start));
      return true;
    } catch (GobletException e) {
      listener.commandDone(command, "none", e.status(), since(start));
      if (e.status().isServerError()) {
        errors.report(request, e);
      }
      if (!(e instanceof AnsweredException)) {
        onError.write(e.getMessage());
      }
      return false;
    }
  }

  /** Answers a request whose body holds no command the proxy can run. */
  private void refuse(GitResponse response, GobletException e) throws IOException {
    writeError(response, e.getMessage());
    listener.commandDone(NOT_A_COMMAND, "none", e.status(), Duration.ZERO);
  }

  private static String servedFrom(boolean servedLocally) {
    return servedLocally ? "served-locally" : "queried-upstream";
  }

  private static String cacheState(LsRefsHandler.Source source) {
    return switch (source) {
      case UPSTREAM -> "queried-upstream";
      case CACHE -> "served-from-cache";
      case STALE_CACHE -> "served-stale";
    };
  }

  private static GobletException pushRefused(URI upstream) {
    return new GobletException(
        Status.NOT_IMPLEMENTED,
        "push is not supported by this caching proxy; push to " + upstream + " directly");
  }

  private static Duration since(long startNanos) {
    return Duration.ofNanos(System.nanoTime() - startNanos);
  }

  /** Tells the client, before the body starts, that the refs came from the cache, and how old. */
  private static void setSourceHeader(GitResponse response, LsRefsHandler.Answer answer) {
    if (answer.source() != LsRefsHandler.Source.UPSTREAM && !response.isCommitted()) {
      response.setHeader(
          LS_REFS_SOURCE_HEADER,
          (answer.source() == LsRefsHandler.Source.STALE_CACHE ? "stale-cache" : "cache")
              + "; age=" + answer.age().toSeconds()
              + "; withheld=" + answer.withheld());
    }
  }

  private static void writeLsRefs(GitResponse response, LsRefsHandler.Answer answer)
      throws IOException {
    setSourceHeader(response, answer);
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
    boolean gzip =
        encoding != null && !encoding.isBlank() && !encoding.equalsIgnoreCase("identity");
    if (gzip && !encoding.equalsIgnoreCase("gzip") && !encoding.equalsIgnoreCase("x-gzip")) {
      throw new GobletException(
          Status.UNSUPPORTED_MEDIA_TYPE, "unsupported Content-Encoding; use gzip or none");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    byte[] buffer = new byte[8192];
    try {
      InputStream in = gzip ? new GZIPInputStream(request.body()) : request.body();
      for (int n; (n = in.read(buffer)) != -1; ) {
        if (body.size() + (long) n > maxBodyBytes) {
          throw new GobletException(
              Status.PAYLOAD_TOO_LARGE,
              "the request body is larger than this proxy accepts (" + maxBodyBytes + " bytes)");
        }
        body.write(buffer, 0, n);
      }
    } catch (ZipException | EOFException e) {
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

  private static String queryParameter(String query, String name) throws GobletException {
    if (query == null) {
      return null;
    }
    for (String pair : query.split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        try {
          return URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
          throw new GobletException(
              Status.BAD_REQUEST, "the query string holds a malformed %-escape in " + name);
        }
      }
    }
    return null;
  }
}
