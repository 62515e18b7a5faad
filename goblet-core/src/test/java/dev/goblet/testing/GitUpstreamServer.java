package dev.goblet.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real Git smart-HTTP server for tests: the JDK's HTTP server on {@code 127.0.0.1} in front of
 * the native {@code git http-backend}, serving every repository under a project root (see {@link
 * UpstreamRepo}). It records every request and can misbehave on demand: require a bearer token
 * (and let named HTTP Basic users read named repositories), fail the next requests with a status,
 * redirect every request elsewhere, hang, or stop listening and come back on the same port.
 *
 * <p>Thread-safe. Requests are served on a cached thread pool; each runs its own {@code git
 * http-backend} process.
 */
public final class GitUpstreamServer implements AutoCloseable {
  private static final int BIND_ATTEMPTS = 20;
  private static final long BIND_RETRY_MILLIS = 100;

  private final GitHttpBackend backend;
  private final ExecutorService executor =
      Executors.newCachedThreadPool(DaemonThreads.factory("git-upstream"));
  private final List<RecordedRequest> requests = Collections.synchronizedList(new ArrayList<>());
  private final Object lifecycle = new Object();
  private final Object faults = new Object();

  // guarded by lifecycle
  private HttpServer server;
  private int port;
  private boolean closed;

  // guarded by faults
  private CountDownLatch hangGate;
  private final AtomicInteger hangingRequests = new AtomicInteger();
  private Duration fetchDelay = Duration.ZERO;
  private int failureStatus;
  private int failuresLeft;
  private String requiredToken;
  private String redirectTarget;
  private final Map<String, BasicUser> basicUsers = new HashMap<>();

  /** A user of HTTP Basic and the repositories it may read. */
  private record BasicUser(String password, Set<String> repositories) {}

  private GitUpstreamServer(Path projectRoot) {
    this.backend = new GitHttpBackend(projectRoot);
  }

  /**
   * Starts a server on an ephemeral port of {@code 127.0.0.1}, serving the repositories under
   * {@code projectRoot}: {@code <projectRoot>/owner/repo.git} is at {@code repoUrl("owner/repo")}.
   */
  public static GitUpstreamServer start(Path projectRoot) {
    GitUpstreamServer upstream = new GitUpstreamServer(projectRoot);
    synchronized (upstream.lifecycle) {
      upstream.server = upstream.bind(0);
      upstream.port = upstream.server.getAddress().getPort();
    }
    return upstream;
  }

  private HttpServer bind(int requestedPort) {
    try {
      HttpServer http =
          HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), requestedPort), 0);
      http.setExecutor(executor);
      http.createContext("/", this::handle);
      http.start();
      return http;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot bind 127.0.0.1:" + requestedPort, e);
    }
  }

  /** @return {@code http://127.0.0.1:<port>}; the port stays the same across {@link #restart()} */
  public String baseUrl() {
    synchronized (lifecycle) {
      return "http://127.0.0.1:" + port;
    }
  }

  /** @return the URL of a repository, {@code baseUrl() + "/" + name}, e.g. name {@code owner/repo} */
  public URI repoUrl(String name) {
    return URI.create(baseUrl() + "/" + name);
  }

  /**
   * From now on, answers a request that lacks {@code Authorization: Bearer <token>} with 401 and
   * {@code WWW-Authenticate: Bearer}; such requests are still recorded.
   *
   * @param token the token to require, or {@code null} to require none
   */
  public void requireBearerToken(String token) {
    synchronized (faults) {
      requiredToken = token;
    }
  }

  /**
   * From now on, accepts HTTP Basic {@code user:password} beside the bearer token, for reading only
   * the named repositories: another repository is answered 404 ("Repository not found.") as GitHub
   * does, wrong or missing credentials 401 with {@code WWW-Authenticate: Basic}. Adding a user
   * makes the server require credentials.
   *
   * @param user the user name
   * @param password the password
   * @param repositories names such as {@code owner/repo} the user may read
   */
  public void allowBasicUser(String user, String password, String... repositories) {
    synchronized (faults) {
      basicUsers.put(user, new BasicUser(password, Set.of(repositories)));
    }
  }

  /**
   * While set, answers every request with {@code 302 Found} to the same path and query on {@code
   * targetBaseUrl}, as an upstream sending clients elsewhere would.
   *
   * @param targetBaseUrl such as {@code http://127.0.0.1:1234}, or {@code null} to serve again
   */
  public void redirectTo(String targetBaseUrl) {
    synchronized (faults) {
      redirectTarget = targetBaseUrl;
    }
  }

  /** Answers the next {@code count} requests with {@code status} and a short text body. */
  public void failNext(int status, int count) {
    synchronized (faults) {
      failureStatus = status;
      failuresLeft = count;
    }
  }

  /**
   * From now on, answers each upload-pack POST that is not only an {@code ls-refs} (a fetch, in
   * protocol v2 or v0) after {@code delay}: a slow upstream, such as one packing a big repository.
   *
   * @param delay how long to wait before answering; zero for none
   */
  public void delayFetches(Duration delay) {
    synchronized (faults) {
      fetchDelay = delay;
    }
  }

  /**
   * While {@code hanging} is true, requests are accepted and read but not answered; {@code
   * hang(false)} lets them (and later ones) be served normally, {@link #close()} abandons them.
   */
  public void hang(boolean hanging) {
    synchronized (faults) {
      if (hanging && hangGate == null) {
        hangGate = new CountDownLatch(1);
      } else if (!hanging && hangGate != null) {
        hangGate.countDown();
        hangGate = null;
      }
    }
  }

  /**
   * Waits until {@code count} requests, read whole, are held by {@link #hang}.
   *
   * @param count how many
   * @param timeout the longest wait
   * @throws IllegalStateException when they are not there in time
   */
  public void awaitHanging(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (hangingRequests.get() < count) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            hangingRequests.get() + " requests hanging after " + timeout + ", not " + count);
      }
      Thread.sleep(10);
    }
  }

  /**
   * Closes the listening socket so that new connections are refused. Exchanges in progress are cut
   * off. {@link #restart()} listens again on the same port.
   */
  public void stop() {
    synchronized (lifecycle) {
      if (server != null) {
        server.stop(0);
        server = null;
      }
    }
  }

  /** Listens again on the same port after {@link #stop()}; does nothing if already listening. */
  public void restart() {
    synchronized (lifecycle) {
      if (closed) {
        throw new IllegalStateException("closed");
      }
      if (server == null) {
        server = bindWithRetry(port);
      }
    }
  }

  /** A port just released may linger for a moment; the retry loop waits it out. */
  private HttpServer bindWithRetry(int samePort) {
    for (int attempt = 1; ; attempt++) {
      try {
        return bind(samePort);
      } catch (UncheckedIOException e) {
        if (!(e.getCause() instanceof BindException) || attempt == BIND_ATTEMPTS) {
          throw e;
        }
      }
      try {
        Thread.sleep(BIND_RETRY_MILLIS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while rebinding port " + samePort, e);
      }
    }
  }

  /** @return a snapshot of the requests recorded so far, in the order they completed */
  public List<RecordedRequest> requests() {
    synchronized (requests) {
      return List.copyOf(requests);
    }
  }

  /** Forgets the requests recorded so far. */
  public void clearRequests() {
    requests.clear();
  }

  /** @return how many recorded requests had {@code method} and a path ending with {@code pathSuffix} */
  public long count(String method, String pathSuffix) {
    return requests().stream()
        .filter(r -> r.method().equalsIgnoreCase(method) && r.path().endsWith(pathSuffix))
        .count();
  }

  /** @return how many times the protocol v2 {@code command} appeared in recorded request bodies */
  public long commandCount(String command) {
    return requests().stream()
        .flatMap(r -> r.commands().stream())
        .filter(command::equals)
        .count();
  }

  /** @return how many protocol v2 {@code fetch} commands were recorded */
  public long fetchCount() {
    return commandCount("fetch");
  }

  /**
   * Stops listening, abandons hung requests, kills running {@code git http-backend} processes and
   * stops the threads. Idempotent.
   */
  @Override
  public void close() {
    synchronized (lifecycle) {
      if (closed) {
        return;
      }
      closed = true;
    }
    stop();
    hang(false);
    backend.close();
    executor.shutdownNow();
    try {
      executor.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private boolean isClosed() {
    synchronized (lifecycle) {
      return closed;
    }
  }

  private void handle(HttpExchange exchange) {
    List<String> commands = List.of();
    try {
      byte[] body = exchange.getRequestBody().readAllBytes();
      if (exchange.getRequestMethod().equalsIgnoreCase("POST")) {
        commands =
            ProtocolV2Commands.in(body, exchange.getRequestHeaders().getFirst("Content-Encoding"));
      }
      if (passHangGate() && delayFetch(commands, exchange) && !isClosed()) {
        respond(exchange, body);
      }
    } catch (IOException e) {
      // Mostly a client that went away; git http-backend's own complaints are logged by the bridge.
      sendErrorIfNothingSent(exchange, e);
    } catch (RuntimeException e) {
      e.printStackTrace();
      sendErrorIfNothingSent(exchange, e);
    } finally {
      record(exchange, commands);
      exchange.close();
    }
  }

  /** @return false if the thread was interrupted while delaying (the server is being closed) */
  private boolean delayFetch(List<String> commands, HttpExchange exchange) {
    Duration delay;
    synchronized (faults) {
      delay = fetchDelay;
    }
    boolean fetch =
        exchange.getRequestMethod().equalsIgnoreCase("POST")
            && exchange.getRequestURI().getPath().endsWith("/git-upload-pack")
            && !commands.equals(List.of("ls-refs"));
    if (!fetch || delay.isZero()) {
      return true;
    }
    try {
      Thread.sleep(delay.toMillis()); // the fault itself: an upstream slow to answer
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** @return false if the thread was interrupted while the server hung (it is being closed) */
  private boolean passHangGate() {
    CountDownLatch gate;
    synchronized (faults) {
      gate = hangGate;
    }
    if (gate == null) {
      return true;
    }
    hangingRequests.incrementAndGet();
    try {
      gate.await();
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } finally {
      hangingRequests.decrementAndGet();
    }
  }

  private void respond(HttpExchange exchange, byte[] body) throws IOException {
    int injected = takeInjectedFailure();
    String redirect;
    synchronized (faults) {
      redirect = redirectTarget;
    }
    if (injected > 0) {
      sendText(exchange, injected, "injected failure " + injected);
    } else if (redirect != null) {
      URI uri = exchange.getRequestURI();
      exchange.getResponseHeaders().set("Location", redirect + uri.getRawPath()
          + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery()));
      sendText(exchange, 302, "moved");
    } else {
      int refusal = refusal(exchange);
      if (refusal == 401) {
        exchange.getResponseHeaders().add("WWW-Authenticate", "Bearer");
        exchange.getResponseHeaders().add("WWW-Authenticate", "Basic realm=\"upstream\"");
        sendText(exchange, 401, "bearer token required");
      } else if (refusal == 404) {
        sendText(exchange, 404, "Repository not found.");
      } else {
        backend.serve(exchange, body);
      }
    }
  }

  /** @return the status to fail this request with, or 0 */
  private int takeInjectedFailure() {
    synchronized (faults) {
      if (failuresLeft <= 0) {
        return 0;
      }
      failuresLeft--;
      return failureStatus;
    }
  }

  /** @return 0 to serve the request, else 401 (credentials) or 404 (a repository not allowed) */
  private int refusal(HttpExchange exchange) {
    String token;
    Map<String, BasicUser> users;
    synchronized (faults) {
      token = requiredToken;
      users = Map.copyOf(basicUsers);
    }
    if (token == null && users.isEmpty()) {
      return 0;
    }
    List<String> authorization =
        exchange.getRequestHeaders().getOrDefault("Authorization", List.of());
    if (token != null && authorization.contains("Bearer " + token)) {
      return 0;
    }
    for (String value : authorization) {
      if (!value.startsWith("Basic ")) {
        continue;
      }
      String decoded =
          new String(Base64.getDecoder().decode(value.substring(6).trim()), StandardCharsets.UTF_8);
      int colon = decoded.indexOf(':');
      BasicUser user = colon < 0 ? null : users.get(decoded.substring(0, colon));
      if (user != null && user.password().equals(decoded.substring(colon + 1))) {
        return user.repositories().contains(repositoryName(exchange.getRequestURI().getPath()))
            ? 0
            : 404;
      }
    }
    return 401;
  }

  /** @return {@code owner/repo} of a smart HTTP path such as {@code /owner/repo.git/info/refs} */
  private static String repositoryName(String path) {
    String name = path.startsWith("/") ? path.substring(1) : path;
    for (String suffix : List.of("/info/refs", "/git-upload-pack", "/git-receive-pack")) {
      if (name.endsWith(suffix)) {
        name = name.substring(0, name.length() - suffix.length());
      }
    }
    return name.endsWith(".git") ? name.substring(0, name.length() - 4) : name;
  }

  private static void sendText(HttpExchange exchange, int status, String text) throws IOException {
    byte[] bytes = (text + "\n").getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  private static void sendErrorIfNothingSent(HttpExchange exchange, Exception cause) {
    if (exchange.getResponseCode() >= 0) {
      return;
    }
    try {
      sendText(exchange, 500, "GitUpstreamServer: " + cause);
    } catch (IOException | RuntimeException ignored) {
      // The client is gone; nothing more to tell it.
    }
  }

  private void record(HttpExchange exchange, List<String> commands) {
    URI uri = exchange.getRequestURI();
    requests.add(
        new RecordedRequest(
            exchange.getRequestMethod(),
            uri.getPath(),
            uri.getRawQuery(),
            exchange.getRequestHeaders(),
            exchange.getResponseCode(),
            commands));
  }
}
